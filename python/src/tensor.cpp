// ember.Tensor: a handle to ember::Tensor (copies alias the data, as torch.Tensor objects do).
// Metadata, autograd, conversions, views, arithmetic operators. Hot paths (operators, item,
// backward) are bound directly, with no Python in between.
#include <cmath>

#include "tensor_ops.h"

namespace ember::py {

std::optional<Shape> dims_arg(nb::handle h, const char* op, const char* arg) {
  if (h.is_none()) return std::nullopt;
  return shape_from_object(h, op, arg);
}

Device device_arg(nb::handle h, const char* op) {
  if (h.is_none()) return default_device();
  if (nb::isinstance<Device>(h)) return nb::cast<Device>(h);
  if (nb::isinstance<nb::str>(h)) return nb::cast<Device>(nb::module_::import_("ember._C").attr("device")(h));
  type_error(op, "device", "an ember.device or str", h);
}

namespace {

nb::object tensor_or_none(const Tensor& t) { return t.defined() ? nb::cast(t) : nb::none(); }

// to(dtype), to(device), to(other), to("cpu"), to(device, dtype): PyTorch's overloads.
Tensor tensor_to(const Tensor& self, nb::args args, nb::kwargs kwargs) {
  Tensor out = self;
  auto apply = [&](nb::handle a) {
    if (nb::isinstance<DType>(a)) out = out.to(nb::cast<DType>(a));
    else if (nb::isinstance<Device>(a)) out = out.to(nb::cast<Device>(a));
    else if (nb::isinstance<Tensor>(a)) { const Tensor& o = nb::cast<const Tensor&>(a); out = out.to(o.dtype()).to(o.device()); }
    else if (nb::isinstance<nb::str>(a)) out = out.to(nb::cast<Device>(nb::module_::import_("ember._C").attr("device")(a)));
    else if (!a.is_none()) type_error("Tensor.to", "dtype", "an ember.dtype, ember.device, str or Tensor", a);
  };
  for (nb::handle a : args) apply(a);
  for (auto [k, v] : kwargs) {
    std::string key = nb::cast<std::string>(k);
    if (key == "dtype" || key == "device" || key == "other") apply(v);
    else if (key != "non_blocking" && key != "copy")
      throw nb::type_error(("Tensor.to(): unexpected keyword argument '" + key + "'").c_str());
  }
  return out;
}

// The int / float / bool a one-element tensor holds, as Python's type for its dtype.
nb::object item(const Tensor& t) {
  EMBER_CHECK(t.numel() == 1, "item", "a Tensor with ", t.numel(), " elements cannot be converted to a Python number");
  if (t.dtype() == DType::Bool) return nb::bool_(t.item<bool>());
  if (is_integral(t.dtype())) return nb::int_(t.item<int64_t>());
  return nb::float_(t.item<double>());
}

template <typename F>
auto inplace(F f) {
  return [f](nb::object self, nb::handle other) -> nb::object {
    Tensor& t = nb::cast<Tensor&>(self);
    if (nb::isinstance<Tensor>(other)) f(t, nb::cast<const Tensor&>(other));
    else f(t, nb::cast<Scalar>(other));
    return self;
  };
}

}  // namespace

void init_tensor(nb::module_& m) {
  auto cls = nb::class_<Tensor>(m, "Tensor");
  cls.def(nb::init<>())
      .def(nb::init<const Tensor&>(), nb::arg("other"))
      // ---- metadata ----
      .def_prop_ro("shape", [](const Tensor& t) { return nb::tuple(nb::cast(t.shape())); })
      .def("size", [](const Tensor& t, std::optional<int64_t> dim) -> nb::object {
        if (dim) return nb::int_(t.size(*dim));
        return nb::tuple(nb::cast(t.shape()));
      }, nb::arg("dim") = nb::none())
      .def("stride", [](const Tensor& t, std::optional<int64_t> dim) -> nb::object {
        if (dim) return nb::int_(t.stride(*dim));
        return nb::tuple(nb::cast(t.strides()));
      }, nb::arg("dim") = nb::none())
      .def_prop_ro("ndim", &Tensor::dim)
      .def("dim", &Tensor::dim)
      .def("ndimension", &Tensor::dim)
      .def("numel", &Tensor::numel)
      .def("nelement", &Tensor::numel)
      .def("element_size", &Tensor::element_size)
      .def_prop_ro("dtype", &Tensor::dtype)
      .def_prop_ro("device", &Tensor::device)
      .def_prop_ro("is_cuda", [](const Tensor& t) { return t.device().type == Device::Type::CUDA; })
      .def_prop_ro("is_cpu", [](const Tensor& t) { return t.device().is_cpu(); })
      .def("is_contiguous", &Tensor::is_contiguous)
      .def("is_floating_point", &Tensor::is_floating_point)
      .def("storage_offset", &Tensor::storage_offset)
      .def_prop_ro("_version", &Tensor::version)
      .def("data_ptr", [](const Tensor& t) { return reinterpret_cast<uintptr_t>(t.raw_data()); })
      .def("is_set_to", [](const Tensor& a, const Tensor& b) { return a.is_same(b); })
      .def("_is_same", [](const Tensor& a, const Tensor& b) { return a.is_same(b); })
      .def("__len__", [](const Tensor& t) {
        if (t.dim() == 0) throw nb::type_error("len() of a 0-d tensor");
        return t.size(0);
      })
      .def("__repr__", [](const Tensor& t) { return t.defined() ? to_string(t) : std::string("tensor(<undefined>)"); })
      .def("__hash__", [](nb::handle h) { return reinterpret_cast<intptr_t>(h.ptr()); })
      .def("item", &item)
      .def("__float__", [](const Tensor& t) { return nb::float_(item(t)); })
      .def("__int__", [](const Tensor& t) { return nb::int_(item(t)); })
      .def("__index__", [](const Tensor& t) {
        if (!is_integral(t.dtype(), true)) throw nb::type_error("only integer tensors of a single element can be converted to an index");
        return nb::int_(item(t));
      })
      .def("__bool__", [](const Tensor& t) {
        EMBER_CHECK(t.numel() == 1, "Tensor.__bool__", "a Tensor with ", t.numel(),
                    " elements has no single truth value; use .any() or .all()");
        return t.item<double>() != 0;
      })
      // ---- autograd ----
      .def_prop_rw("requires_grad", &Tensor::requires_grad,
                   [](Tensor& t, bool r) { t.requires_grad_(r); })
      .def("requires_grad_", [](nb::object self, bool r) { nb::cast<Tensor&>(self).requires_grad_(r); return self; },
           nb::arg("requires_grad") = true)
      .def_prop_rw("grad", [](const Tensor& t) { return tensor_or_none(t.grad()); },
                   [](Tensor& t, nb::handle g) { t.set_grad(g.is_none() ? Tensor() : nb::cast<const Tensor&>(g)); },
                   nb::arg("grad").none())
      .def_prop_ro("is_leaf", &Tensor::is_leaf)
      .def("retain_grad", &Tensor::retain_grad)
      .def("backward", [](const Tensor& t, std::optional<Tensor> gradient, std::optional<bool> retain_graph, bool create_graph) {
        nb::gil_scoped_release release;  // a Python autograd.Function's backward takes it back
        t.backward(gradient.value_or(Tensor()), retain_graph.value_or(create_graph), create_graph);
      }, nb::arg("gradient") = nb::none(), nb::arg("retain_graph") = nb::none(), nb::arg("create_graph") = false)
      .def("detach", &Tensor::detach)
      .def("detach_", [](nb::object self) { nb::cast<Tensor&>(self).detach_(); return self; })
      .def_prop_rw("data", &Tensor::detach, [](Tensor& t, const Tensor& v) {
        NoGradGuard g;
        EMBER_CHECK(v.shape() == t.shape() && v.dtype() == t.dtype(), "Tensor.data", "assigning a tensor of shape ",
                    shape_str(v.shape()), " and dtype ", dtype_name(v.dtype()), " to one of shape ", shape_str(t.shape()),
                    " and dtype ", dtype_name(t.dtype()), "; they must match");
        t.copy_(v);
      })
      // ---- conversion and copies ----
      .def("to", &tensor_to)
      .def("float", [](const Tensor& t) { return t.to(DType::Float32); })
      .def("double", [](const Tensor& t) { return t.to(DType::Float64); })
      .def("half", [](const Tensor& t) { return t.to(DType::Float16); })
      .def("bfloat16", [](const Tensor& t) { return t.to(DType::BFloat16); })
      .def("long", [](const Tensor& t) { return t.to(DType::Int64); })
      .def("int", [](const Tensor& t) { return t.to(DType::Int32); })
      .def("bool", [](const Tensor& t) { return t.to(DType::Bool); })
      .def("cpu", [](const Tensor& t) { return t.to(kCPU); })
      .def("clone", &Tensor::clone)
      .def("contiguous", &Tensor::contiguous)
      .def("copy_", [](nb::object self, const Tensor& src) { nb::cast<Tensor&>(self).copy_(src); return self; }, nb::arg("src"))
      // ---- views ----
      .def("view", [](const Tensor& t, nb::args shape) {
        if (shape.size() == 1 && nb::isinstance<DType>(shape[0])) throw nb::type_error("Tensor.view(dtype) is not supported; use .to(dtype)");
        return t.view(shape_from_args(shape, "view", "shape"));
      })
      .def("reshape", [](const Tensor& t, nb::args shape) { return t.reshape(shape_from_args(shape, "reshape", "shape")); })
      .def("view_as", [](const Tensor& t, const Tensor& o) { return t.view(o.shape()); }, nb::arg("other"))
      .def("reshape_as", [](const Tensor& t, const Tensor& o) { return t.reshape(o.shape()); }, nb::arg("other"))
      .def("expand", [](const Tensor& t, nb::args shape) { return t.expand(shape_from_args(shape, "expand")); })
      .def("expand_as", &Tensor::expand_as, nb::arg("other"))
      .def("permute", [](const Tensor& t, nb::args dims) { return t.permute(shape_from_args(dims, "permute", "dims")); })
      .def("t", &Tensor::t)
      .def_prop_ro("T", [](const Tensor& t) {
        Shape dims(t.dim());
        for (int64_t i = 0; i < t.dim(); ++i) dims[i] = t.dim() - 1 - i;
        return t.permute(dims);
      })
      .def_prop_ro("mT", [](const Tensor& t) { return t.transpose(-2, -1); })
      .def("narrow", &Tensor::narrow, nb::arg("dim"), nb::arg("start"), nb::arg("length"))
      .def("select", &Tensor::select, nb::arg("dim"), nb::arg("index"))
      .def("unsqueeze", &Tensor::unsqueeze, nb::arg("dim"))
      .def("flatten", &Tensor::flatten, nb::arg("start_dim") = 0, nb::arg("end_dim") = -1)
      .def("unflatten", &Tensor::unflatten, nb::arg("dim"), nb::arg("sizes"))
      // ---- arithmetic operators (PyTorch's type promotion with Python numbers) ----
      .def("__add__", [](const Tensor& a, const Tensor& b) { return a + b; }, nb::is_operator())
      .def("__add__", [](const Tensor& a, Scalar b) { return a + b; }, nb::is_operator())
      .def("__radd__", [](const Tensor& a, Scalar b) { return b + a; }, nb::is_operator())
      .def("__sub__", [](const Tensor& a, const Tensor& b) { return a - b; }, nb::is_operator())
      .def("__sub__", [](const Tensor& a, Scalar b) { return a - b; }, nb::is_operator())
      .def("__rsub__", [](const Tensor& a, Scalar b) { return b - a; }, nb::is_operator())
      .def("__mul__", [](const Tensor& a, const Tensor& b) { return a * b; }, nb::is_operator())
      .def("__mul__", [](const Tensor& a, Scalar b) { return a * b; }, nb::is_operator())
      .def("__rmul__", [](const Tensor& a, Scalar b) { return b * a; }, nb::is_operator())
      .def("__truediv__", [](const Tensor& a, const Tensor& b) { return a / b; }, nb::is_operator())
      .def("__truediv__", [](const Tensor& a, Scalar b) { return a / b; }, nb::is_operator())
      .def("__rtruediv__", [](const Tensor& a, Scalar b) { return b / a; }, nb::is_operator())
      .def("__matmul__", [](const Tensor& a, const Tensor& b) { return matmul(a, b); }, nb::is_operator())
      .def("__pow__", [](const Tensor& a, const Tensor& b) { return pow(a, b); }, nb::is_operator())
      .def("__pow__", [](const Tensor& a, Scalar b) { return pow(a, b); }, nb::is_operator())
      .def("__rpow__", [](const Tensor& a, Scalar b) { return pow(b, a); }, nb::is_operator())
      .def("__neg__", [](const Tensor& a) { return -a; })
      .def("__pos__", [](const Tensor& a) { return a; })
      .def("__abs__", [](const Tensor& a) { return abs(a); })
      .def("__iadd__", inplace([](Tensor& a, const auto& b) { a += b; }), nb::is_operator())
      .def("__isub__", inplace([](Tensor& a, const auto& b) { a -= b; }), nb::is_operator())
      .def("__imul__", inplace([](Tensor& a, const auto& b) { a *= b; }), nb::is_operator())
      .def("__itruediv__", inplace([](Tensor& a, const auto& b) { a /= b; }), nb::is_operator())
      .def("__eq__", [](const Tensor& a, const Tensor& b) { return eq(a, b); }, nb::is_operator())
      .def("__eq__", [](const Tensor& a, Scalar b) { return eq(a, b); }, nb::is_operator())
      .def("__ne__", [](const Tensor& a, const Tensor& b) { return ne(a, b); }, nb::is_operator())
      .def("__ne__", [](const Tensor& a, Scalar b) { return ne(a, b); }, nb::is_operator())
      .def("__lt__", [](const Tensor& a, const Tensor& b) { return lt(a, b); }, nb::is_operator())
      .def("__lt__", [](const Tensor& a, Scalar b) { return lt(a, b); }, nb::is_operator())
      .def("__le__", [](const Tensor& a, const Tensor& b) { return le(a, b); }, nb::is_operator())
      .def("__le__", [](const Tensor& a, Scalar b) { return le(a, b); }, nb::is_operator())
      .def("__gt__", [](const Tensor& a, const Tensor& b) { return gt(a, b); }, nb::is_operator())
      .def("__gt__", [](const Tensor& a, Scalar b) { return gt(a, b); }, nb::is_operator())
      .def("__ge__", [](const Tensor& a, const Tensor& b) { return ge(a, b); }, nb::is_operator())
      .def("__ge__", [](const Tensor& a, Scalar b) { return ge(a, b); }, nb::is_operator())
      .def("__invert__", [](const Tensor& a) { return logical_not(a); })
      .def("__and__", [](const Tensor& a, const Tensor& b) { return logical_and(a, b); }, nb::is_operator())
      .def("__or__", [](const Tensor& a, const Tensor& b) { return logical_or(a, b); }, nb::is_operator())
      // ---- in-place ----
      .def("zero_", [](nb::object self) { nb::cast<Tensor&>(self).zero_(); return self; })
      .def("fill_", [](nb::object self, Scalar v) { nb::cast<Tensor&>(self).fill_(v); return self; }, nb::arg("value"))
      .def("add_", [](nb::object self, const Tensor& o, Scalar alpha) { nb::cast<Tensor&>(self).add_(o, alpha); return self; },
           nb::arg("other"), nb::kw_only(), nb::arg("alpha") = 1)
      .def("add_", [](nb::object self, Scalar o) { nb::cast<Tensor&>(self).add_(o); return self; }, nb::arg("other"))
      .def("sub_", [](nb::object self, const Tensor& o, Scalar alpha) { nb::cast<Tensor&>(self).sub_(o, alpha); return self; },
           nb::arg("other"), nb::kw_only(), nb::arg("alpha") = 1)
      .def("sub_", [](nb::object self, Scalar o) { nb::cast<Tensor&>(self).sub_(o); return self; }, nb::arg("other"))
      .def("mul_", inplace([](Tensor& a, const auto& b) { a.mul_(b); }), nb::arg("other"))
      .def("div_", inplace([](Tensor& a, const auto& b) { a.div_(b); }), nb::arg("other"));
  cls.def("__rmatmul__", [](const Tensor& a, const Tensor& b) { return matmul(b, a); }, nb::is_operator())
      .def("__xor__", [](const Tensor& a, const Tensor& b) { return ne(a.to(DType::Bool), b.to(DType::Bool)); }, nb::is_operator())
      .def("__rand__", [](const Tensor& a, const Tensor& b) { return logical_and(b, a); }, nb::is_operator())
      .def("__ror__", [](const Tensor& a, const Tensor& b) { return logical_or(b, a); }, nb::is_operator())
      .def("__iter__", [](const Tensor& t) {
        if (t.dim() == 0) throw nb::type_error("iteration over a 0-d tensor");
        return nb::iter(nb::cast(unbind(t, 0)));
      })
      .def("__contains__", [](const Tensor& t, nb::handle v) {
        Tensor e = nb::isinstance<Tensor>(v) ? eq(t, nb::cast<const Tensor&>(v)) : eq(t, nb::cast<Scalar>(v));
        return any(e).item<bool>();
      })
      .def("__format__", [](nb::handle self, const std::string& spec) {
        const Tensor& t = nb::cast<const Tensor&>(self);
        nb::object v = t.dim() == 0 ? item(t) : nb::str(self);
        return nb::str(("{:" + spec + "}").c_str()).attr("format")(v);
      })
      .def("__deepcopy__", [](const Tensor& t, nb::handle) {
        Tensor c = t.detach().clone();
        if (t.requires_grad()) c.requires_grad_(true);
        return c;
      }, nb::arg("memo"))
      .def("__copy__", [](const Tensor& t) { return t; })
      .def("type_as", [](const Tensor& t, const Tensor& o) { return t.to(o.dtype()); }, nb::arg("other"))
      .def("type", [](const Tensor& t, std::optional<DType> dt) -> nb::object {
        if (dt) return nb::cast(t.to(*dt));
        static const char* names[] = {"ember.BoolTensor", "ember.IntTensor", "ember.LongTensor", "ember.HalfTensor",
                                      "ember.BFloat16Tensor", "ember.FloatTensor", "ember.DoubleTensor"};
        DType all[] = {DType::Bool, DType::Int32, DType::Int64, DType::Float16, DType::BFloat16, DType::Float32, DType::Float64};
        for (int i = 0; i < 7; ++i) if (all[i] == t.dtype()) return nb::str(names[i]);
        return nb::str("ember.Tensor");
      }, nb::arg("dtype").none() = nb::none())
      .def("get_device", [](const Tensor& t) { return t.device().is_cpu() ? -1 : static_cast<int>(t.device().index); })
      .def_prop_ro("itemsize", [](const Tensor& t) { return t.element_size(); })
      .def_prop_ro("nbytes", [](const Tensor& t) { return t.element_size() * static_cast<size_t>(t.numel()); });

  init_ops_elementwise(m, cls);
  init_ops_reduce(m, cls);
  init_ops_shape(m, cls);
  init_tensor_index(m, cls);
  init_tensor_interop(m, cls);
  init_tensor_factories(m, cls);
}

}  // namespace ember::py
