// Creation functions (ember.tensor, zeros, arange, rand, ...), ember.Generator and the
// default generator's functions, and Tensor.new_* / the random in-place methods.
#include <cstring>
#include <random>

#include "tensor_ops.h"

namespace ember::py {
namespace {

// Nested Python sequences of numbers -> shape and values; the dtype follows PyTorch's inference
// (any float -> float32, else any int -> int64, else bool).
struct Nested {
  Shape shape;
  std::vector<double> values;
  std::vector<long long> ints;  // exact values when every element is an integer
  int kind = 0;  // 0 bool, 1 int, 2 float
};

bool is_numpy_bool(PyObject* o) {
  const char* name = Py_TYPE(o)->tp_name;
  return std::strcmp(name, "numpy.bool") == 0 || std::strcmp(name, "numpy.bool_") == 0;
}

void walk(nb::handle h, size_t depth, Nested& n) {
  PyObject* o = h.ptr();
  bool is_tensor = nb::isinstance<Tensor>(h);
  bool is_bool = !is_tensor && (PyBool_Check(o) || is_numpy_bool(o));
  bool is_int = !is_tensor && !is_bool && (PyLong_Check(o) || PyIndex_Check(o));
  bool is_float = !is_tensor && !is_bool && !is_int && (PyFloat_Check(o) || (!PySequence_Check(o) && Py_TYPE(o)->tp_as_number &&
                                                                             Py_TYPE(o)->tp_as_number->nb_float));
  if (is_tensor || is_bool || is_int || is_float) {
    if (depth != n.shape.size()) throw nb::value_error("tensor(): the nested sequence is ragged (expected a sequence at this depth)");
    if (is_tensor) {
      const Tensor& t = nb::cast<const Tensor&>(h);
      if (t.numel() != 1 || t.dim() != 0) throw nb::value_error("tensor(): only 0-d tensors can be elements of a nested sequence");
      n.kind = std::max(n.kind, t.is_floating_point() ? 2 : t.dtype() == DType::Bool ? 0 : 1);
      n.values.push_back(t.item<double>());
    } else if (is_bool) {
      n.values.push_back(PyObject_IsTrue(o) == 1);
      n.ints.push_back(PyObject_IsTrue(o) == 1);
    } else if (is_int) {
      n.kind = std::max(n.kind, 1);
      long long v = PyLong_Check(o) ? PyLong_AsLongLong(o) : nb::cast<long long>(nb::steal(PyNumber_Index(o)));
      if (v == -1 && PyErr_Occurred()) throw nb::python_error();
      n.values.push_back(static_cast<double>(v));
      n.ints.push_back(v);
    } else {
      n.kind = 2;
      double v = PyFloat_AsDouble(o);
      if (v == -1.0 && PyErr_Occurred()) throw nb::python_error();
      n.values.push_back(v);
    }
    return;
  }
  if (!PySequence_Check(o) || PyUnicode_Check(o) || PyBytes_Check(o))
    type_error("tensor", "data", "a number or a (nested) sequence of numbers", h);
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
  Tensor t;
  if (nb::isinstance<Tensor>(data)) {
    t = nb::cast<const Tensor&>(data).detach().clone();
  } else if (is_array_like(data)) {  // numpy arrays and scalars keep their dtype, as in torch
    t = tensor_from_array(data, "tensor").clone();
  } else {
    Nested n;
    walk(data, 0, n);
    // no elements at all (tensor([])) is float32, as in torch
    DType dt = n.kind == 2 || n.values.empty() ? DType::Float32 : n.kind == 1 ? DType::Int64 : DType::Bool;
    if (n.kind == 1) t = host_tensor(std::vector<int64_t>(n.ints.begin(), n.ints.end()), n.shape, DType::Int64);  // exact beyond 2^53
    // Python floats are doubles: tensor([0.1], dtype=float64) keeps all their bits.
    else t = host_tensor(n.values, n.shape, dtype == DType::Float64 ? DType::Float64 : dt);
    if (!dtype) dtype = dt;
  }
  t = maybe_to(t, dtype);
  if (requires_grad) t.requires_grad_(true);
  return t;
}

namespace {

TensorOptions options(std::optional<DType> dtype, nb::handle device, bool requires_grad, const char* op,
                      DType fallback = DType::Float32) {
  TensorOptions o(dtype.value_or(fallback));
  o.requires_grad = requires_grad;
  o.device = device_arg(device, op);
  return o;
}

DType dtype_of_scalar(Scalar s) {
  return s.kind == Scalar::Kind::Float ? DType::Float32 : s.kind == Scalar::Kind::Int ? DType::Int64 : DType::Bool;
}

Tensor finish(Tensor t, bool requires_grad) {
  if (requires_grad) t.requires_grad_(true);
  return t;
}

uint64_t seed_arg(nb::handle h) {  // negative seeds wrap, as in torch
  uint64_t s = PyLong_AsUnsignedLongLongMask(h.ptr());
  if (PyErr_Occurred()) throw nb::python_error();
  return s;
}

nb::bytes state_bytes(const Generator& g) {
  std::vector<uint8_t> v = g.get_state();
  return nb::bytes(reinterpret_cast<const char*>(v.data()), v.size());
}

void set_state_from(Generator& g, nb::handle state) {
  std::vector<uint8_t> v;
  if (nb::isinstance<nb::bytes>(state)) {
    nb::bytes b = nb::borrow<nb::bytes>(state);
    v.assign(static_cast<const uint8_t*>(b.data()), static_cast<const uint8_t*>(b.data()) + b.size());
  } else if (nb::isinstance<Tensor>(state)) {
    for (int64_t x : nb::cast<const Tensor&>(state).to_vector<int64_t>()) v.push_back(static_cast<uint8_t>(x));
  } else {
    type_error("set_state", "new_state", "bytes (from get_state()) or a Tensor", state);
  }
  g.set_state(v);
}

uint64_t fresh_seed(Generator& g) {
  std::random_device rd;
  uint64_t s = (static_cast<uint64_t>(rd()) << 32) ^ rd();
  g.manual_seed(s);
  return s;
}

}  // namespace

void init_ops(nb::module_& m) {
  m.def("set_num_threads", &set_num_threads, nb::arg("num"));
  m.def("get_num_threads", &get_num_threads);

  // ---- random numbers ----
  nb::class_<Generator>(m, "Generator")
      .def("__init__", [](Generator* g, nb::handle device) { device_arg(device, "Generator"); new (g) Generator(); },
           nb::arg("device") = "cpu")
      .def("manual_seed", [](nb::object self, nb::handle s) { nb::cast<Generator&>(self).manual_seed(seed_arg(s)); return self; },
           nb::arg("seed"))
      .def("seed", &fresh_seed)
      .def("initial_seed", &Generator::seed)
      .def("get_state", &state_bytes)
      .def("set_state", [](nb::object self, nb::handle st) { set_state_from(nb::cast<Generator&>(self), st); return self; },
           nb::arg("new_state"))
      .def_prop_ro("device", [](const Generator&) { return kCPU; });
  m.attr("default_generator") = nb::cast(&default_generator(), nb::rv_policy::reference);
  m.def("manual_seed", [](nb::handle s) { default_generator().manual_seed(seed_arg(s)); return &default_generator(); },
        nb::arg("seed"), nb::rv_policy::reference);
  m.def("seed", []() { return fresh_seed(default_generator()); });
  m.def("initial_seed", []() { return default_generator().seed(); });
  m.def("get_rng_state", []() { return state_bytes(default_generator()); });
  m.def("set_rng_state", [](nb::handle st) { set_state_from(default_generator(), st); }, nb::arg("new_state"));

  // ---- creation ----
  auto dtype = nb::arg("dtype").none() = nb::none();
  auto device = nb::arg("device").none() = nb::none();
  auto rg = nb::arg("requires_grad") = false;
  auto gen = nb::arg("generator").none() = nb::none();
  m.def("tensor", [](nb::handle data, std::optional<DType> dt, nb::handle dev, bool r) {
    device_arg(dev, "tensor");
    return tensor_from_data(data, dt, r);
  }, nb::arg("data"), nb::kw_only(), dtype, device, rg);
  m.def("as_tensor", [](nb::handle data, std::optional<DType> dt, nb::handle dev) {
    device_arg(dev, "as_tensor");
    if (nb::isinstance<Tensor>(data)) return maybe_to(nb::cast<const Tensor&>(data), dt);
    if (is_array_like(data)) return maybe_to(tensor_from_array(data, "as_tensor"), dt);
    return tensor_from_data(data, dt, false);
  }, nb::arg("data"), dtype, device);

#define EMBER_FACTORY(name)                                                                             \
  m.def(#name, [](nb::args size, std::optional<DType> dt, nb::handle dev, bool r) {                    \
    return ember::name(shape_from_args(size, #name), options(dt, dev, r, #name));                      \
  }, nb::arg("size"), nb::kw_only(), dtype, device, rg)
  EMBER_FACTORY(zeros);
  EMBER_FACTORY(ones);
  EMBER_FACTORY(empty);
#undef EMBER_FACTORY
  m.def("rand", [](nb::args size, Generator* g, std::optional<DType> dt, nb::handle dev, bool r) {
    return rand(shape_from_args(size, "rand"), options(dt, dev, r, "rand"), g);
  }, nb::arg("size"), nb::kw_only(), gen, dtype, device, rg);
  m.def("randn", [](nb::args size, Generator* g, std::optional<DType> dt, nb::handle dev, bool r) {
    return randn(shape_from_args(size, "randn"), options(dt, dev, r, "randn"), g);
  }, nb::arg("size"), nb::kw_only(), gen, dtype, device, rg);
  m.def("full", [](nb::handle size, Scalar v, std::optional<DType> dt, nb::handle dev, bool r) {
    return full(shape_from_object(size, "full"), v, options(dt, dev, r, "full", dtype_of_scalar(v)));
  }, nb::arg("size"), nb::arg("fill_value"), nb::kw_only(), dtype, device, rg);
  m.def("scalar_tensor", [](Scalar v, std::optional<DType> dt, nb::handle dev, bool r) {
    return scalar_tensor(v, options(dt, dev, r, "scalar_tensor"));
  }, nb::arg("s"), nb::kw_only(), dtype, device, rg);

  // *_like: input's shape, and its dtype unless dtype= is given.
  auto like = [](const Tensor& t, std::optional<DType> dt, nb::handle dev, bool r, const char* op) {
    return options(dt.value_or(t.dtype()), dev, r, op);
  };
  m.def("zeros_like", [like](const Tensor& t, std::optional<DType> dt, nb::handle dev, bool r) {
    return zeros(t.shape(), like(t, dt, dev, r, "zeros_like"));
  }, nb::arg("input"), nb::kw_only(), dtype, device, rg);
  m.def("ones_like", [like](const Tensor& t, std::optional<DType> dt, nb::handle dev, bool r) {
    return ones(t.shape(), like(t, dt, dev, r, "ones_like"));
  }, nb::arg("input"), nb::kw_only(), dtype, device, rg);
  m.def("empty_like", [like](const Tensor& t, std::optional<DType> dt, nb::handle dev, bool r) {
    return empty(t.shape(), like(t, dt, dev, r, "empty_like"));
  }, nb::arg("input"), nb::kw_only(), dtype, device, rg);
  m.def("full_like", [like](const Tensor& t, Scalar v, std::optional<DType> dt, nb::handle dev, bool r) {
    return full(t.shape(), v, like(t, dt, dev, r, "full_like"));
  }, nb::arg("input"), nb::arg("fill_value"), nb::kw_only(), dtype, device, rg);
  m.def("rand_like", [like](const Tensor& t, Generator* g, std::optional<DType> dt, nb::handle dev, bool r) {
    return rand(t.shape(), like(t, dt, dev, r, "rand_like"), g);
  }, nb::arg("input"), nb::kw_only(), gen, dtype, device, rg);
  m.def("randn_like", [like](const Tensor& t, Generator* g, std::optional<DType> dt, nb::handle dev, bool r) {
    return randn(t.shape(), like(t, dt, dev, r, "randn_like"), g);
  }, nb::arg("input"), nb::kw_only(), gen, dtype, device, rg);
  m.def("randint_like", [like](const Tensor& t, int64_t high, Generator* g, std::optional<DType> dt, nb::handle dev, bool r) {
    return randint(0, high, t.shape(), like(t, dt, dev, r, "randint_like"), g);
  }, nb::arg("input"), nb::arg("high"), nb::kw_only(), gen, dtype, device, rg);
  m.def("randint_like", [like](const Tensor& t, int64_t low, int64_t high, Generator* g, std::optional<DType> dt, nb::handle dev, bool r) {
    return randint(low, high, t.shape(), like(t, dt, dev, r, "randint_like"), g);
  }, nb::arg("input"), nb::arg("low"), nb::arg("high"), nb::kw_only(), gen, dtype, device, rg);

  m.def("arange", [](Scalar end, std::optional<DType> dt, nb::handle dev, bool r) {
    device_arg(dev, "arange");
    return finish(dt ? arange(Scalar(0), end, Scalar(1), TensorOptions(*dt)) : arange(end), r);
  }, nb::arg("end"), nb::kw_only(), dtype, device, rg);
  m.def("arange", [](Scalar start, Scalar end, Scalar step, std::optional<DType> dt, nb::handle dev, bool r) {
    device_arg(dev, "arange");
    return finish(dt ? arange(start, end, step, TensorOptions(*dt)) : arange(start, end, step), r);
  }, nb::arg("start"), nb::arg("end"), nb::arg("step") = 1, nb::kw_only(), dtype, device, rg);
  m.def("linspace", [](double start, double end, int64_t steps, std::optional<DType> dt, nb::handle dev, bool r) {
    return linspace(start, end, steps, options(dt, dev, r, "linspace"));
  }, nb::arg("start"), nb::arg("end"), nb::arg("steps"), nb::kw_only(), dtype, device, rg);
  m.def("eye", [](int64_t n, std::optional<int64_t> cols, std::optional<DType> dt, nb::handle dev, bool r) {
    return eye(n, cols, options(dt, dev, r, "eye"));
  }, nb::arg("n"), nb::arg("m").none() = nb::none(), nb::kw_only(), dtype, device, rg);
  m.def("randint", [](int64_t high, nb::handle size, Generator* g, std::optional<DType> dt, nb::handle dev, bool r) {
    return randint(0, high, shape_from_object(size, "randint"), options(dt, dev, r, "randint", DType::Int64), g);
  }, nb::arg("high"), nb::arg("size"), nb::kw_only(), gen, dtype, device, rg);
  m.def("randint", [](int64_t low, int64_t high, nb::handle size, Generator* g, std::optional<DType> dt, nb::handle dev, bool r) {
    return randint(low, high, shape_from_object(size, "randint"), options(dt, dev, r, "randint", DType::Int64), g);
  }, nb::arg("low"), nb::arg("high"), nb::arg("size"), nb::kw_only(), gen, dtype, device, rg);
  m.def("randperm", [](int64_t n, Generator* g, std::optional<DType> dt, nb::handle dev, bool r) {
    device_arg(dev, "randperm");
    return finish(maybe_to(randperm(n, g), dt), r);
  }, nb::arg("n"), nb::kw_only(), gen, dtype, device, rg);
  m.def("bernoulli", [](const Tensor& p, Generator* g) { return bernoulli(p, g); }, nb::arg("input"), nb::kw_only(), gen);
  m.def("bernoulli", [](const Tensor& t, double p, Generator* g) {
    return bernoulli(full(t.shape(), p, t.is_floating_point() ? t.dtype() : DType::Float32), g).to(t.dtype());
  }, nb::arg("input"), nb::arg("p"), nb::kw_only(), gen);
  m.def("normal", [](double mean, double std, nb::handle size, Generator* g, std::optional<DType> dt, nb::handle dev, bool r) {
    Tensor t = randn(shape_from_object(size, "normal"), options(dt, dev, false, "normal"), g) * Scalar(std) + Scalar(mean);
    return finish(t, r);
  }, nb::arg("mean"), nb::arg("std"), nb::arg("size"), nb::kw_only(), gen, dtype, device, rg);
  m.def("normal", [](const Tensor& mean, const Tensor& std, Generator* g) {
    return randn(broadcast_shapes(mean.shape(), std.shape(), "normal"), TensorOptions(mean.dtype()), g) * std + mean;
  }, nb::arg("mean"), nb::arg("std"), nb::kw_only(), gen);
  m.def("normal", [](const Tensor& mean, double std, Generator* g) {
    return randn(mean.shape(), TensorOptions(mean.dtype()), g) * Scalar(std) + mean;
  }, nb::arg("mean"), nb::arg("std") = 1.0, nb::kw_only(), gen);
}

// Tensor.new_*: like the factories, with self's dtype and device unless given.
void init_tensor_factories(nb::module_&, nb::class_<Tensor>& cls) {
  auto dtype = nb::arg("dtype").none() = nb::none();
  auto device = nb::arg("device").none() = nb::none();
  auto rg = nb::arg("requires_grad") = false;
  auto opts = [](const Tensor& t, std::optional<DType> dt, nb::handle dev, bool r, const char* op) {
    TensorOptions o(dt.value_or(t.dtype()));
    o.requires_grad = r;
    o.device = dev.is_none() ? t.device() : device_arg(dev, op);
    return o;
  };
  cls.def("new_zeros", [opts](const Tensor& t, nb::args size, std::optional<DType> dt, nb::handle dev, bool r) {
    return zeros(shape_from_args(size, "new_zeros"), opts(t, dt, dev, r, "new_zeros"));
  }, nb::arg("size"), nb::kw_only(), dtype, device, rg);
  cls.def("new_ones", [opts](const Tensor& t, nb::args size, std::optional<DType> dt, nb::handle dev, bool r) {
    return ones(shape_from_args(size, "new_ones"), opts(t, dt, dev, r, "new_ones"));
  }, nb::arg("size"), nb::kw_only(), dtype, device, rg);
  cls.def("new_empty", [opts](const Tensor& t, nb::args size, std::optional<DType> dt, nb::handle dev, bool r) {
    return empty(shape_from_args(size, "new_empty"), opts(t, dt, dev, r, "new_empty"));
  }, nb::arg("size"), nb::kw_only(), dtype, device, rg);
  cls.def("new_full", [opts](const Tensor& t, nb::handle size, Scalar v, std::optional<DType> dt, nb::handle dev, bool r) {
    return full(shape_from_object(size, "new_full"), v, opts(t, dt, dev, r, "new_full"));
  }, nb::arg("size"), nb::arg("fill_value"), nb::kw_only(), dtype, device, rg);
  cls.def("new_tensor", [](const Tensor& t, nb::handle data, std::optional<DType> dt, nb::handle dev, bool r) {
    device_arg(dev, "new_tensor");
    return tensor_from_data(data, dt.value_or(t.dtype()), r);
  }, nb::arg("data"), nb::kw_only(), dtype, device, rg);
  cls.def("uniform_", [](nb::object self, double from, double to, Generator* g) {
    Tensor& t = nb::cast<Tensor&>(self);
    if (!g) { t.uniform_(from, to); return self; }
    NoGradGuard ng;
    t.copy_(rand(t.shape(), TensorOptions(t.dtype()), g) * Scalar(to - from) + Scalar(from));
    return self;
  }, nb::arg("from_") = 0.0, nb::arg("to") = 1.0, nb::kw_only(), nb::arg("generator").none() = nb::none());
  cls.def("normal_", [](nb::object self, double mean, double std, Generator* g) {
    Tensor& t = nb::cast<Tensor&>(self);
    if (!g) { t.normal_(mean, std); return self; }
    NoGradGuard ng;
    t.copy_(randn(t.shape(), TensorOptions(t.dtype()), g) * Scalar(std) + Scalar(mean));
    return self;
  }, nb::arg("mean") = 0.0, nb::arg("std") = 1.0, nb::kw_only(), nb::arg("generator").none() = nb::none());
  cls.def("bernoulli", [](const Tensor& t, Generator* g) { return bernoulli(t, g); }, nb::kw_only(), nb::arg("generator").none() = nb::none());
  cls.def("bernoulli_", [](nb::object self, double p, Generator* g) {
    Tensor& t = nb::cast<Tensor&>(self);
    NoGradGuard ng;
    t.copy_(bernoulli(full(t.shape(), p, t.is_floating_point() ? t.dtype() : DType::Float32), g));
    return self;
  }, nb::arg("p") = 0.5, nb::kw_only(), nb::arg("generator").none() = nb::none());
}

}  // namespace ember::py
