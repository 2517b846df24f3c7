// Reductions as ember.<op>(input, ...) and Tensor.<op>(...): dim=None | int | tuple, keepdim,
// dtype; max/min along a dim return (values, indices) named tuples, as torch.return_types.
#include <cmath>

#include "tensor_ops.h"

namespace ember::py {
namespace {

// collections.namedtuple(name, ["values", "indices"]), made once (and kept for the process).
nb::object values_indices(const char* name, const Tensor& v, const Tensor& i) {
  static PyObject* max_t = nullptr;
  static PyObject* min_t = nullptr;
  PyObject*& type = name[1] == 'a' ? max_t : min_t;
  if (!type) {
    nb::object nt = nb::module_::import_("collections").attr("namedtuple");
    type = nt(name, nb::make_tuple("values", "indices")).release().ptr();
  }
  return nb::borrow(type)(v, i);
}

Shape all_dims(nb::handle dim, const char* op) { return dims_arg(dim, op).value_or(Shape{}); }

// The Bessel correction from PyTorch's two spellings: correction= or the older unbiased=.
int64_t correction_of(nb::handle& dim, nb::handle unbiased, std::optional<int64_t> correction) {
  if (PyBool_Check(dim.ptr())) {  // var(x, False): the old positional `unbiased`
    unbiased = dim;
    dim = nb::none();
  }
  if (correction) return *correction;
  return unbiased.is_none() || unbiased.ptr() == Py_True ? 1 : 0;
}

double norm_p(nb::handle p) {
  if (p.is_none()) return 2.0;
  if (nb::isinstance<nb::str>(p)) {
    std::string s = nb::cast<std::string>(p);
    if (s == "fro") return 2.0;
    if (s == "inf") return INFINITY;
    if (s == "-inf") return -INFINITY;
    throw nb::value_error(("norm(): p='" + s + "' is not supported; use a number, 'fro', inf or -inf").c_str());
  }
  if (!PyNumber_Check(p.ptr())) type_error("norm", "p", "a number or 'fro'", p);
  return nb::cast<double>(p);
}

Tensor count_nonzero_(const Tensor& a, const Shape& dims, bool keepdim) {
  return sum(ne(a, Scalar(0)).to(DType::Int64), dims, keepdim);
}

}  // namespace

void init_ops_reduce(nb::module_& m, nb::class_<Tensor>& cls) {
  auto dim_none = nb::arg("dim").none() = nb::none();
  auto keepdim = nb::arg("keepdim") = false;
  auto dtype = nb::arg("dtype").none() = nb::none();

  def_both(m, cls, "sum", [](const Tensor& a, nb::handle dim, bool keep, std::optional<DType> dt) {
    Tensor x = maybe_to(a, dt);
    auto d = dims_arg(dim, "sum");
    return d ? sum(x, *d, keep) : sum(x);
  }, dim_none, keepdim, nb::kw_only(), dtype);
  def_both(m, cls, "mean", [](const Tensor& a, nb::handle dim, bool keep, std::optional<DType> dt) {
    Tensor x = maybe_to(a, dt);
    auto d = dims_arg(dim, "mean");
    return d ? mean(x, *d, keep) : mean(x);
  }, dim_none, keepdim, nb::kw_only(), dtype);
  def_both(m, cls, "count_nonzero", [](const Tensor& a, nb::handle dim) {
    return count_nonzero_(a, all_dims(dim, "count_nonzero"), false);
  }, dim_none);

  auto unbiased = nb::arg("unbiased").none() = nb::none();
  auto correction = nb::arg("correction").none() = nb::none();
  def_both(m, cls, "var", [](const Tensor& a, nb::handle dim, nb::handle ub, bool keep, std::optional<int64_t> corr) {
    int64_t c = correction_of(dim, ub, corr);
    return var(a, all_dims(dim, "var"), c, keep);
  }, dim_none, unbiased, keepdim, nb::kw_only(), correction);
  def_both(m, cls, "std", [](const Tensor& a, nb::handle dim, nb::handle ub, bool keep, std::optional<int64_t> corr) {
    int64_t c = correction_of(dim, ub, corr);
    return ember::std(a, all_dims(dim, "std"), c, keep);
  }, dim_none, unbiased, keepdim, nb::kw_only(), correction);
  m.def("var_mean", [](const Tensor& a, nb::handle dim, nb::handle ub, bool keep, std::optional<int64_t> corr) {
    int64_t c = correction_of(dim, ub, corr);
    Shape d = all_dims(dim, "var_mean");
    return nb::make_tuple(var(a, d, c, keep), mean(a, d, keep));
  }, nb::arg("input"), dim_none, unbiased, keepdim, nb::kw_only(), correction);
  m.def("std_mean", [](const Tensor& a, nb::handle dim, nb::handle ub, bool keep, std::optional<int64_t> corr) {
    int64_t c = correction_of(dim, ub, corr);
    Shape d = all_dims(dim, "std_mean");
    return nb::make_tuple(ember::std(a, d, c, keep), mean(a, d, keep));
  }, nb::arg("input"), dim_none, unbiased, keepdim, nb::kw_only(), correction);

  auto dim_all = nb::arg("dim").none() = nb::tuple();
  def_both(m, cls, "amax", [](const Tensor& a, nb::handle dim, bool keep) { return amax(a, all_dims(dim, "amax"), keep); }, dim_all, keepdim);
  def_both(m, cls, "amin", [](const Tensor& a, nb::handle dim, bool keep) { return amin(a, all_dims(dim, "amin"), keep); }, dim_all, keepdim);

  // max(input), max(input, other), max(input, dim, keepdim=False) -> (values, indices)
  def_both(m, cls, "max", [](const Tensor& a) { return ember::max(a); });
  def_both(m, cls, "max", [](const Tensor& a, const Tensor& o) { return maximum(a, o); }, nb::arg("other"));
  def_both(m, cls, "max", [](const Tensor& a, int64_t dim, bool keep) {
    auto [v, i] = ember::max(a, dim, keep);
    return values_indices("max", v, i);
  }, nb::arg("dim"), keepdim);
  def_both(m, cls, "min", [](const Tensor& a) { return ember::min(a); });
  def_both(m, cls, "min", [](const Tensor& a, const Tensor& o) { return minimum(a, o); }, nb::arg("other"));
  def_both(m, cls, "min", [](const Tensor& a, int64_t dim, bool keep) {
    auto [v, i] = ember::min(a, dim, keep);
    return values_indices("min", v, i);
  }, nb::arg("dim"), keepdim);
  auto opt_dim = nb::arg("dim").none() = nb::none();
  def_both(m, cls, "argmax", [](const Tensor& a, std::optional<int64_t> dim, bool keep) { return argmax(a, dim, keep); }, opt_dim, keepdim);
  def_both(m, cls, "argmin", [](const Tensor& a, std::optional<int64_t> dim, bool keep) { return argmin(a, dim, keep); }, opt_dim, keepdim);

  def_both(m, cls, "logsumexp", [](const Tensor& a, nb::handle dim, bool keep) {
    return logsumexp(a, all_dims(dim, "logsumexp"), keep);
  }, nb::arg("dim"), keepdim);
  def_both(m, cls, "norm", [](const Tensor& a, nb::handle p, nb::handle dim, bool keep, std::optional<DType> dt) {
    return norm(maybe_to(a, dt), norm_p(p), all_dims(dim, "norm"), keep);
  }, nb::arg("p").none() = "fro", dim_none, keepdim, dtype);
  def_both(m, cls, "prod", [](const Tensor& a, std::optional<int64_t> dim, bool keep, std::optional<DType> dt) {
    return prod(maybe_to(a, dt), dim, keep);
  }, opt_dim, keepdim, nb::kw_only(), dtype);
  def_both(m, cls, "cumsum", [](const Tensor& a, int64_t dim, std::optional<DType> dt) { return cumsum(maybe_to(a, dt), dim); },
           nb::arg("dim"), nb::kw_only(), dtype);
  cls.def("cumsum_", [](nb::object self, int64_t dim) {
    Tensor& t = nb::cast<Tensor&>(self);
    t.copy_(cumsum(GradMode::is_enabled() && t.requires_grad() ? t.clone() : t, dim));
    return self;
  }, nb::arg("dim"));

  // any/all along dims count the nonzero elements (the C++ API reduces them over everything).
  def_both(m, cls, "any", [](const Tensor& a, nb::handle dim, bool keep) {
    auto d = dims_arg(dim, "any");
    return d ? gt(count_nonzero_(a, *d, keep), Scalar(0)) : any(a);
  }, dim_none, keepdim);
  def_both(m, cls, "all", [](const Tensor& a, nb::handle dim, bool keep) {
    auto d = dims_arg(dim, "all");
    return d ? eq(sum(eq(a, Scalar(0)).to(DType::Int64), *d, keep), Scalar(0)) : all(a);
  }, dim_none, keepdim);

  def_both(m, cls, "softmax", [](const Tensor& a, int64_t dim, std::optional<DType> dt) { return softmax(maybe_to(a, dt), dim); },
           nb::arg("dim"), dtype);
  def_both(m, cls, "log_softmax", [](const Tensor& a, int64_t dim, std::optional<DType> dt) { return log_softmax(maybe_to(a, dt), dim); },
           nb::arg("dim"), dtype);
}

}  // namespace ember::py
