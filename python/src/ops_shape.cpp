// Joining, splitting, indexing ops, view functions and linear algebra as ember.<op>(input, ...)
// and Tensor.<op>(...).
#include <algorithm>
#include <numeric>

#include "tensor_ops.h"

namespace ember::py {
namespace {

int64_t wrap_dim(int64_t d, int64_t ndim) { return d < 0 ? d + ndim : d; }

nb::tuple to_tuple(const std::vector<Tensor>& ts) { return nb::tuple(nb::cast(ts)); }

nb::tuple split_(const Tensor& t, nb::handle sizes, int64_t dim) {
  if (PyLong_Check(sizes.ptr())) return to_tuple(split(t, nb::cast<int64_t>(sizes), dim));
  return to_tuple(split_with_sizes(t, shape_from_object(sizes, "split", "split_size_or_sections"), dim));
}

// movedim(x, source, destination): the other dims keep their order.
Tensor movedim_(const Tensor& t, nb::handle src_h, nb::handle dst_h) {
  Shape src = shape_from_object(src_h, "movedim", "source"), dst = shape_from_object(dst_h, "movedim", "destination");
  int64_t n = t.dim();
  EMBER_CHECK(src.size() == dst.size(), "movedim", "source and destination have different lengths (", src.size(), " and ", dst.size(), ")");
  Shape perm(n, -1);
  std::vector<bool> used(n, false);
  for (size_t i = 0; i < src.size(); ++i) {
    int64_t s = wrap_dim(src[i], n), d = wrap_dim(dst[i], n);
    EMBER_CHECK(s >= 0 && s < n && d >= 0 && d < n, "movedim", "dimension out of range for a ", n, "-d tensor");
    perm[d] = s;
    used[s] = true;
  }
  int64_t next = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (perm[i] != -1) continue;
    while (used[next]) ++next;
    perm[i] = next++;
  }
  return t.permute(perm);
}

// flip: index_select with reversed indices along each dim (a copy, as torch.flip).
Tensor flip_(const Tensor& t, nb::handle dims_h) {
  Tensor r = t;
  for (int64_t d : shape_from_object(dims_h, "flip", "dims")) {
    int64_t n = t.size(d);
    r = index_select(r, d, arange(Scalar(n - 1), Scalar(-1), Scalar(-1)));
  }
  return r;
}

Tensor squeeze_(const Tensor& t, nb::handle dim) {
  if (dim.is_none()) return t.squeeze();
  Shape dims = shape_from_object(dim, "squeeze", "dim");
  for (int64_t& d : dims) d = wrap_dim(d, t.dim());
  std::sort(dims.rbegin(), dims.rend());  // from the last, so earlier dims keep their index
  Tensor r = t;
  for (int64_t d : dims) r = r.squeeze(d);
  return r;
}

// repeat(*sizes): each dim d of size n becomes (sizes[d], n) broadcast, then merged.
Tensor repeat_(const Tensor& t, const Shape& reps) {
  EMBER_CHECK(reps.size() >= static_cast<size_t>(t.dim()), "repeat", "the number of repeats (", reps.size(),
              ") cannot be smaller than the number of dims (", t.dim(), ")");
  Tensor x = t;
  while (x.dim() < static_cast<int64_t>(reps.size())) x = x.unsqueeze(0);
  Shape expanded, out;
  Tensor y = x;
  for (int64_t d = static_cast<int64_t>(reps.size()) - 1; d >= 0; --d) y = y.unsqueeze(d);
  for (size_t d = 0; d < reps.size(); ++d) {
    expanded.push_back(reps[d]);
    expanded.push_back(x.size(d));
    out.push_back(reps[d] * x.size(d));
  }
  return y.expand(expanded).reshape(out);
}

Shape broadcast_all(const std::vector<Shape>& shapes) {
  Shape s;
  for (const Shape& x : shapes) s = broadcast_shapes(s, x, "broadcast_shapes");
  return s;
}

}  // namespace

