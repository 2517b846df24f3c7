// Grad mode, ember.autograd.grad and the C++ half of ember.autograd.Function: a graph node whose
// backward calls the Python class's backward (with the GIL, which backward() releases).
#include <mutex>
#include <set>

#include "bind.h"
#include "ember/autocast.h"

namespace ember::py {
namespace {

// A Python object that may be dropped by a thread without the GIL (the graph frees its nodes
// wherever backward ran).
std::shared_ptr<nb::object> hold(nb::object o) {
  return std::shared_ptr<nb::object>(new nb::object(std::move(o)), [](nb::object* p) {
    nb::gil_scoped_acquire gil;
    delete p;
  });
}

const char* intern(const std::string& s) {
  static std::set<std::string> names;  // node names must outlive every node
  return names.insert(s).first->c_str();
}

std::vector<Tensor> tensors_or_undefined(nb::handle seq) {
  std::vector<Tensor> out;
  for (nb::handle h : seq) out.push_back(h.is_none() ? Tensor() : nb::cast<Tensor>(h));
  return out;
}

// Connects the outputs of a Python Function's forward to one node per output. The backward is
// linear in the output gradients, so output k's node calls backward with zeros for the others.
// Returns the outputs, detached from forward's own (no-grad) results so that an input returned
// as-is is not rewired.
std::vector<Tensor> attach(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                           nb::object backward, const std::string& name,
                           const std::vector<bool>& differentiable) {
  std::vector<Tensor> outs;
  outs.reserve(outputs.size());
  for (const Tensor& o : outputs) outs.push_back(o.detach());
  if (!autograd::any_requires_grad(inputs)) return outs;
  auto fn = hold(std::move(backward));
  const char* node_name = intern(name);
  std::vector<std::pair<Shape, DType>> metas;
  for (const Tensor& o : outs) metas.emplace_back(o.shape(), o.dtype());
  const size_t n_in = inputs.size();
  for (size_t k = 0; k < outs.size(); ++k) {
    if (k < differentiable.size() && !differentiable[k]) continue;
    if (!outs[k].is_floating_point()) continue;
    autograd::set_history(outs[k], node_name, inputs,
        [fn, metas, k, n_in, node_name](const Tensor& grad, const autograd::Node&) {
          nb::gil_scoped_acquire gil;
          nb::list grads;
          for (size_t j = 0; j < metas.size(); ++j)
            grads.append(j == k ? grad : zeros(metas[j].first, metas[j].second));
          nb::object r = (*fn)(*nb::tuple(grads));
          std::vector<Tensor> out;
          if (nb::isinstance<nb::tuple>(r) || nb::isinstance<nb::list>(r)) out = tensors_or_undefined(r);
          else out.push_back(r.is_none() ? Tensor() : nb::cast<Tensor>(r));
          EMBER_CHECK(out.size() >= n_in, node_name, "backward returned ", out.size(),
                      " gradients, but forward had ", n_in, " tensor inputs; return one per input (None for none)");
          out.resize(n_in);
          return out;
        });
  }
  return outs;
}

}  // namespace

void init_autograd(nb::module_& m) {
  m.def("is_grad_enabled", &GradMode::is_enabled);
  m.def("_set_grad_enabled", &GradMode::set_enabled, nb::arg("mode"));
  m.def("is_anomaly_enabled", &autograd::is_anomaly_enabled);
  m.def("_set_detect_anomaly", &autograd::set_detect_anomaly, nb::arg("mode"));
  m.def("is_autocast_enabled", &is_autocast_enabled);
  m.def("_set_autocast_enabled", [](bool enabled, DType dtype) { set_autocast_enabled(enabled, dtype); },
        nb::arg("enabled"), nb::arg("dtype"));
  m.def("_autocast_native", &autocast_native);
  m.def("_autograd_grad", [](const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs, nb::handle grad_outputs,
                             bool retain_graph, bool create_graph, bool allow_unused) {
    std::vector<Tensor> go = grad_outputs.is_none() ? std::vector<Tensor>{} : tensors_or_undefined(grad_outputs);
    std::vector<Tensor> g;
    {
      nb::gil_scoped_release release;
      g = autograd::grad(outputs, inputs, go, retain_graph, create_graph, allow_unused);
    }
    nb::list r;
    for (const Tensor& t : g) r.append(t.defined() ? nb::cast(t) : nb::none());
    return nb::tuple(r);
  }, nb::arg("outputs"), nb::arg("inputs"), nb::arg("grad_outputs").none(), nb::arg("retain_graph"),
     nb::arg("create_graph"), nb::arg("allow_unused"));
  m.def("_autograd_backward", [](const std::vector<Tensor>& outputs, nb::handle grads, bool retain_graph, bool create_graph) {
    std::vector<Tensor> g = grads.is_none() ? std::vector<Tensor>{} : tensors_or_undefined(grads);
    nb::gil_scoped_release release;
    autograd::backward(outputs, g, retain_graph, create_graph);
  }, nb::arg("outputs"), nb::arg("grads").none(), nb::arg("retain_graph"), nb::arg("create_graph"));
  m.def("_function_attach", &attach, nb::arg("outputs"), nb::arg("inputs"), nb::arg("backward"), nb::arg("name"),
        nb::arg("differentiable"));
  m.def("_grad_fn_name", [](const Tensor& t) -> nb::object {
    if (!t.grad_fn()) return nb::none();
    return nb::str(t.grad_fn()->name());
  });
}

}  // namespace ember::py
