// ember._C.distributed: process groups and their collectives, DistributedDataParallel over a
// Python module, ZeRO-1. The Python package (ember/distributed, ember/nn/parallel.py) gives them
// torch.distributed's names. Every call that may wait on other ranks runs without the GIL.
#include <nanobind/stl/map.h>

#include <map>

#include "bind.h"
#include "ember/distributed/distributed.h"
#include "ember/optim.h"

namespace ember::py {
namespace {

using namespace ember::distributed;
using PG = std::shared_ptr<ProcessGroup>;

// Collectives write into their tensors' storage, as torch.distributed's do even on a leaf that
// requires grad (dist.broadcast(param, 0)); C++ refuses those under grad mode, so they run without it.
template <class F>
auto no_gil_no_grad(F&& f) {
  nb::gil_scoped_release r;
  NoGradGuard ng;
  return f();
}

// A Python module's parameters and buffers, registered under their dotted names in a tree of
// plain C++ modules (one per dotted prefix): the same tensor handles, so DDP's gradient hooks
// fire on the Python parameters, and the same names and order as the Python module lists them.
class Proxy : public nn::Module {
 public:
  std::string name() const override { return "PythonModule"; }
  Proxy& child(const std::string& n) {
    auto it = kids_.find(n);
    if (it != kids_.end()) return *it->second;
    auto c = register_module(n, std::make_shared<Proxy>());
    kids_[n] = c.get();
    return *c;
  }

