// ember._C.explain: the attribution methods of ember::explain over a Python model (any callable
// taking a tensor (N, ...) and returning scores (N, C)). C++ runs without the GIL and takes it
// back for each forward call. Python's names and Captum's argument names: ember/explain.py.
#include <nanobind/stl/function.h>

#include "bind.h"
#include "ember/explain/attribution.h"
#include "ember/explain/lime.h"
#include "ember/explain/shapley.h"

namespace ember::py {

namespace {

explain::Forward forward_of(nb::object model) {
  if (!PyCallable_Check(model.ptr())) type_error("explain", "model", "a callable (an ember.nn.Module)", model);
  return [model](const Tensor& x) {
    nb::gil_scoped_acquire gil;
    nb::object out = model(x);
    Tensor t;
    if (!nb::try_cast<Tensor>(out, t)) type_error("explain", "model", "a callable returning an ember.Tensor", out);
    return t;
  };
}

explain::IntegrationMethod method_of(const std::string& m) {
  if (m == "gausslegendre") return explain::IntegrationMethod::GaussLegendre;
  if (m == "riemann_trapezoid") return explain::IntegrationMethod::RiemannTrapezoid;
  if (m == "riemann_left") return explain::IntegrationMethod::RiemannLeft;
  if (m == "riemann_right") return explain::IntegrationMethod::RiemannRight;
  if (m == "riemann_middle") return explain::IntegrationMethod::RiemannMiddle;
  throw Error("integrated_gradients: method '" + m +
              "' is not one of gausslegendre, riemann_trapezoid, riemann_left, riemann_right, riemann_middle");
}

}  // namespace

void init_explain(nb::module_& parent) {
  nb::module_ m = parent.def_submodule("explain", "ember::explain; use ember.explain");
  using Targets = std::vector<int64_t>;
  m.def("saliency", [](nb::object model, const Tensor& x, const Targets& t, bool abs) {
    auto f = forward_of(model);
    nb::gil_scoped_release r;
    return explain::saliency(f, x, t, abs);
  }, nb::arg("model"), nb::arg("inputs"), nb::arg("targets"), nb::arg("abs"));
  m.def("input_x_gradient", [](nb::object model, const Tensor& x, const Targets& t) {
    auto f = forward_of(model);
    nb::gil_scoped_release r;
    return explain::input_x_gradient(f, x, t);
  }, nb::arg("model"), nb::arg("inputs"), nb::arg("targets"));
  m.def("integrated_gradients", [](nb::object model, const Tensor& x, const Targets& t, std::optional<Tensor> baseline,
                                   int64_t steps, const std::string& method, int64_t internal_batch_size) {
    auto f = forward_of(model);
    explain::IntegratedGradientsOptions o;
    o.baseline = opt(baseline), o.steps = steps, o.method = method_of(method), o.internal_batch_size = internal_batch_size;
    nb::gil_scoped_release r;
    auto res = explain::integrated_gradients(f, x, t, o);
    return std::make_pair(res.attributions, res.delta);
  }, nb::arg("model"), nb::arg("inputs"), nb::arg("targets"), nb::arg("baseline").none(), nb::arg("steps"),
     nb::arg("method"), nb::arg("internal_batch_size"));
  m.def("smoothgrad", [](nb::object model, const Tensor& x, const Targets& t, double stdev, int64_t samples, bool abs,
                         nb::handle generator) {
    auto f = forward_of(model);
    return with_generator(generator, "smoothgrad", [&](Generator& g) {
      return explain::smoothgrad(f, x, t, {.stdev = stdev, .samples = samples, .abs = abs, .generator = &g});
    });
  }, nb::arg("model"), nb::arg("inputs"), nb::arg("targets"), nb::arg("stdev"), nb::arg("samples"), nb::arg("abs"),
     nb::arg("generator").none());
  m.def("occlusion", [](nb::object model, const Tensor& x, const Targets& t, const Shape& window, const Shape& strides,
                        std::optional<Tensor> baseline, int64_t per_eval) {
    auto f = forward_of(model);
    explain::OcclusionOptions o{window, strides, opt(baseline), per_eval};
    nb::gil_scoped_release r;
    return explain::occlusion(f, x, t, o);
  }, nb::arg("model"), nb::arg("inputs"), nb::arg("targets"), nb::arg("sliding_window"), nb::arg("strides"),
     nb::arg("baseline").none(), nb::arg("perturbations_per_eval"));
  auto result = [](const explain::ShapleyResult& s) { return nb::make_tuple(s.attributions, s.values, s.base_values); };
  m.def("shapley_values", [result](nb::object model, const Tensor& x, const Targets& t, std::optional<Tensor> mask,
                                   std::optional<Tensor> baseline, int64_t per_eval) {
    auto f = forward_of(model);
    explain::ShapleyResult s;
    {
      nb::gil_scoped_release r;
      s = explain::shapley_values(f, x, t, {opt(mask), opt(baseline), per_eval});
    }
    return result(s);
  }, nb::arg("model"), nb::arg("inputs"), nb::arg("targets"), nb::arg("feature_mask").none(), nb::arg("baseline").none(),
     nb::arg("perturbations_per_eval"));
  m.def("kernel_shap", [result](nb::object model, const Tensor& x, const Targets& t, std::optional<Tensor> mask,
                                std::optional<Tensor> baseline, int64_t samples, nb::handle generator, int64_t per_eval) {
    auto f = forward_of(model);
    explain::ShapleyResult s = with_generator(generator, "kernel_shap", [&](Generator& g) {
      return explain::kernel_shap(f, x, t, {opt(mask), opt(baseline), samples, &g, per_eval});
    });
    return result(s);
  }, nb::arg("model"), nb::arg("inputs"), nb::arg("targets"), nb::arg("feature_mask").none(), nb::arg("baseline").none(),
     nb::arg("samples"), nb::arg("generator").none(), nb::arg("perturbations_per_eval"));
  m.def("lime", [](nb::object model, const Tensor& x, const Targets& t, std::optional<Tensor> mask,
                   std::optional<Tensor> baseline, int64_t samples, std::optional<Tensor> coalitions, double width,
                   double alpha, nb::handle generator, int64_t per_eval) {
    auto f = forward_of(model);
    explain::LimeResult r = with_generator(generator, "lime", [&](Generator& g) {
      return explain::lime(f, x, t, {opt(mask), opt(baseline), samples, opt(coalitions), width, alpha, &g, per_eval});
    });
    return nb::make_tuple(r.attributions, r.coefficients, r.intercept, r.score);
  }, nb::arg("model"), nb::arg("inputs"), nb::arg("targets"), nb::arg("feature_mask").none(), nb::arg("baseline").none(),
     nb::arg("samples"), nb::arg("coalitions").none(), nb::arg("kernel_width"), nb::arg("ridge_alpha"),
     nb::arg("generator").none(), nb::arg("perturbations_per_eval"));
}

}  // namespace ember::py
