// ember._C.train: the C++ training loop (train::Trainer) driving Python. The loop runs without the
// GIL; the step function and callbacks (std::function over Python callables, which nanobind calls
// with the GIL taken) run Python. A Python model reaches the Trainer as a tree of ModuleProxy
// modules holding its parameters and buffers (the same tensors) under PyTorch's names, so
// checkpoints are its state_dict and resuming restores it in place.
#include <nanobind/stl/function.h>
#include <nanobind/stl/map.h>

#include <sstream>

#include "bind.h"
#include "ember/data/dataloader.h"
#include "ember/train/checkpoint.h"
#include "ember/train/trainer.h"

namespace ember::py {
namespace {

using namespace ember::train;

class ModuleProxy : public nn::Module {
 public:
  explicit ModuleProxy(std::string type) : type_(std::move(type)) {}
  std::string name() const override { return type_; }

 private:
  std::string type_;
};

// Lines of the C++ log written to a Python file object (sys.stdout by default) at each flush,
// with the GIL taken then: the loop itself holds no GIL.
class PyWriteBuf : public std::stringbuf {
 public:
  explicit PyWriteBuf(nb::object file) : file_(std::move(file)) {}
  ~PyWriteBuf() override {
    nb::gil_scoped_acquire g;
    file_.reset();
  }

 protected:
  int sync() override {
    std::string s = str();
    if (s.empty()) return 0;
    str("");
    nb::gil_scoped_acquire g;
    file_.attr("write")(s);
    if (nb::hasattr(file_, "flush")) file_.attr("flush")();
    return 0;
  }

 private:
  nb::object file_;
};

// Each sample is its own index: a Python iterable's epochs counted by the C++ loop (batch size 1).
class IndexDataset : public data::Dataset {
 public:
  explicit IndexDataset(int64_t n) : n_(n) {}
  int64_t size() const override { return n_; }
  using Dataset::get;
  data::Example get(int64_t i, Generator&) const override { return {scalar_tensor(i, kInt64), Tensor()}; }

 private:
  int64_t n_;
};

// step(data, target or None) -> (loss, samples, correct, tokens)
using PyStep = std::function<std::tuple<Tensor, int64_t, int64_t, int64_t>(Tensor, std::optional<Tensor>)>;

StepFn step_fn(PyStep f) {
  return [f = std::move(f)](const data::Batch& b) {
    auto [loss, samples, correct, tokens] =
        f(b.data, b.target.defined() ? std::optional<Tensor>(b.target) : std::nullopt);
    return StepOutput{loss, samples, correct, tokens};
  };
}

struct PyCallbacks {
  std::function<Metrics()> evaluate;
  std::function<std::string(const Metrics&)> describe;
  std::function<void(int64_t, const Metrics&)> on_record;
  std::function<std::map<std::string, std::string>()> save_metadata;
  std::function<void(const std::map<std::string, std::string>&, const std::string&)> check_resume;

