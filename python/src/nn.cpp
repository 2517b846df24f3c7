// ember._C._nn: the C++ nn::Module base that the Python wrappers (ember.nn) hold as `_cpp`, the
// tensor-member registry behind parameter replacement, and the layer / functional bindings
// (nn_layers.cpp, nn_seq.cpp, nn_functional.cpp).
#include <map>
#include <typeindex>

#include "bind.h"
#include "ember/models/mnist_cnn.h"

namespace ember::py {
namespace {

std::map<std::pair<std::type_index, std::string>, TensorMember>& registry() {
  static std::map<std::pair<std::type_index, std::string>, TensorMember> r;
  return r;
}

// Points the module's `name` slot (and the layer member forward reads) at `t`; an undefined `t`
// removes the tensor (PyTorch's `lin.bias = None`). A new name is registered.
void set_tensor(nn::Module& m, const std::string& name, const Tensor& t, bool buffer) {
  Tensor* slot = nullptr;
  try {
    slot = buffer ? &m.buffer(name) : &m.param(name);
  } catch (const Error&) {  // a new name
  }
  if (slot) *slot = t;
  else if (buffer) m.register_buffer(name, t);
  else m.register_parameter(name, t, t.defined() && t.requires_grad());
  auto it = registry().find({std::type_index(typeid(m)), name});
  if (it != registry().end()) *it->second(m) = t;
}

}  // namespace

void register_tensor_member(const std::type_info& type, const std::string& name, TensorMember get) {
  registry()[{std::type_index(type), name}] = std::move(get);
}

void init_nn(nb::module_& parent) {
  nb::module_ m = parent.def_submodule("_nn", "ember::nn bindings; use ember.nn");
  nb::class_<nn::Module>(m, "Module")
      .def("_named_parameters", [](const nn::Module& self) { return self.named_parameters(false); })
      .def("_named_buffers", [](const nn::Module& self) { return self.named_buffers(false); })
      .def("_named_children", &nn::Module::named_children)
      .def("_set_param", [](nn::Module& self, const std::string& n, std::optional<Tensor> t) {
        set_tensor(self, n, t.value_or(Tensor()), false);
      }, nb::arg("name"), nb::arg("value").none())
      .def("_set_buffer", [](nn::Module& self, const std::string& n, std::optional<Tensor> t) {
        set_tensor(self, n, t.value_or(Tensor()), true);
      }, nb::arg("name"), nb::arg("value").none())
      .def("train", &nn::Module::train, nb::arg("mode") = true)
      .def_prop_ro("training", &nn::Module::is_training)
      .def("to", [](nn::Module& self, DType d) { self.to(d); }, nb::arg("dtype"))
      .def("forward", [](nn::Module& self, const Tensor& x) { return self.forward(x); }, nb::arg("input"),
           nb::call_guard<nb::gil_scoped_release>())
      .def("_type_name", &nn::Module::name)
      .def("extra_repr", &nn::Module::extra_repr)
      .def("__repr__", &nn::Module::repr);

  // The impl a handle points at: Python's identity for tensors that C++ may hand out as new objects.
  m.def("_impl_id", [](const Tensor& t) { return reinterpret_cast<uintptr_t>(&t.impl()); });
  // Module.to(dtype) of a Python module tree: nn::Module::to's in-place conversion (identity, grads
  // and tied tensors kept) over every parameter and buffer the tree holds.
  m.def("_convert_in_place", [](const std::vector<Tensor>& tensors, DType dtype) {
    nn::Module holder;
    for (size_t i = 0; i < tensors.size(); ++i) holder.register_buffer(std::to_string(i), tensors[i]);
    holder.to(dtype);
  }, nb::arg("tensors"), nb::arg("dtype"));
  // The C++ seed network, to check that ember.nn draws the same initial weights.
  nb::class_<models::MnistCNN, nn::Module>(m, "_MnistCNN")
      .def(nb::init<int64_t, double>(), nb::arg("fc1_in") = 64 * 12 * 12, nb::arg("dropout") = 0.0);

  init_nn_layers(m);
  init_nn_seq(m);
  init_nn_functional(m);
}

}  // namespace ember::py
