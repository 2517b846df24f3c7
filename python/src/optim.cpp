// ember._C.optim: the C++ optimizers, LR schedulers and gradient clipping. The Python package
// (ember/optim) gives them PyTorch's signatures and dict-like param groups; options cross as
// (PyTorch name, double) pairs through OptimizerOptions::values()/set(), so no option is
// spelled twice.
#include <nanobind/stl/function.h>
#include <nanobind/stl/map.h>
#include <nanobind/stl/unique_ptr.h>

#include "bind.h"

namespace ember::py {
namespace {

using namespace ember::optim;
using Options = std::vector<std::pair<std::string, double>>;

std::unique_ptr<OptimizerOptions> make_options(const std::string& kind) {
  if (kind == "SGD") return std::make_unique<SGDOptions>();
  if (kind == "Adam") return std::make_unique<AdamOptions>();
  if (kind == "AdamW") return std::make_unique<AdamWOptions>();
  if (kind == "RMSprop") return std::make_unique<RMSpropOptions>();
  if (kind == "Adagrad") return std::make_unique<AdagradOptions>();
  if (kind == "GD") return std::make_unique<GDOptions>();
  throw nb::value_error(("unknown optimizer " + kind).c_str());
}

std::unique_ptr<OptimizerOptions> options_from(const std::string& kind, const Options& values) {
  auto o = make_options(kind);
  for (auto& [k, v] : values)
    if (!o->set(k, v)) throw nb::value_error((kind + ": unknown option '" + k + "'").c_str());
  return o;
}

// (name, is_flag) of every option of `kind`, in PyTorch's order (flags cross as 0/1).
template <class O>
std::vector<std::pair<std::string, bool>> names_of() {
  std::vector<std::pair<std::string, bool>> out;
  O o;
  o.visit([&](const char* n, auto& v) { out.emplace_back(n, std::is_same_v<std::decay_t<decltype(v)>, bool>); });
  return out;
}

std::vector<std::pair<std::string, bool>> option_names(const std::string& kind) {
  if (kind == "SGD") return names_of<SGDOptions>();
  if (kind == "Adam") return names_of<AdamOptions>();
  if (kind == "AdamW") return names_of<AdamWOptions>();
  if (kind == "RMSprop") return names_of<RMSpropOptions>();
  if (kind == "Adagrad") return names_of<AdagradOptions>();
  if (kind == "GD") return names_of<GDOptions>();
  throw nb::value_error(("unknown optimizer " + kind).c_str());
}

template <class O, class D>
std::unique_ptr<Optimizer> build(std::vector<ParamGroup> groups, const OptimizerOptions& defaults) {
  return std::make_unique<O>(std::move(groups), dynamic_cast<const D&>(defaults));
}

// groups: (params, explicitly set options) per group; defaults: the constructor's arguments.
std::unique_ptr<Optimizer> make_optimizer(const std::string& kind,
                                          const std::vector<std::pair<std::vector<Tensor>, Options>>& groups,
                                          const Options& defaults) {
  auto d = options_from(kind, defaults);
  std::vector<ParamGroup> gs;
  for (auto& [params, opts] : groups) {
    if (opts.empty()) gs.emplace_back(params);
    else gs.emplace_back(params, *options_from(kind, opts));
  }
  if (kind == "SGD") return build<SGD, SGDOptions>(std::move(gs), *d);
  if (kind == "Adam") return build<Adam, AdamOptions>(std::move(gs), *d);
  if (kind == "AdamW") return build<AdamW, AdamWOptions>(std::move(gs), *d);
  if (kind == "RMSprop") return build<RMSprop, RMSpropOptions>(std::move(gs), *d);
  if (kind == "Adagrad") return build<Adagrad, AdagradOptions>(std::move(gs), *d);
  return build<GD, GDOptions>(std::move(gs), *d);
}

ParamGroup& group_at(Optimizer& o, int64_t i) {
  auto& gs = o.param_groups();
  if (i < 0 || i >= static_cast<int64_t>(gs.size())) throw nb::index_error("param group index out of range");
  return gs[static_cast<size_t>(i)];
}

// PyTorch's state layout: {index: {name: tensor}}.
using State = std::map<int64_t, std::map<std::string, Tensor>>;
using Groups = std::vector<std::pair<Options, std::vector<int64_t>>>;

template <class S>
auto scheduler_class(nb::module_& o, const char* name) {
  return nb::class_<S, LRScheduler>(o, name);
}

}  // namespace

void init_optim(nb::module_& m) {
  nb::module_ o = m.def_submodule("optim", "ember::optim");

  nb::class_<Optimizer>(o, "Optimizer")
      .def_prop_ro("name", &Optimizer::name)
      .def("step", [](Optimizer& self) {
        nb::gil_scoped_release r;
        self.step();
      })
      .def("zero_grad", [](Optimizer& self, bool set_to_none) { self.zero_grad(set_to_none); },
           nb::arg("set_to_none") = true)
      .def("num_groups", [](Optimizer& self) { return self.param_groups().size(); })
      .def("get_option", [](Optimizer& self, int64_t g, const std::string& n) -> nb::object {
        auto& group = group_at(self, g);
        if (n == "initial_lr") return group.initial_lr ? nb::cast(*group.initial_lr) : nb::none();
        for (auto& [k, v] : group.options().values())
          if (k == n) return nb::cast(v);
        return nb::none();
      })
      // False when the optimizer has no option `n` (the Python group keeps it then).
      .def("set_option", [](Optimizer& self, int64_t g, const std::string& n, std::optional<double> v) {
        auto& group = group_at(self, g);
        if (n == "initial_lr") return group.initial_lr = v, true;
        if (!v) return false;
        return group.options().set(n, *v);
      })
      .def("group_options", [](Optimizer& self, int64_t g) { return group_at(self, g).options().values(); })
      .def("defaults", [](Optimizer& self) { return self.defaults().values(); })
      .def("add_param_group", [](Optimizer& self, std::vector<Tensor> params, const Options& opts) {
        auto o = make_options(self.name());
        for (auto& [k, v] : opts)
          if (!o->set(k, v)) throw nb::value_error((self.name() + ": unknown option '" + k + "'").c_str());
        self.add_param_group(opts.empty() ? ParamGroup(std::move(params)) : ParamGroup(std::move(params), *o));
      })
      .def("state_of", [](const Optimizer& self, const Tensor& p) {
        std::map<std::string, Tensor> out;
        if (auto* st = self.state(p))
          for (auto& [k, v] : *st) out[k] = v;
        return out;
      })
      .def("state_dict", [](const Optimizer& self) {
        OptimizerStateDict sd = self.state_dict();
        Groups groups;
        for (auto& g : sd.param_groups) groups.emplace_back(g.options, g.params);
        return std::make_pair(groups, sd.state);
      })
      .def("load_state_dict", [](Optimizer& self, const Groups& groups, const State& state) {
        OptimizerStateDict sd;
        for (auto& [opts, params] : groups) sd.param_groups.push_back({opts, params});
        sd.state = state;
        self.load_state_dict(sd);
      });
  o.def("option_names", &option_names, nb::arg("kind"));
  o.def("make", &make_optimizer, nb::arg("kind"), nb::arg("groups"), nb::arg("defaults"));

  // ---- schedulers: each keeps its optimizer alive (C++ holds a reference to it) ----
  nb::class_<LRScheduler>(o, "LRScheduler")
      .def("step", &LRScheduler::step)
      .def("get_last_lr", &LRScheduler::get_last_lr)
      .def_prop_ro("base_lrs", &LRScheduler::base_lrs)
      .def_prop_ro("last_epoch", &LRScheduler::last_epoch)
      .def("state_dict", &LRScheduler::state_dict)
      .def("load_state_dict", &LRScheduler::load_state_dict);
  scheduler_class<StepLR>(o, "StepLR")
      .def(nb::init<Optimizer&, int64_t, double, int64_t>(), nb::keep_alive<1, 2>());
  scheduler_class<MultiStepLR>(o, "MultiStepLR")
      .def(nb::init<Optimizer&, std::vector<int64_t>, double, int64_t>(), nb::keep_alive<1, 2>());
  scheduler_class<ExponentialLR>(o, "ExponentialLR")
      .def(nb::init<Optimizer&, double, int64_t>(), nb::keep_alive<1, 2>());
  scheduler_class<LinearLR>(o, "LinearLR")
      .def(nb::init<Optimizer&, double, double, int64_t, int64_t>(), nb::keep_alive<1, 2>());
  scheduler_class<CosineAnnealingLR>(o, "CosineAnnealingLR")
      .def(nb::init<Optimizer&, int64_t, double, int64_t>(), nb::keep_alive<1, 2>());
  nb::class_<ReduceLROnPlateau>(o, "ReduceLROnPlateau")
      .def("__init__", [](ReduceLROnPlateau* self, Optimizer& opt, const std::string& mode, double factor,
                          int64_t patience, double threshold, const std::string& threshold_mode, int64_t cooldown,
                          std::vector<double> min_lrs, double eps) {
        ReduceLROnPlateauOptions ro{.mode = mode, .factor = factor, .patience = patience, .threshold = threshold,
                                    .threshold_mode = threshold_mode, .cooldown = cooldown, .min_lrs = min_lrs,
                                    .eps = eps};
        new (self) ReduceLROnPlateau(opt, ro);
      }, nb::keep_alive<1, 2>())
      .def("step", &ReduceLROnPlateau::step)
      .def("get_last_lr", &ReduceLROnPlateau::get_last_lr)
      .def_prop_ro("best", &ReduceLROnPlateau::best)
      .def_prop_ro("num_bad_epochs", &ReduceLROnPlateau::num_bad_epochs)
      .def_prop_ro("last_epoch", &ReduceLROnPlateau::last_epoch)
      .def("state_dict", &ReduceLROnPlateau::state_dict)
      .def("load_state_dict", &ReduceLROnPlateau::load_state_dict);

  // ---- clipping and penalties (re-exported by ember.nn.utils and ember.optim) ----
  o.def("clip_grad_norm_", [](const std::vector<Tensor>& ps, double max_norm, double norm_type, bool error_if_nonfinite) {
    nb::gil_scoped_release r;
    return nn::utils::clip_grad_norm_(ps, max_norm, norm_type, error_if_nonfinite);
  }, nb::arg("parameters"), nb::arg("max_norm"), nb::arg("norm_type") = 2.0, nb::arg("error_if_nonfinite") = false);
  o.def("clip_grad_value_", [](const std::vector<Tensor>& ps, double clip_value) {
    nn::utils::clip_grad_value_(ps, clip_value);
  }, nb::arg("parameters"), nb::arg("clip_value"));
  o.def("l1_penalty", &l1_penalty, nb::arg("params"), nb::arg("lmbda"));
}

}  // namespace ember::py