void init_ops_shape(nb::module_& m, nb::class_<Tensor>& cls) {
  auto dim0 = nb::arg("dim") = 0;
  for (const char* name : {"cat", "concat", "concatenate"})
    m.def(name, [](const std::vector<Tensor>& ts, int64_t dim) { return cat(ts, dim); }, nb::arg("tensors"), dim0);
  m.def("stack", [](const std::vector<Tensor>& ts, int64_t dim) { return stack(ts, dim); }, nb::arg("tensors"), dim0);
  m.def("hstack", [](const std::vector<Tensor>& ts) { return cat(ts, !ts.empty() && ts[0].dim() == 1 ? 0 : 1); }, nb::arg("tensors"));
  m.def("vstack", [](const std::vector<Tensor>& ts) {
    std::vector<Tensor> rows;
    for (const Tensor& t : ts) rows.push_back(t.dim() == 0 ? t.view({1, 1}) : t.dim() == 1 ? t.unsqueeze(0) : t);
    return cat(rows, 0);
  }, nb::arg("tensors"));
  m.def("split", &split_, nb::arg("tensor"), nb::arg("split_size_or_sections"), dim0);
  cls.def("split", &split_, nb::arg("split_size"), dim0);
  def_both(m, cls, "chunk", [](const Tensor& t, int64_t n, int64_t dim) { return to_tuple(chunk(t, n, dim)); }, nb::arg("chunks"), dim0);
  def_both(m, cls, "unbind", [](const Tensor& t, int64_t dim) { return to_tuple(unbind(t, dim)); }, dim0);

  auto dim = nb::arg("dim"), index = nb::arg("index");
  def_both(m, cls, "index_select", [](const Tensor& t, int64_t d, const Tensor& i) { return index_select(t, d, i); }, dim, index);
  def_both(m, cls, "gather", [](const Tensor& t, int64_t d, const Tensor& i, bool) { return gather(t, d, i); }, dim, index,
           nb::kw_only(), nb::arg("sparse_grad") = false);
  def_both(m, cls, "scatter_add", [](const Tensor& t, int64_t d, const Tensor& i, const Tensor& s) { return scatter_add(t, d, i, s); },
           dim, index, nb::arg("src"));
  cls.def("scatter_add_", [](nb::object self, int64_t d, const Tensor& i, const Tensor& s) {
    Tensor& t = nb::cast<Tensor&>(self);
    t.copy_(scatter_add(t.requires_grad() ? t.clone() : t, d, i, s));
    return self;
  }, dim, index, nb::arg("src"));
  def_both(m, cls, "masked_fill", [](const Tensor& t, const Tensor& mask, Scalar v) { return masked_fill(t, mask, v); },
           nb::arg("mask"), nb::arg("value"));
  def_both(m, cls, "masked_fill", [](const Tensor& t, const Tensor& mask, const Tensor& v) {
    EMBER_CHECK(v.dim() == 0, "masked_fill", "only supports a 0-dimensional value tensor, but got one with ", v.dim(), " dims");
    return where(mask, v.to(t.dtype()), t);
  }, nb::arg("mask"), nb::arg("value"));
  cls.def("masked_fill_", [](nb::object self, const Tensor& mask, Scalar v) {
    nb::cast<Tensor&>(self).masked_fill_(mask, v);
    return self;
  }, nb::arg("mask"), nb::arg("value"));
  cls.def("masked_fill_", [](nb::object self, const Tensor& mask, const Tensor& v) {
    EMBER_CHECK(v.dim() == 0, "masked_fill_", "only supports a 0-dimensional value tensor, but got one with ", v.dim(), " dims");
    Tensor& t = nb::cast<Tensor&>(self);
    t.copy_(where(mask, v.to(t.dtype()), t.requires_grad() ? t.clone() : t));
    return self;
  }, nb::arg("mask"), nb::arg("value"));
  auto diag = nb::arg("diagonal") = 0;
  def_both(m, cls, "tril", [](const Tensor& t, int64_t k) { return tril(t, k); }, diag);
  def_both(m, cls, "triu", [](const Tensor& t, int64_t k) { return triu(t, k); }, diag);
  cls.def("tril_", [](nb::object self, int64_t k) { Tensor& t = nb::cast<Tensor&>(self); t.copy_(tril(t, k)); return self; }, diag);
  cls.def("triu_", [](nb::object self, int64_t k) { Tensor& t = nb::cast<Tensor&>(self); t.copy_(triu(t, k)); return self; }, diag);

  // ---- views and shape functions (the methods are in tensor.cpp) ----
  m.def("flatten", [](const Tensor& t, int64_t s, int64_t e) { return t.flatten(s, e); }, nb::arg("input"),
        nb::arg("start_dim") = 0, nb::arg("end_dim") = -1);
  m.def("unflatten", [](const Tensor& t, int64_t d, nb::handle sizes) { return t.unflatten(d, shape_from_object(sizes, "unflatten", "sizes")); },
        nb::arg("input"), dim, nb::arg("sizes"));
  m.def("reshape", [](const Tensor& t, nb::handle s) { return t.reshape(shape_from_object(s, "reshape", "shape")); }, nb::arg("input"), nb::arg("shape"));
  for (const char* name : {"transpose", "swapaxes", "swapdims"})
    def_both(m, cls, name, [](const Tensor& t, int64_t a, int64_t b) { return t.transpose(a, b); }, nb::arg("dim0"), nb::arg("dim1"));
  m.def("permute", [](const Tensor& t, nb::handle d) { return t.permute(shape_from_object(d, "permute", "dims")); }, nb::arg("input"), nb::arg("dims"));
  def_both(m, cls, "squeeze", &squeeze_, nb::arg("dim").none() = nb::none());
  m.def("unsqueeze", [](const Tensor& t, int64_t d) { return t.unsqueeze(d); }, nb::arg("input"), dim);
  m.def("narrow", [](const Tensor& t, int64_t d, int64_t s, int64_t l) { return t.narrow(d, s, l); }, nb::arg("input"), dim,
        nb::arg("start"), nb::arg("length"));
  m.def("select", [](const Tensor& t, int64_t d, int64_t i) { return t.select(d, i); }, nb::arg("input"), dim, index);
  m.def("t", [](const Tensor& t) { return t.t(); }, nb::arg("input"));
  for (const char* name : {"movedim", "moveaxis"}) def_both(m, cls, name, &movedim_, nb::arg("source"), nb::arg("destination"));
  def_both(m, cls, "flip", &flip_, nb::arg("dims"));
  def_both(m, cls, "broadcast_to", [](const Tensor& t, nb::handle s) { return t.expand(shape_from_object(s, "broadcast_to")); }, nb::arg("size"));
  m.def("broadcast_tensors", [](nb::args ts) {
    std::vector<Tensor> v;
    std::vector<Shape> shapes;
    for (nb::handle h : ts) { v.push_back(nb::cast<Tensor>(h)); shapes.push_back(v.back().shape()); }
    Shape s = broadcast_all(shapes);
    for (Tensor& t : v) t = t.expand(s);
    return to_tuple(v);
  });
  m.def("broadcast_shapes", [](nb::args shapes) {
    std::vector<Shape> v;
    for (nb::handle h : shapes) v.push_back(shape_from_object(h, "broadcast_shapes", "shapes"));
    return nb::tuple(nb::cast(broadcast_all(v)));
  });
  cls.def("repeat", [](const Tensor& t, nb::args reps) { return repeat_(t, shape_from_args(reps, "repeat", "repeats")); });
  m.def("numel", [](const Tensor& t) { return t.numel(); }, nb::arg("input"));
  m.def("is_tensor", [](nb::handle h) { return nb::isinstance<Tensor>(h); }, nb::arg("obj"));
  m.def("is_floating_point", [](const Tensor& t) { return t.is_floating_point(); }, nb::arg("input"));
  m.def("clone", [](const Tensor& t) { return t.clone(); }, nb::arg("input"));

  // ---- linear algebra (long calls: other Python threads run meanwhile) ----
  auto nogil = nb::call_guard<nb::gil_scoped_release>();
  def_both(m, cls, "matmul", [](const Tensor& a, const Tensor& b) { return matmul(a, b); }, nb::arg("other"), nogil);
  def_both(m, cls, "mm", [](const Tensor& a, const Tensor& b) { return mm(a, b); }, nb::arg("mat2"), nogil);
  def_both(m, cls, "bmm", [](const Tensor& a, const Tensor& b) { return bmm(a, b); }, nb::arg("mat2"), nogil);
  def_both(m, cls, "dot", [](const Tensor& a, const Tensor& b) { return dot(a, b); }, nb::arg("tensor"));
  def_both(m, cls, "mv", [](const Tensor& a, const Tensor& v) {
    EMBER_CHECK(a.dim() == 2 && v.dim() == 1, "mv", "expects a 2-D matrix and a 1-D vector, got shapes ",
                shape_str(a.shape()), " and ", shape_str(v.shape()));
    return matmul(a, v);
  }, nb::arg("vec"));
  for (const char* name : {"outer", "ger"})
    def_both(m, cls, name, [](const Tensor& a, const Tensor& b) {
      EMBER_CHECK(a.dim() == 1 && b.dim() == 1, "outer", "expects two 1-D tensors, got shapes ", shape_str(a.shape()), " and ",
                  shape_str(b.shape()));
      return a.unsqueeze(1) * b.unsqueeze(0);
    }, nb::arg("vec2"));
  def_both(m, cls, "addmm", [](const Tensor& c, const Tensor& a, const Tensor& b, Scalar beta, Scalar alpha) {
    return addmm(c, a, b, beta, alpha);
  }, nb::arg("mat1"), nb::arg("mat2"), nb::kw_only(), nb::arg("beta") = 1, nb::arg("alpha") = 1, nogil);
  m.def("linear", [](const Tensor& x, const Tensor& w, std::optional<Tensor> b) { return linear(x, w, b.value_or(Tensor())); },
        nb::arg("input"), nb::arg("weight"), nb::arg("bias").none() = nb::none());
}

}  // namespace ember::py
