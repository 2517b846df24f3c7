// t[idx] and t[idx] = v with PyTorch's semantics. Ints, slices, None and ... give views (select,
// slice, unsqueeze); int/bool tensors and lists are advanced indices, turned into one
// index_select over the indexed dims (so gradients flow). Index values are checked on the host.
#include <numeric>

#include "tensor_ops.h"

namespace ember::py {
namespace {

[[noreturn]] void index_error(const std::string& msg) { throw nb::index_error(msg.c_str()); }

std::string shape_list(const Shape& s) {
  std::string r = "[";
  for (size_t i = 0; i < s.size(); ++i) r += (i ? ", " : "") + std::to_string(s[i]);
  return r + "]";
}

struct Advanced {
  int64_t dim;           // in the view
  Shape shape;           // of the index
  std::vector<int64_t> values;  // checked and wrapped to [0, size)
};

struct Parsed {
  Tensor view;  // after the basic indices
  std::vector<Advanced> adv;
};

Tensor index_tensor_of(nb::handle h) {
  if (nb::isinstance<Tensor>(h)) return nb::cast<const Tensor&>(h);
  if (PyList_Check(h.ptr()) && PyList_Size(h.ptr()) == 0) return empty({0}, DType::Int64);
  if (is_array_like(h)) return tensor_from_array(h, "__getitem__");
  return tensor_from_data(h, std::nullopt, false);
}

// `src` is the dim in the indexed tensor, for the message (PyTorch's numbering).
void add_advanced(Parsed& p, int64_t dim, const Tensor& idx, int64_t src) {
  int64_t size = p.view.size(dim);
  Advanced a{dim, idx.shape(), idx.to_vector<int64_t>()};
  for (int64_t& v : a.values) {
    if (v < -size || v >= size)
      index_error("index " + std::to_string(v) + " is out of bounds for dimension " + std::to_string(src) + " with size " + std::to_string(size));
    if (v < 0) v += size;
  }
  p.adv.push_back(std::move(a));
}

bool is_int_index(nb::handle h) {
  PyObject* o = h.ptr();
  return PyLong_Check(o) ? !PyBool_Check(o) : (!nb::isinstance<Tensor>(h) && !PyFloat_Check(o) && PyIndex_Check(o) && !is_array_like(h));
}

Parsed parse(const Tensor& t, nb::handle index) {
  nb::tuple items = PyTuple_Check(index.ptr()) ? nb::borrow<nb::tuple>(index) : nb::make_tuple(index);
  // Dims the items consume, to size the ellipsis.
  int64_t consumed = 0;
  bool ellipsis = false;
  for (nb::handle it : items) {
    if (it.is_none() || PyBool_Check(it.ptr())) continue;
    if (it.ptr() == Py_Ellipsis) {
      if (ellipsis) index_error("an index can only have a single ellipsis ('...')");
      ellipsis = true;
    } else if (nb::isinstance<Tensor>(it) && nb::cast<const Tensor&>(it).dtype() == DType::Bool) {
      consumed += nb::cast<const Tensor&>(it).dim();
    } else {
      consumed += 1;
    }
  }
  if (consumed > t.dim()) {
    if (t.dim() == 0) index_error("invalid index of a 0-dim tensor. Use `tensor.item()` in Python to convert a 0-dim tensor to a number");
    index_error("too many indices for tensor of dimension " + std::to_string(t.dim()));
  }
  Parsed p{t, {}};
  int64_t d = 0, src = 0;  // the dim in the view and in t
  for (nb::handle it : items) {
    PyObject* o = it.ptr();
    if (it.is_none()) {
      p.view = p.view.unsqueeze(d++);
    } else if (o == Py_Ellipsis) {
      d += t.dim() - consumed;
      src += t.dim() - consumed;
    } else if (PySlice_Check(o)) {
      Py_ssize_t start, stop, step;
      if (PySlice_Unpack(o, &start, &stop, &step) < 0) throw nb::python_error();
      if (step <= 0) throw nb::value_error("step must be greater than zero");
      int64_t size = p.view.size(d);
      PySlice_AdjustIndices(size, &start, &stop, step);
      if (!(start == 0 && stop == size && step == 1)) p.view = p.view.slice(d, start, std::max<int64_t>(start, stop), step);
      ++d;
      ++src;
    } else if (is_int_index(it)) {
      int64_t i = nb::cast<int64_t>(it), size = p.view.size(d);
      if (i < -size || i >= size)
        index_error("index " + std::to_string(i) + " is out of bounds for dimension " + std::to_string(src) + " with size " + std::to_string(size));
      p.view = p.view.select(d, i < 0 ? i + size : i);
      ++src;
    } else if (PyBool_Check(o)) {  // x[True] adds a dim of 1, x[False] one of 0
      p.view = p.view.unsqueeze(d);
      add_advanced(p, d++, o == Py_True ? zeros({1}, DType::Int64) : empty({0}, DType::Int64), src);
    } else {
      if (!nb::isinstance<Tensor>(it) && !PySequence_Check(o) && !is_array_like(it))
        index_error(std::string("only integers, slices (`:`), ellipsis (`...`), None and long or boolean tensors are valid indices (got ") +
                    nb::inst_name(it).c_str() + ")");
      Tensor idx = index_tensor_of(it);
      if (idx.dtype() == DType::Bool) {
        if (idx.dim() == 0) {
          p.view = p.view.unsqueeze(d);
          add_advanced(p, d++, idx.item<bool>() ? zeros({1}, DType::Int64) : empty({0}, DType::Int64), src);
          continue;
        }
        for (int64_t j = 0; j < idx.dim(); ++j)
          if (d + j >= p.view.dim() || idx.size(j) != p.view.size(d + j))
            index_error("The shape of the mask " + shape_list(idx.shape()) + " at index " + std::to_string(j) +
                        " does not match the shape of the indexed tensor " + shape_list(t.shape()) + " at index " + std::to_string(src + j));
        std::vector<Tensor> nz = nonzero_indices(idx);
        for (int64_t j = 0; j < idx.dim(); ++j) add_advanced(p, d + j, nz[j], src + j);
        d += idx.dim();
        src += idx.dim();
      } else {
        if (!is_integral(idx.dtype()))
          index_error("tensors used as indices must be long, int or bool tensors (got " + std::string(dtype_name(idx.dtype())) + ")");
        add_advanced(p, d++, idx, src++);
      }
    }
  }
  return p;
}

Shape concat(Shape a, const Shape& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// Applies the advanced indices to `x` (the view): one index_select over the indexed dims,
// flattened together when there are several.
Tensor apply_advanced(const Tensor& x, const std::vector<Advanced>& adv) {
  Shape b;
  try {
    for (const Advanced& a : adv) b = broadcast_shapes(b, a.shape, "index");
  } catch (const Error&) {
    std::string shapes;
    for (const Advanced& a : adv) shapes += (shapes.empty() ? "" : ", ") + shape_list(a.shape);
    index_error("shape mismatch: indexing tensors could not be broadcast together with shapes " + shapes);
  }
  int64_t n = 1;
  for (int64_t s : b) n *= s;
  const Shape& xs = x.shape();
  if (adv.size() == 1) {
    const Advanced& a = adv[0];
    Tensor r = index_select(x, a.dim, ember::tensor(a.values, {static_cast<int64_t>(a.values.size())}, DType::Int64));
    if (a.shape.size() == 1) return r;
    Shape out(xs.begin(), xs.begin() + a.dim);
    out = concat(out, a.shape);
    out.insert(out.end(), xs.begin() + a.dim + 1, xs.end());
    return r.reshape(out);
  }
  // Linear indices into the indexed dims, for every position of the broadcast shape.
  std::vector<int64_t> lin(n, 0);
  std::vector<int64_t> pos(b.size());
  for (int64_t k = 0; k < n; ++k) {
    for (int64_t r = k, j = static_cast<int64_t>(b.size()) - 1; j >= 0; --j) { pos[j] = r % b[j]; r /= b[j]; }
    int64_t acc = 0;
    for (const Advanced& a : adv) {
      int64_t off = 0, stride = 1;
      for (int64_t j = static_cast<int64_t>(a.shape.size()) - 1; j >= 0; --j) {
        int64_t bj = static_cast<int64_t>(b.size() - a.shape.size()) + j;
        off += (a.shape[j] == 1 ? 0 : pos[bj]) * stride;
        stride *= a.shape[j];
      }
      acc = acc * xs[a.dim] + a.values[off];
    }
    lin[k] = acc;
  }
  Shape perm, rest;
  int64_t flat = 1;
  bool adjacent = true;
  for (size_t i = 0; i < adv.size(); ++i) {
    perm.push_back(adv[i].dim);
    flat *= xs[adv[i].dim];
    if (i && adv[i].dim != adv[i - 1].dim + 1) adjacent = false;
  }
  for (int64_t d = 0; d < x.dim(); ++d)
    if (std::find(perm.begin(), perm.end(), d) == perm.end()) { perm.push_back(d); rest.push_back(xs[d]); }
  Tensor y = x.permute(perm).reshape(concat({flat}, rest));
  Tensor r = index_select(y, 0, ember::tensor(lin, {n}, DType::Int64)).reshape(concat(b, rest));
  int64_t first = adv[0].dim;
  if (!adjacent || first == 0) return r;
  // Adjacent indexed dims: the result's index dims go where the first indexed dim was.
  Shape back;
  int64_t nb_ = static_cast<int64_t>(b.size());
  for (int64_t i = 0; i < first; ++i) back.push_back(nb_ + i);
  for (int64_t i = 0; i < nb_; ++i) back.push_back(i);
  for (int64_t i = nb_ + first; i < r.dim(); ++i) back.push_back(i);
  return r.permute(back);
}

Tensor getitem(const Tensor& t, nb::handle index) {
  // Fast paths: x[i] and x[:]-like single items need no parsing machinery.
  if (PyLong_CheckExact(index.ptr()) && t.dim() > 0) {
    int64_t i = PyLong_AsLongLong(index.ptr()), size = t.size(0);
    if (PyErr_Occurred()) throw nb::python_error();
    if (i < -size || i >= size)
      index_error("index " + std::to_string(i) + " is out of bounds for dimension 0 with size " + std::to_string(size));
    return t.select(0, i < 0 ? i + size : i);
  }
  Parsed p = parse(t, index);
  return p.adv.empty() ? p.view : apply_advanced(p.view, p.adv);
}

// Drops leading dims of 1 that `target` does not have (x[0] = ones(1, 3) for a row of 3).
Tensor fit_value(Tensor v, const Shape& target) {
  while (v.dim() > static_cast<int64_t>(target.size()) && v.size(0) == 1) v = v.squeeze(0);
  return v;
}

void setitem(Tensor& t, nb::handle index, nb::handle value) {
  Parsed p = parse(t, index);
  Tensor& view = p.view;
  bool is_scalar = !nb::isinstance<Tensor>(value) && (PyBool_Check(value.ptr()) || PyLong_Check(value.ptr()) || PyFloat_Check(value.ptr()) ||
                                                      (PyNumber_Check(value.ptr()) && !PySequence_Check(value.ptr()) && !is_array_like(value)));
  Tensor v;
  if (!is_scalar) v = nb::isinstance<Tensor>(value) ? nb::cast<const Tensor&>(value) : tensor_from_data(value, t.dtype(), false);
  if (p.adv.empty()) {
    if (is_scalar) view.fill_(nb::cast<Scalar>(value));
    else view.copy_(fit_value(v, view.shape()));
    return;
  }
  // Which elements of the view the advanced index picks: index a tensor of positions.
  int64_t numel = view.numel();
  Tensor picked = apply_advanced(arange(Scalar(static_cast<int64_t>(0)), Scalar(numel), Scalar(static_cast<int64_t>(1))).view(view.shape()), p.adv);
  std::vector<int64_t> pos = picked.to_vector<int64_t>();
  // Repeated positions: the last write wins, as in PyTorch's CPU index_put_.
  std::vector<char> seen(numel, 0), mask(numel, 0);
  std::vector<int64_t> keep_pos, keep_src;
  for (int64_t k = static_cast<int64_t>(pos.size()) - 1; k >= 0; --k) {
    if (seen[pos[k]]) continue;
    seen[pos[k]] = mask[pos[k]] = 1;
    keep_pos.push_back(pos[k]);
    keep_src.push_back(k);
  }
  Tensor m = host_tensor(std::vector<int32_t>(mask.begin(), mask.end()), view.shape(), DType::Bool);
  if (is_scalar) {
    view.copy_(where(logical_not(m), view, nb::cast<Scalar>(value)));
    return;
  }
  Tensor vals = fit_value(v, picked.shape()).expand(picked.shape()).reshape({-1}).to(view.dtype());
  int64_t kept = static_cast<int64_t>(keep_pos.size());
  Tensor src = scatter_add(zeros({numel}, view.dtype()), 0, ember::tensor(keep_pos, {kept}, DType::Int64),
                           index_select(vals, 0, ember::tensor(keep_src, {kept}, DType::Int64)));
  view.copy_(where(m, src.view(view.shape()), view));
}

}  // namespace

std::vector<Tensor> nonzero_indices(const Tensor& t) {
  Tensor mask = t.dtype() == DType::Bool ? t : ne(t, Scalar(0));
  std::vector<bool> v = mask.to_vector<bool>();
  int64_t k = mask.dim();
  std::vector<std::vector<int64_t>> idx(k);
  const Shape& s = mask.shape();
  for (int64_t i = 0; i < static_cast<int64_t>(v.size()); ++i) {
    if (!v[i]) continue;
    for (int64_t r = i, j = k - 1; j >= 0; --j) { idx[j].push_back(r % s[j]); r /= s[j]; }
  }
  std::vector<Tensor> out;
  for (auto& x : idx) out.push_back(ember::tensor(x, {static_cast<int64_t>(x.size())}, DType::Int64));
  return out;
}

void init_tensor_index(nb::module_& m, nb::class_<Tensor>& cls) {
  cls.def("__getitem__", &getitem, nb::arg("indices").none());
  cls.def("__setitem__", [](Tensor& t, nb::handle i, nb::handle v) { setitem(t, i, v); }, nb::arg("indices").none(), nb::arg("value"));
  auto nonzero = [](const Tensor& t, bool as_tuple) -> nb::object {
    std::vector<Tensor> idx = nonzero_indices(t);
    if (as_tuple) return nb::tuple(nb::cast(idx));
    if (idx.empty()) return nb::cast(zeros({t.item<double>() != 0 ? 1 : 0, 0}, DType::Int64));
    return nb::cast(stack(idx, 1));
  };
  def_both(m, cls, "nonzero", nonzero, nb::kw_only(), nb::arg("as_tuple") = false);
  def_both(m, cls, "argwhere", [nonzero](const Tensor& t) { return nonzero(t, false); });
  def_both(m, cls, "masked_select", [](const Tensor& t, const Tensor& mask) {
    Shape s = broadcast_shapes(t.shape(), mask.shape(), "masked_select");
    std::vector<bool> v = mask.expand(s).to_vector<bool>();
    std::vector<int64_t> lin;
    for (int64_t i = 0; i < static_cast<int64_t>(v.size()); ++i)
      if (v[i]) lin.push_back(i);
    return index_select(t.expand(s).reshape({-1}), 0, ember::tensor(lin, {static_cast<int64_t>(lin.size())}, DType::Int64));
  }, nb::arg("mask"));
}

}  // namespace ember::py