 private:
  std::map<std::string, Proxy*> kids_;
};

std::shared_ptr<Proxy> make_proxy(const nn::NamedTensors& params, const nn::NamedTensors& buffers, bool training) {
  auto root = std::make_shared<Proxy>();
  auto add = [&](const std::string& dotted, const Tensor& t, bool param) {
    Proxy* m = root.get();
    size_t start = 0;
    for (size_t dot; (dot = dotted.find('.', start)) != std::string::npos; start = dot + 1)
      m = &m->child(dotted.substr(start, dot - start));
    std::string leaf = dotted.substr(start);
    if (param) m->register_parameter(leaf, t, t.requires_grad());
    else m->register_buffer(leaf, t);
  };
  for (auto& [n, t] : params) add(n, t, true);
  for (auto& [n, t] : buffers) add(n, t, false);
  root->train(training);
  return root;
}

struct PyDDP {
  std::shared_ptr<Proxy> proxy;
  std::shared_ptr<DistributedDataParallel> ddp;
};

// ddp.no_sync() as a Python context manager.
struct NoSyncGuard {
  PyDDP* ddp;
  std::unique_ptr<DistributedDataParallel::NoSync> guard;
};

// ZeRO's inner optimizers: a C++ optimizer of `kind` over each shard, options as (name, value)
// pairs as ember._C.optim.make takes them.
using Options = std::vector<std::pair<std::string, double>>;
std::unique_ptr<optim::OptimizerOptions> options_of(const std::string& kind, const Options& values) {
  std::unique_ptr<optim::OptimizerOptions> o;
  if (kind == "SGD") o = std::make_unique<optim::SGDOptions>();
  else if (kind == "Adam") o = std::make_unique<optim::AdamOptions>();
  else if (kind == "AdamW") o = std::make_unique<optim::AdamWOptions>();
  else if (kind == "RMSprop") o = std::make_unique<optim::RMSpropOptions>();
  else if (kind == "Adagrad") o = std::make_unique<optim::AdagradOptions>();
  else throw nb::value_error(("ZeroRedundancyOptimizer: cannot shard optimizer '" + kind +
                              "' (SGD, Adam, AdamW, RMSprop and Adagrad can be sharded)").c_str());
  for (auto& [k, v] : values)
    if (!o->set(k, v)) throw nb::value_error((kind + ": unknown option '" + k + "'").c_str());
  return o;
}
template <class O, class OO>
std::unique_ptr<optim::Optimizer> build(std::vector<Tensor> shard, const optim::OptimizerOptions& o) {
  return std::make_unique<O>(std::move(shard), dynamic_cast<const OO&>(o));
}
std::unique_ptr<optim::Optimizer> make_inner(const std::string& kind, std::vector<Tensor> shard,
                                             const optim::OptimizerOptions& o) {
  if (kind == "SGD") return build<optim::SGD, optim::SGDOptions>(std::move(shard), o);
  if (kind == "Adam") return build<optim::Adam, optim::AdamOptions>(std::move(shard), o);
  if (kind == "AdamW") return build<optim::AdamW, optim::AdamWOptions>(std::move(shard), o);
  if (kind == "RMSprop") return build<optim::RMSprop, optim::RMSpropOptions>(std::move(shard), o);
  return build<optim::Adagrad, optim::AdagradOptions>(std::move(shard), o);
}

}  // namespace

void init_distributed(nb::module_& parent) {
  nb::module_ m = parent.def_submodule("distributed", "ember::distributed; use ember.distributed");

  nb::enum_<ReduceOp>(m, "ReduceOp")
      .value("SUM", ReduceOp::Sum)
      .value("AVG", ReduceOp::Avg)
      .value("PRODUCT", ReduceOp::Product)
      .value("MIN", ReduceOp::Min)
      .value("MAX", ReduceOp::Max);

  nb::class_<Work>(m, "Work")
      .def("is_completed", [](Work& w) { nb::gil_scoped_release r; return w.is_completed(); })
      .def("wait", [](Work& w) { nb::gil_scoped_release r; w.wait(); });

  nb::class_<ProcessGroup>(m, "ProcessGroup")
      .def("rank", &ProcessGroup::rank)
      .def("size", &ProcessGroup::size)
      .def("backend", &ProcessGroup::backend)
      .def_prop_rw("timeout_seconds", &ProcessGroup::timeout_seconds, &ProcessGroup::set_timeout_seconds)
      .def("allreduce", [](ProcessGroup& g, const Tensor& t, ReduceOp op) {
        return no_gil_no_grad([&] { return g.allreduce_async(t, op); });
      }, nb::arg("tensor"), nb::arg("op"))
      .def("broadcast", [](ProcessGroup& g, const Tensor& t, int root) {
        return no_gil_no_grad([&] { return g.broadcast_async(t, root); });
      }, nb::arg("tensor"), nb::arg("src"))
      .def("allgather", [](ProcessGroup& g, const Tensor& out, const Tensor& in) {
        return no_gil_no_grad([&] { return g.allgather_async(out, in); });
      }, nb::arg("output"), nb::arg("input"))
      .def("reduce_scatter", [](ProcessGroup& g, const Tensor& out, const Tensor& in, ReduceOp op) {
        return no_gil_no_grad([&] { return g.reduce_scatter_async(out, in, op); });
      }, nb::arg("output"), nb::arg("input"), nb::arg("op"))
      .def("barrier", [](ProcessGroup& g) { return no_gil_no_grad([&] { return g.barrier_async(); }); })
      .def("abort", [](ProcessGroup& g, int code) { g.abort(code); }, nb::arg("code") = 1);

  m.def("init_process_group", [](const std::string& backend) {
    nb::gil_scoped_release r;  // MPI_Init waits for the other ranks
    return init_process_group(backend);
  }, nb::arg("backend") = "auto");
  m.def("default_process_group", &default_process_group);
  m.def("new_single_process_group", &new_single_process_group);
  m.def("launched_by_mpi", &launched_by_mpi);
  m.def("available_backends", &available_backends);
  m.def("abort_job_on_error", [](const std::string& what, int code) {
    nb::gil_scoped_release r;
    abort_job_on_error(what, code);
  }, nb::arg("what"), nb::arg("code") = 1);
  m.def("broadcast_coalesced", [](ProcessGroup& g, const std::vector<Tensor>& ts, int root) {
    no_gil_no_grad([&] { broadcast_coalesced(g, ts, root); });
  }, nb::arg("group"), nb::arg("tensors"), nb::arg("src") = 0);

  nb::class_<PyDDP>(m, "DistributedDataParallel")
      .def("__init__", [](PyDDP* self, const nn::NamedTensors& params, const nn::NamedTensors& buffers,
                          bool training, PG group, double bucket_cap_mb, bool broadcast_buffers,
                          bool find_unused_parameters, bool gradient_as_bucket_view) {
        auto proxy = make_proxy(params, buffers, training);
        DDPOptions o{.bucket_cap_mb = bucket_cap_mb, .broadcast_buffers = broadcast_buffers,
                     .find_unused_parameters = find_unused_parameters,
                     .gradient_as_bucket_view = gradient_as_bucket_view};
        nb::gil_scoped_release r;  // checks the model across ranks and broadcasts rank 0's state
        auto ddp = std::make_shared<DistributedDataParallel>(proxy, std::move(group), o);
        new (self) PyDDP{std::move(proxy), std::move(ddp)};
      }, nb::arg("parameters"), nb::arg("buffers"), nb::arg("training"), nb::arg("group").none(),
         nb::arg("bucket_cap_mb"), nb::arg("broadcast_buffers"), nb::arg("find_unused_parameters"),
         nb::arg("gradient_as_bucket_view"))
      .def("pre_forward", [](PyDDP& d, bool training) {
        nb::gil_scoped_release r;
        if (d.proxy->is_training() != training) d.proxy->train(training);
        d.ddp->pre_forward();
      }, nb::arg("training"))
      .def("sync_buffers", [](PyDDP& d) { no_gil_no_grad([&] { d.ddp->sync_buffers(); }); })
      .def("no_sync", [](PyDDP& d) { return NoSyncGuard{&d, nullptr}; }, nb::keep_alive<0, 1>())
      .def("bucket_parameter_names", [](PyDDP& d) { return d.ddp->bucket_parameter_names(); })
      .def("stats", [](PyDDP& d) {
        const DDPStats& s = d.ddp->stats();
        return std::map<std::string, double>{
            {"iterations", double(s.iterations)}, {"buckets", double(s.buckets)},
            {"bytes_per_iteration", double(s.bytes_per_iteration)}, {"last_hook_seconds", s.last_hook_seconds},
            {"last_wait_seconds", s.last_wait_seconds}, {"total_hook_seconds", s.total_hook_seconds},
            {"total_wait_seconds", s.total_wait_seconds}};
      });

  nb::class_<NoSyncGuard>(m, "NoSync")
      .def("__enter__", [](NoSyncGuard& g) {
        if (!g.guard) g.guard = std::make_unique<DistributedDataParallel::NoSync>(g.ddp->ddp->no_sync());
      })
      .def("__exit__", [](NoSyncGuard& g, nb::args) { g.guard.reset(); });

  nb::class_<ZeroRedundancyOptimizer, optim::Optimizer>(m, "ZeroRedundancyOptimizer")
      .def("__init__", [](ZeroRedundancyOptimizer* self, const std::string& kind,
                          const std::vector<std::pair<std::vector<Tensor>, Options>>& groups, const Options& defaults,
                          PG group) {
        // A group's own options over the constructor's, as PyTorch fills a group from defaults.
        std::shared_ptr<optim::OptimizerOptions> d = options_of(kind, defaults);
        std::vector<optim::ParamGroup> gs;
        for (auto& [params, opts] : groups) {
          if (opts.empty()) gs.emplace_back(params);
          else {
            Options merged = defaults;
            merged.insert(merged.end(), opts.begin(), opts.end());
            gs.emplace_back(params, *options_of(kind, merged));
          }
        }
        auto make = [kind, d](std::vector<Tensor> shard) { return make_inner(kind, std::move(shard), *d); };
        nb::gil_scoped_release r;
        new (self) ZeroRedundancyOptimizer(std::move(gs), make, std::move(group));
      }, nb::arg("kind"), nb::arg("groups"), nb::arg("defaults"), nb::arg("group").none())
      .def("consolidate_state_dict", [](ZeroRedundancyOptimizer& z) {
        nb::gil_scoped_release r;
        z.consolidate_state_dict();
      })
      .def("local_state_bytes", &ZeroRedundancyOptimizer::local_state_bytes)
      .def("shard_numel", &ZeroRedundancyOptimizer::shard_numel, nb::arg("group"));
}

}  // namespace ember::py
