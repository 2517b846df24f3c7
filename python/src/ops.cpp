// Free functions of the `ember` namespace: creation, math, reductions, shape ops (torch.*).
#include "bind.h"

namespace ember::py {
namespace {

TensorOptions options(std::optional<DType> dtype, bool requires_grad, DType fallback = DType::Float32) {
  TensorOptions o(dtype.value_or(fallback));
  o.requires_grad = requires_grad;
  return o;
}

// Nested Python sequences of numbers -> shape and values; the dtype follows PyTorch's inference
// (any float -> float32, else any int -> int64, else bool).
struct Nested {
  Shape shape;
  std::vector<double> values;
  int kind = 0;  // 0 bool, 1 int, 2 float
};

void walk(nb::handle h, size_t depth, Nested& n) {
  PyObject* o = h.ptr();
  if (PyBool_Check(o) || PyLong_Check(o) || PyFloat_Check(o) || nb::isinstance<Tensor>(h)) {
    if (depth != n.shape.size()) throw nb::value_error("tensor(): the nested sequence is ragged (expected a sequence at this depth)");
    if (nb::isinstance<Tensor>(h)) {
      const Tensor& t = nb::cast<const Tensor&>(h);
      if (t.numel() != 1 || t.dim() != 0) throw nb::value_error("tensor(): only 0-d tensors can be elements of a nested sequence");
      n.kind = std::max(n.kind, t.is_floating_point() ? 2 : t.dtype() == DType::Bool ? 0 : 1);
      n.values.push_back(t.item<double>());
    } else if (PyBool_Check(o)) {
      n.values.push_back(o == Py_True);
    } else if (PyLong_Check(o)) {
      n.kind = std::max(n.kind, 1);
      n.values.push_back(static_cast<double>(PyLong_AsLongLong(o)));
    } else {
      n.kind = 2;
      n.values.push_back(PyFloat_AsDouble(o));
    }
    return;
  }
  if (!PySequence_Check(o) || PyUnicode_Check(o)) type_error("tensor", "data", "a number or a (nested) sequence of numbers", h);
  nb::sequence seq = nb::borrow<nb::sequence>(h);
  int64_t len = static_cast<int64_t>(nb::len(seq));
  if (depth == n.shape.size()) {
    if (!n.values.empty()) throw nb::value_error("tensor(): the nested sequence is ragged");
    n.shape.push_back(len);
  } else if (depth > n.shape.size() || n.shape[depth] != len) {
    throw nb::value_error(("tensor(): the nested sequence is ragged: expected length " +
                           std::to_string(depth < n.shape.size() ? n.shape[depth] : -1) + " at dim " +
                           std::to_string(depth) + ", got " + std::to_string(len)).c_str());
  }
  for (nb::handle e : seq) walk(e, depth + 1, n);
}

}  // namespace

Tensor tensor_from_data(nb::handle data, std::optional<DType> dtype, bool requires_grad) {
  if (nb::isinstance<Tensor>(data)) {
    Tensor t = nb::cast<const Tensor&>(data).detach().clone();
    if (dtype) t = t.to(*dtype);
    t.requires_grad_(requires_grad);
    return t;
  }
  Nested n;
  walk(data, 0, n);
  DType dt = dtype.value_or(n.kind == 2 ? DType::Float32 : n.kind == 1 ? DType::Int64 : DType::Bool);
  Tensor t = ember::tensor(n.values, n.shape, DType::Float64).to(dt);
  if (dt == DType::Int64 || dt == DType::Int32) {  // exact for integers beyond 2^53
    std::vector<int64_t> iv;
    iv.reserve(n.values.size());
    for (double v : n.values) iv.push_back(static_cast<int64_t>(v));
    if (n.kind == 1) t = ember::tensor(iv, n.shape, DType::Int64).to(dt);
  }
  t.requires_grad_(requires_grad);
  return t;
}

void init_ops(nb::module_& m) {
  m.def("manual_seed", [](uint64_t s) { manual_seed(s); }, nb::arg("seed"));
  m.def("set_num_threads", &set_num_threads, nb::arg("num"));
  m.def("get_num_threads", &get_num_threads);
  m.def("tensor", &tensor_from_data, nb::arg("data"), nb::kw_only(), nb::arg("dtype") = nb::none(),
        nb::arg("requires_grad") = false);

#define EMBER_FACTORY(name)                                                                          \
  m.def(#name, [](nb::args size, std::optional<DType> dtype, bool requires_grad) {                  \
    return ember::name(shape_from_args(size, #name), options(dtype, requires_grad));                \
  }, nb::arg("size"), nb::arg("dtype") = nb::none(), nb::arg("requires_grad") = false)
  EMBER_FACTORY(zeros);
  EMBER_FACTORY(ones);
  EMBER_FACTORY(empty);
  EMBER_FACTORY(rand);
  EMBER_FACTORY(randn);
#undef EMBER_FACTORY

  m.def("relu", [](const Tensor& x) { return relu(x); }, nb::arg("input"));
  m.def("softmax", [](const Tensor& x, int64_t dim) { return softmax(x, dim); }, nb::arg("input"), nb::arg("dim"));
  m.def("log_softmax", [](const Tensor& x, int64_t dim) { return log_softmax(x, dim); }, nb::arg("input"), nb::arg("dim"));
  m.def("matmul", [](const Tensor& a, const Tensor& b) { return matmul(a, b); }, nb::arg("input"), nb::arg("other"));
  m.def("sum", [](const Tensor& a) { return sum(a); }, nb::arg("input"));
  m.def("mean", [](const Tensor& a) { return mean(a); }, nb::arg("input"));
}

}  // namespace ember::py