  Callbacks to_cpp() const {
    Callbacks c;
    c.evaluate = evaluate;
    c.describe = describe;
    if (on_record) c.on_record = [f = on_record](const EpochRecord& r) { f(r.epoch, r.values); };
    if (save_metadata)
      c.save_metadata = [f = save_metadata](std::map<std::string, std::string>& m) {
        for (auto& [k, v] : f()) m[k] = v;
      };
    c.check_resume = check_resume;
    return c;
  }
};

// Runs `fit` without the GIL, logging to `log` (a Python file object, or None for silence).
template <class F>
FitResult run_fit(nb::handle log, F&& fit) {
  std::unique_ptr<PyWriteBuf> buf;
  if (!log.is_none()) buf = std::make_unique<PyWriteBuf>(nb::borrow(log));
  std::ostream os(buf.get());  // no buffer: writes are dropped
  FitResult r;
  {
    nb::gil_scoped_release rel;
    try {
      r = fit(os);
    } catch (...) {
      os.flush();
      buf.reset();
      throw;
    }
    os.flush();
    buf.reset();
  }
  return r;
}

nb::list history_list(const std::vector<EpochRecord>& h) {
  nb::list out;
  for (auto& r : h) out.append(nb::make_tuple(r.epoch, r.values));
  return out;
}

}  // namespace

void init_train(nb::module_& parent) {
  nb::module_ m = parent.def_submodule("train", "ember::train; use ember.train");

  nb::class_<ModuleProxy, nn::Module>(m, "ModuleProxy")
      .def(nb::init<std::string>(), nb::arg("type_name"))
      .def("add_parameter", [](ModuleProxy& s, const std::string& n, const Tensor& t) {
        s.register_parameter(n, t, t.requires_grad());
      }, nb::arg("name"), nb::arg("tensor"))
      .def("add_buffer", [](ModuleProxy& s, const std::string& n, const Tensor& t, bool persistent) {
        s.register_buffer(n, t, persistent);
      }, nb::arg("name"), nb::arg("tensor"), nb::arg("persistent") = true)
      .def("add_module", [](ModuleProxy& s, const std::string& n, std::shared_ptr<nn::Module> child) {
        s.register_module(n, std::move(child));
      }, nb::arg("name"), nb::arg("module"))
      .def("state_dict", &nn::Module::state_dict);

  nb::class_<TrainerOptions>(m, "TrainerOptions")
      .def(nb::init<>())
      .def_rw("epochs", &TrainerOptions::epochs)
      .def_rw("max_steps_per_epoch", &TrainerOptions::max_steps_per_epoch)
      .def_rw("steps", &TrainerOptions::steps)
      .def_rw("stop_after", &TrainerOptions::stop_after)
      .def_rw("eval_every", &TrainerOptions::eval_every)
      .def_rw("log_every", &TrainerOptions::log_every)
      .def_rw("loss_is_sum", &TrainerOptions::loss_is_sum)
      .def_rw("grad_clip", &TrainerOptions::grad_clip)
      .def_rw("nonfinite", &TrainerOptions::nonfinite)
      .def_rw("lr_at", &TrainerOptions::lr_at)
      .def_rw("checkpoint_dir", &TrainerOptions::checkpoint_dir)
      .def_rw("resume", &TrainerOptions::resume)
      .def_rw("metrics_path", &TrainerOptions::metrics_path)
      .def_rw("plot_path", &TrainerOptions::plot_path)
      .def_rw("tensorboard_dir", &TrainerOptions::tensorboard_dir)
      .def_rw("recipe", &TrainerOptions::recipe)
      .def_rw("config", &TrainerOptions::config)
      .def_rw("early_stopping_patience", &TrainerOptions::early_stopping_patience)
      .def_rw("early_stopping_min_delta", &TrainerOptions::early_stopping_min_delta)
      .def_rw("progress", &TrainerOptions::progress)
      .def_rw("sample_unit", &TrainerOptions::sample_unit);

  nb::class_<PyCallbacks>(m, "Callbacks")
      .def(nb::init<>())
      .def_rw("evaluate", &PyCallbacks::evaluate)
      .def_rw("describe", &PyCallbacks::describe)
      .def_rw("on_record", &PyCallbacks::on_record)
      .def_rw("save_metadata", &PyCallbacks::save_metadata)
      .def_rw("check_resume", &PyCallbacks::check_resume);

  nb::class_<FitResult>(m, "FitResult")
      .def_prop_ro("history", [](const FitResult& r) { return history_list(r.history); })
      .def_ro("step_losses", &FitResult::step_losses)
      .def_ro("last_eval", &FitResult::last_eval)
      .def_ro("samples_per_second", &FitResult::samples_per_second)
      .def_ro("tokens_per_second", &FitResult::tokens_per_second)
      .def_ro("steps_done", &FitResult::steps_done)
      .def_ro("stopped_early", &FitResult::stopped_early)
      .def_ro("resumed", &FitResult::resumed);

  // The optimizer (a C++ optimizer, ember.optim's `_impl`) is kept alive by the Trainer.
  nb::class_<Trainer>(m, "Trainer")
      .def("__init__", [](Trainer* self, std::shared_ptr<nn::Module> model, optim::Optimizer& opt,
                          const TrainerOptions& o) {
        new (self) Trainer(std::move(model), opt, o, distributed::Context::from_env());
      }, nb::arg("model"), nb::arg("optimizer"), nb::arg("options"), nb::keep_alive<1, 3>())
      .def("track_generator", &Trainer::track_generator, nb::arg("name"), nb::arg("generator"), nb::keep_alive<1, 3>())
      .def("fit_loader", [](Trainer& t, data::DataLoader& loader, PyStep step, const PyCallbacks& cb, nb::handle log) {
        StepFn s = step_fn(std::move(step));
        Callbacks c = cb.to_cpp();
        return run_fit(log, [&](std::ostream& os) { return t.fit(loader, s, c, &os); });
      }, nb::arg("loader"), nb::arg("step"), nb::arg("callbacks"), nb::arg("log").none())
      .def("fit_steps", [](Trainer& t, std::function<std::optional<Tensor>()> next, PyStep step, const PyCallbacks& cb,
                           nb::handle log) {
        StepFn s = step_fn(std::move(step));
        Callbacks c = cb.to_cpp();
        auto next_batch = [&next] {
          data::Batch b;
          if (auto d = next()) b.data = *d;
          return b;
        };
        return run_fit(log, [&](std::ostream& os) { return t.fit(next_batch, s, c, &os); });
      }, nb::arg("next_batch"), nb::arg("step"), nb::arg("callbacks"), nb::arg("log").none())
      // The trainer's TensorBoard writer (ember._C.tensorboard.TensorBoardWriter) once fit has
      // started, on rank 0 with tensorboard_dir set; else None. Owned by the trainer.
      .def_prop_ro("tensorboard", [](const Trainer& t) { return t.tensorboard(); }, nb::rv_policy::reference_internal)
      .def_prop_ro("rank", [](const Trainer& t) { return t.dist().rank(); })
      .def_prop_ro("world_size", [](const Trainer& t) { return t.dist().size(); });

  // A loader of n one-index batches: the C++ epochs over a Python iterable of n batches.
  m.def("index_loader", [](int64_t n) {
    return std::make_shared<data::DataLoader>(std::make_shared<IndexDataset>(n), data::DataLoaderOptions{});
  }, nb::arg("n"));
  m.def("load_checkpoint", [](const std::string& path, nn::Module& model, optim::Optimizer* opt) {
    return load_checkpoint(path, model, opt).metadata;
  }, nb::arg("path"), nb::arg("model"), nb::arg("optimizer").none() = nb::none(), nb::call_guard<nb::gil_scoped_release>());
  m.def("save_checkpoint", [](const std::string& path, const nn::Module& model, const optim::Optimizer* opt,
                              const std::map<std::string, std::string>& meta) { save_checkpoint(path, model, opt, meta); },
        nb::arg("path"), nb::arg("model"), nb::arg("optimizer").none(), nb::arg("metadata"),
        nb::call_guard<nb::gil_scoped_release>());
}

}  // namespace ember::py
