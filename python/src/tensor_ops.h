#pragma once
// Helpers shared by the files that bind ember.Tensor's methods and the top-level op functions.
#include "bind.h"

namespace ember::py {

using TensorClass = nb::class_<Tensor>;

// Binds `f(const Tensor& input, ...)` twice: as ember.<name>(input, ...) and Tensor.<name>(...),
// with the same argument names and defaults after `input`.
template <typename F, typename... Extra>
void def_both(nb::module_& m, TensorClass& cls, const char* name, F f, const Extra&... extra) {
  m.def(name, f, nb::arg("input"), extra...);
  cls.def(name, f, extra...);
}

// dim=None | int | tuple/list of ints; nullopt for None.
std::optional<Shape> dims_arg(nb::handle h, const char* op, const char* arg = "dim");
// device=None | str | ember.device; the default device for None.
Device device_arg(nb::handle h, const char* op);
// dtype=None | ember.dtype
inline Tensor maybe_to(const Tensor& t, std::optional<DType> dtype) { return dtype && *dtype != t.dtype() ? t.to(*dtype) : t; }

// A CPU tensor of `shape` (0-d included) holding `v`; bool data travels as int32.
template <typename T>
Tensor host_tensor(const std::vector<T>& v, const Shape& shape, DType dt) {
  return ember::tensor(v, {static_cast<int64_t>(v.size())}, dt).view(shape);
}

Tensor tensor_from_data(nb::handle data, std::optional<DType> dtype, bool requires_grad);
// A tensor sharing the memory of a numpy array / DLPack producer (CPU), keeping it alive.
Tensor tensor_from_array(nb::handle obj, const char* op);
// True for objects tensor_from_array takes (numpy arrays and scalars, DLPack producers), not lists.
bool is_array_like(nb::handle obj);
// Index tensors (host) of the true elements of a bool tensor, one per dim.
std::vector<Tensor> nonzero_indices(const Tensor& mask);

}  // namespace ember::py
