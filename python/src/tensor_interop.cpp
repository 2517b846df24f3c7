// numpy and DLPack, both ways and without copies: t.numpy(), __array__, __dlpack__,
// ember.from_numpy / from_dlpack (the tensor keeps the producer alive); t.tolist().
#include <nanobind/ndarray.h>

#include "tensor_ops.h"

namespace ember::py {
namespace {

namespace dl = nb::dlpack;
using namespace nb::literals;

dl::dtype dl_dtype(DType d) {
  auto make = [](dl::dtype_code c, uint8_t bits) { return dl::dtype{static_cast<uint8_t>(c), bits, 1}; };
  switch (d) {
    case DType::Bool: return make(dl::dtype_code::Bool, 8);
    case DType::Int32: return make(dl::dtype_code::Int, 32);
    case DType::Int64: return make(dl::dtype_code::Int, 64);
    case DType::Float16: return make(dl::dtype_code::Float, 16);
    case DType::BFloat16: return make(dl::dtype_code::Bfloat, 16);
    case DType::Float32: return make(dl::dtype_code::Float, 32);
    case DType::Float64: return make(dl::dtype_code::Float, 64);
  }
  throw Error("dlpack: unknown dtype");
}

std::optional<DType> ember_dtype(dl::dtype t) {
  if (t.lanes != 1) return std::nullopt;
  switch (static_cast<dl::dtype_code>(t.code)) {
    case dl::dtype_code::Bool: if (t.bits == 8) return DType::Bool; break;
    case dl::dtype_code::Int: if (t.bits == 32) return DType::Int32; if (t.bits == 64) return DType::Int64; break;
    case dl::dtype_code::Float:
      if (t.bits == 16) return DType::Float16;
      if (t.bits == 32) return DType::Float32;
      if (t.bits == 64) return DType::Float64;
      break;
    case dl::dtype_code::Bfloat: if (t.bits == 16) return DType::BFloat16; break;
    default: break;
  }
  return std::nullopt;
}

// A view of t's memory as an ndarray of `Framework`; the capsule owner keeps t (and its
// storage) alive for as long as the array lives.
template <typename Framework>
nb::ndarray<Framework> as_ndarray(const Tensor& t, const char* op) {
  EMBER_CHECK(t.device().is_cpu(), op, "the tensor is on ", t.device().str(), "; copy it to the CPU first with .cpu()");
  std::vector<size_t> shape(t.shape().begin(), t.shape().end());
  nb::capsule owner(new Tensor(t), [](void* p) noexcept { delete static_cast<Tensor*>(p); });
  return nb::ndarray<Framework>(t.raw_data(), shape.size(), shape.data(), owner, t.strides().data(), dl_dtype(t.dtype()),
                                nb::device::cpu::value);
}

nb::object numpy_of(const Tensor& t, bool force) {
  Tensor src = t;
  if (t.requires_grad()) {
    EMBER_CHECK(force, "numpy", "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.");
    src = t.detach();
  }
  if (t.dtype() == DType::BFloat16) throw nb::type_error("Got unsupported ScalarType BFloat16 (numpy has no bfloat16; use .float() first)");
  return nb::cast(as_ndarray<nb::numpy>(src, "numpy"));
}

bool is_numpy_array(nb::handle h) {
  nb::handle tp = (PyObject*)Py_TYPE(h.ptr());
  return std::string(((PyTypeObject*)tp.ptr())->tp_name) == "numpy.ndarray";
}

// Nested lists of Python numbers from a flat row-major vector.
template <typename T>
nb::object nest(const std::vector<T>& v, const Shape& shape, size_t dim, int64_t& pos) {
  if (dim == shape.size()) {
    T x = v[pos++];
    if constexpr (std::is_same_v<T, bool>) return nb::bool_(x);
    else return nb::cast(x);
  }
  nb::list out;
  for (int64_t i = 0; i < shape[dim]; ++i) out.append(nest(v, shape, dim + 1, pos));
  return std::move(out);
}

nb::object tolist(const Tensor& t) {
  int64_t pos = 0;
  if (t.dtype() == DType::Bool) {
    std::vector<bool> raw = t.to_vector<bool>();
    return nest(raw, t.shape(), 0, pos);
  }
  if (is_integral(t.dtype())) return nest(t.to_vector<int64_t>(), t.shape(), 0, pos);
  return nest(t.to_vector<double>(), t.shape(), 0, pos);
}

}  // namespace

bool is_array_like(nb::handle h) {
  if (nb::isinstance<Tensor>(h) || PyList_Check(h.ptr()) || PyTuple_Check(h.ptr())) return false;
  return nb::hasattr(h, "__array_interface__") || nb::hasattr(h, "__dlpack__") || nb::hasattr(h, "__array_struct__");
}

Tensor tensor_from_array(nb::handle obj, const char* op) {
  nb::ndarray<nb::ro> a;
  if (!nb::try_cast(obj, a, false)) {
    // numpy scalars and other __array__ producers: as a numpy array first (a view where possible)
    nb::object arr;
    try {
      arr = nb::module_::import_("numpy").attr("asarray")(obj);
    } catch (nb::python_error&) {
    }
    if (!arr.is_valid() || !nb::try_cast(arr, a, false))
      type_error(op, "data", "a numpy array or an object with __dlpack__ (of a supported dtype, on the CPU)", obj);
  }
  EMBER_CHECK(a.device_type() == nb::device::cpu::value, op, "only CPU arrays are supported (got DLPack device type ", a.device_type(), ")");
  std::optional<DType> dt = ember_dtype(a.dtype());
  if (!dt)
    throw nb::type_error((std::string(op) + "(): unsupported dtype (DLPack code " + std::to_string(a.dtype().code) + ", " +
                          std::to_string(a.dtype().bits) + " bits); Ember supports bool, int32, int64, float16, bfloat16, float32 and float64")
                             .c_str());
  Shape shape(a.ndim()), strides(a.ndim());
  int64_t numel = 1, extent = 1;
  for (size_t i = 0; i < a.ndim(); ++i) {
    shape[i] = static_cast<int64_t>(a.shape(i));
    strides[i] = a.stride(i);
    if (strides[i] < 0)
      throw nb::value_error("At least one stride in the given numpy array is negative, and tensors with negative strides are not "
                            "currently supported. (You can probably work around this by making a copy of your array with array.copy().)");
    numel *= shape[i];
    extent += (shape[i] - 1) * strides[i];
  }
  if (numel == 0) extent = 0;
  auto* keep = new nb::ndarray<nb::ro>(a);
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = Storage::from_external(const_cast<void*>(a.data()), static_cast<size_t>(extent) * itemsize(*dt), [keep](void*) {
    if (!Py_IsInitialized()) return;  // at exit, the producer is gone with the interpreter
    nb::gil_scoped_acquire gil;
    delete keep;
  });
  impl->shape = shape;
  impl->strides = strides;
  impl->numel = numel;
  impl->dtype = *dt;
  return Tensor(std::move(impl));
}

void init_tensor_interop(nb::module_& m, nb::class_<Tensor>& cls) {
  cls.def("numpy", &numpy_of, nb::kw_only(), nb::arg("force") = false);
  cls.def("__array__", [](const Tensor& t, nb::handle dtype, nb::handle copy) {
    Tensor src = t.detach();
    if (src.dtype() == DType::BFloat16) src = src.to(DType::Float32);
    nb::object arr = numpy_of(src, false);
    if (!dtype.is_none()) arr = arr.attr("astype")(dtype, "copy"_a = false);
    if (nb::isinstance<nb::bool_>(copy) && nb::cast<bool>(copy)) arr = arr.attr("copy")();
    return arr;
  }, nb::arg("dtype").none() = nb::none(), nb::kw_only(), nb::arg("copy").none() = nb::none());
  cls.attr("__array_priority__") = 1000;  // numpy defers to Tensor's reflected operators
  cls.def("__dlpack__", [](const Tensor& t, nb::kwargs kwargs) {
    EMBER_CHECK(!t.requires_grad(), "__dlpack__", "Can't export tensors that require gradient, use tensor.detach()");
    nb::object arr = nb::cast(as_ndarray<nb::array_api>(t, "__dlpack__"));
    return arr.attr("__dlpack__")(**kwargs);
  });
  cls.def("__dlpack_device__", [](const Tensor& t) {
    return nb::make_tuple(t.device().is_cpu() ? 1 : 2, t.device().is_cpu() ? 0 : static_cast<int>(t.device().index));
  });
  cls.def("tolist", &tolist);
  m.def("from_numpy", [](nb::handle a) {
    if (!is_numpy_array(a)) type_error("from_numpy", "ndarray", "a numpy.ndarray", a);
    return tensor_from_array(a, "from_numpy");
  }, nb::arg("ndarray"));
  m.def("from_dlpack", [](nb::handle x) {
    if (nb::isinstance<Tensor>(x)) return nb::cast<Tensor>(x);
    return tensor_from_array(x, "from_dlpack");
  }, nb::arg("ext_tensor"));
}

}  // namespace ember::py
