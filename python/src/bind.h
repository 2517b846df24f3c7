#pragma once
// Shared by the binding files of ember._C: nanobind, the Scalar caster, shape parsing and one
// init function per area (each in its own file, as MLX's python/src).
#include <nanobind/nanobind.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/shared_ptr.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/tuple.h>
#include <nanobind/stl/vector.h>

#include "ember/ember.h"

namespace nb = nanobind;

// Python bool / int / float (and numpy scalars, through __index__ / __float__) -> ember::Scalar,
// remembering which it was: 2 * t keeps an integer tensor integral, 2.0 * t promotes it.
namespace nanobind::detail {
template <> struct type_caster<ember::Scalar> {
  // NB_TYPE_CASTER's members, spelled out: Scalar has no default constructor.
  using Value = ember::Scalar;
  static constexpr auto Name = const_name("float | int | bool");
  template <typename T_> using Cast = movable_cast_t<T_>;
  template <typename T_> static constexpr bool can_cast() { return true; }
  explicit operator Value*() { return &value; }
  explicit operator Value&() { return (Value&)value; }
  explicit operator Value&&() { return (Value&&)value; }
  Value value{0.0};
  bool from_python(handle src, uint8_t flags, cleanup_list*) noexcept {
    PyObject* o = src.ptr();
    if (PyBool_Check(o)) { value = ember::Scalar(o == Py_True); return true; }
    if (PyLong_CheckExact(o) || (!PyFloat_Check(o) && PyIndex_Check(o))) {
      long long v = PyLong_AsLongLong(o);
      if (v == -1 && PyErr_Occurred()) { PyErr_Clear(); return false; }
      value = ember::Scalar(v);
      return true;
    }
    if (PyFloat_Check(o) || ((flags & (uint8_t)cast_flags::convert) && PyNumber_Check(o) &&
                             Py_TYPE(o)->tp_as_number && Py_TYPE(o)->tp_as_number->nb_float)) {
      double d = PyFloat_AsDouble(o);
      if (d == -1.0 && PyErr_Occurred()) { PyErr_Clear(); return false; }
      value = ember::Scalar(d);
      return true;
    }
    return false;
  }
  static handle from_cpp(const ember::Scalar& s, rv_policy, cleanup_list*) noexcept {
    if (s.kind == ember::Scalar::Kind::Bool) return PyBool_FromLong(s.i ? 1 : 0);
    if (s.kind == ember::Scalar::Kind::Int) return PyLong_FromLongLong(s.i);
    return PyFloat_FromDouble(s.d);
  }
};
}  // namespace nanobind::detail

namespace ember::py {

// A shape given PyTorch's ways: f(2, 3), f((2, 3)), f([2, 3]) or f(ember.Size) -> {2, 3}.
// `op` and `arg` name the call in the TypeError.
Shape shape_from_args(const nb::args& args, const char* op, const char* arg = "size");
Shape shape_from_object(nb::handle h, const char* op, const char* arg = "size");
// Raises TypeError("op(): argument 'arg' must be ..., not <type>").
[[noreturn]] void type_error(const char* op, const char* arg, const char* expected, nb::handle got);

// An optional tensor argument (None) as the C++ API takes it: an undefined Tensor.
inline Tensor opt(const std::optional<Tensor>& t) { return t.value_or(Tensor()); }

// Calls f(Generator&) without the GIL. `g` is None: the default generator (advanced, as torch's
// are); an int: a fresh generator seeded with it; an ember.Generator: that one (advanced).
template <class F>
auto with_generator(nb::handle g, const char* op, F&& f) {
  if (g.is_none()) {
    nb::gil_scoped_release r;
    return f(default_generator());
  }
  if (PyLong_Check(g.ptr()) && !PyBool_Check(g.ptr())) {
    Generator own(nb::cast<uint64_t>(g));
    nb::gil_scoped_release r;
    return f(own);
  }
  Generator* gen = nullptr;
  if (!nb::try_cast<Generator*>(g, gen) || !gen) type_error(op, "generator", "an ember.Generator, an int seed or None", g);
  nb::gil_scoped_release r;
  return f(*gen);
}

void init_dtype(nb::module_& m);
void init_tensor(nb::module_& m);
void init_ops(nb::module_& m);
void init_autograd(nb::module_& m);
void init_nn(nb::module_& m);
void init_optim(nb::module_& m);
void init_data(nb::module_& m);
void init_io(nb::module_& m);
void init_explain(nb::module_& m);  // explain.cpp
void init_onnx(nb::module_& m);     // onnx.cpp

}  // namespace ember::py

// ---- ember._C._nn: nn.cpp (Module base, tensor-member registry) and nn_*.cpp ----
#include <functional>
#include <typeinfo>

#include "ember/nn/module.h"

namespace ember::py {
void init_nn_layers(nb::module_& m);
void init_nn_seq(nb::module_& m);
void init_nn_functional(nb::module_& m);
// A layer's forward reads its tensor members (Linear::weight), not Module's name table, so
// replacing a parameter from Python (lin.weight = Parameter(...)) must update both; each bound
// layer registers its members here by name.
using TensorMember = std::function<Tensor*(nn::Module&)>;
void register_tensor_member(const std::type_info& type, const std::string& name, TensorMember get);
template <class M>
void tensor_members(std::initializer_list<std::pair<const char*, Tensor M::*>> members) {
  for (auto [n, p] : members)
    register_tensor_member(typeid(M), n, [p](nn::Module& m) { return &(static_cast<M&>(m).*p); });
}

// ---- text: text.cpp, data_text.cpp ----
// text_arg: the UTF-8 of a str (cached in it) or a bytes' data,
// valid while the object lives; else TypeError naming `arg`.
std::string_view text_arg(nb::handle h, const char* op, const char* arg = "text");
void init_text(nb::module_& m);
void init_data_text(nb::module_& data);  // called by init_data on ember._C.data
}  // namespace ember::py

// ember.Tensor's methods and the op functions, called from init_tensor (python/src/tensor_ops.h).
namespace ember::py {
void init_ops_elementwise(nb::module_& m, nb::class_<Tensor>& cls);
void init_ops_reduce(nb::module_& m, nb::class_<Tensor>& cls);
void init_ops_shape(nb::module_& m, nb::class_<Tensor>& cls);
void init_tensor_index(nb::module_& m, nb::class_<Tensor>& cls);
void init_tensor_interop(nb::module_& m, nb::class_<Tensor>& cls);
void init_tensor_factories(nb::module_& m, nb::class_<Tensor>& cls);
}  // namespace ember::py

// ---- models and the training loop: models.cpp, train.cpp ----
namespace ember::py {
void init_models(nb::module_& m);
void init_train(nb::module_& m);
void init_tensorboard(nb::module_& m);  // tensorboard.cpp
}  // namespace ember::py

// ---- distributed: distributed.cpp (process groups, DDP over a Python module, ZeRO-1) ----
namespace ember::py {
void init_distributed(nb::module_& m);
}  // namespace ember::py
