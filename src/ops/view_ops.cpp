// Views: new shape/strides over the same storage, no copy. Each records how to route the
// gradient back to the base's shape.
#include <algorithm>
#include <numeric>

#include "core/op_helpers.h"
#include "ember/autograd.h"
#include "ember/ops.h"
#include "ember/ops/trace.h"

namespace ember {

using detail::make_view;
using detail::wrap_dim;

namespace {

// Gradient of a slice-like view: scatter g into zeros of the base's shape via the same view.
Tensor view_backward_into(const Shape& base_shape, DType dtype, const Tensor& g,
                          const std::function<Tensor(const Tensor&)>& same_view) {
  Tensor z = zeros(base_shape, TensorOptions(dtype).with_device(g.device()));
  {
    NoGradGuard ng;
    same_view(z).copy_(g);
  }
  // create_graph: the scatter is linear in g and its gradient is the same view of z's gradient.
  // Without this node a second-order gradient through slice/select was silently lost.
  if (autograd::any_requires_grad({&g}))
    autograd::set_history(z, "ViewScatterBackward", {g}, [same_view](const Tensor& gz, const autograd::Node&) {
      return std::vector<Tensor>{same_view(gz)};
    });
  return z;
}

// Infers a -1 entry and checks that the element count matches.
Shape infer_shape(const Shape& requested, int64_t numel, const char* op, const Shape& from) {
  Shape s = requested;
  int64_t known = 1, infer = -1;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == -1) {
      EMBER_CHECK(infer < 0, op, "only one dimension can be inferred (-1) in shape ", shape_str(requested));
      infer = static_cast<int64_t>(i);
    } else {
      EMBER_CHECK(s[i] >= 0, op, "invalid size ", s[i], " in shape ", shape_str(requested));
      known *= s[i];
    }
  }
  if (infer >= 0) {
    EMBER_CHECK(known != 0 && numel % known == 0, op, "shape ", shape_str(requested),
                " is invalid for input of shape ", shape_str(from), " (", numel, " elements)");
    s[infer] = numel / known;
  }
  EMBER_CHECK(detail::shape_numel(s) == numel, op, "shape ", shape_str(requested), " is invalid for input of shape ",
              shape_str(from), " (", numel, " elements)");
  return s;
}

// Strides for viewing `t` as `shape` without a copy, if possible (PyTorch's computeStride).
std::optional<Shape> view_strides(const Tensor& t, const Shape& shape) {
  if (t.numel() == 0 || t.is_contiguous()) return detail::contiguous_strides(shape);
  const Shape& os = t.shape();
  const Shape& ost = t.strides();
  Shape st(shape.size());
  int64_t view_d = static_cast<int64_t>(shape.size()) - 1;
  int64_t chunk_base_stride = ost.empty() ? 1 : ost.back();
  int64_t tensor_numel = 1, view_numel = 1;
  for (int64_t d = static_cast<int64_t>(os.size()) - 1; d >= 0; --d) {
    tensor_numel *= os[d];
    if (d == 0 || (os[d - 1] != 1 && ost[d - 1] != tensor_numel * chunk_base_stride)) {
      while (view_d >= 0 && (view_numel < tensor_numel || shape[view_d] == 1)) {
        st[view_d] = view_numel * chunk_base_stride;
        view_numel *= shape[view_d];
        --view_d;
      }
      if (view_numel != tensor_numel) return std::nullopt;
      if (d > 0) {
        chunk_base_stride = ost[d - 1];
        tensor_numel = 1;
        view_numel = 1;
      }
    }
  }
  if (view_d != -1) return std::nullopt;
  return st;
}

Tensor with_view_history(Tensor out, const Tensor& base, const char* name, autograd::BackwardFn fn) {
  if (autograd::any_requires_grad({&base})) autograd::set_history(out, name, {base}, std::move(fn));
  return out;
}

// Trace attributes (ember/ops/trace.h).
Shape transpose_perm(int64_t n, int64_t d0, int64_t d1) {
  Shape perm(n);
  for (int64_t i = 0; i < n; ++i) perm[i] = i;
  if (n > 0) std::swap(perm[wrap_dim(d0, n, "transpose")], perm[wrap_dim(d1, n, "transpose")]);
  return perm;
}
Shape wrap_dims(const Shape& dims, int64_t n) {
  Shape out;
  for (int64_t d : dims) out.push_back(wrap_dim(d, n, "permute"));
  return out;
}
// start and end as slice() resolves them: negative ones counted from the end, then clamped.
std::vector<trace::Attr> slice_attrs(const Tensor& t, int64_t d, int64_t start, int64_t end, int64_t step) {
  d = wrap_dim(d, t.dim(), "slice");
  const int64_t len = t.shape()[d];
  if (start < 0) start += len;
  if (end < 0) end += len;
  start = std::clamp<int64_t>(start, 0, len);
  end = std::clamp<int64_t>(end, start, len);
  return {trace::integer("dim", d), trace::integer("start", start), trace::integer("end", end),
          trace::integer("step", step)};
}

}  // namespace

Tensor Tensor::view(const Shape& req) const {
  trace::OpScope scope;
  Tensor out_ = [&]() -> Tensor {
  Shape s = infer_shape(req, numel(), "view", shape());
  auto st = view_strides(*this, s);
  EMBER_CHECK(st.has_value(), "view", "size ", shape_str(req), " is not compatible with the input's shape ",
              shape_str(shape()), " and strides ", shape_str(strides()),
              " (at least one dim spans two non-contiguous subspaces); use reshape() instead");
  Shape in_shape = shape();
  return with_view_history(make_view(*this, s, *st, storage_offset()), *this, "ViewBackward",
                           [in_shape](const Tensor& g, const autograd::Node&) {
                             return std::vector<Tensor>{g.reshape(in_shape)};
                           });
}();
  if (scope) scope.record("reshape", {*this}, {out_}, {trace::ints("shape", out_.shape())});
  return out_;
}

Tensor Tensor::reshape(const Shape& req) const {
  trace::OpScope scope;
  Tensor out_ = [&]() -> Tensor {
  Shape s = infer_shape(req, numel(), "reshape", shape());
  if (view_strides(*this, s)) return view(s);
  return contiguous().view(s);
}();
  if (scope) scope.record("reshape", {*this}, {out_}, {trace::ints("shape", out_.shape())});
  return out_;
}

Tensor Tensor::transpose(int64_t d0, int64_t d1) const {
  trace::OpScope scope;
  Tensor out_ = [&]() -> Tensor {
  int64_t n = dim();
  d0 = wrap_dim(d0, n, "transpose");
  d1 = wrap_dim(d1, n, "transpose");
  if (n == 0) return view({});
  Shape s = shape(), st = strides();
  std::swap(s[d0], s[d1]);
  std::swap(st[d0], st[d1]);
  return with_view_history(make_view(*this, s, st, storage_offset()), *this, "TransposeBackward",
                           [d0, d1](const Tensor& g, const autograd::Node&) {
                             return std::vector<Tensor>{g.transpose(d0, d1)};
                           });
}();
  if (scope) scope.record("transpose", {*this}, {out_}, {trace::ints("perm", transpose_perm(dim(), d0, d1))});
  return out_;
}

Tensor Tensor::t() const {
  EMBER_CHECK(dim() <= 2, "t", "expects a tensor with <= 2 dims, but got ", dim(), " dims (shape ",
              shape_str(shape()), "); use transpose(d0, d1) or mT for batches");
  return dim() < 2 ? view(shape()) : transpose(0, 1);
}

Tensor Tensor::permute(const Shape& dims) const {
  trace::OpScope scope;
  Tensor out_ = [&]() -> Tensor {
  int64_t n = dim();
  EMBER_CHECK(static_cast<int64_t>(dims.size()) == n, "permute", "got ", dims.size(), " dims ", shape_str(dims),
              " for a tensor with ", n, " dims (shape ", shape_str(shape()), ")");
  Shape s(n), st(n), inv(n);
  std::vector<bool> seen(n, false);
  for (int64_t i = 0; i < n; ++i) {
    int64_t d = wrap_dim(dims[i], n, "permute");
    EMBER_CHECK(!seen[d], "permute", "dim ", d, " repeats in ", shape_str(dims));
    seen[d] = true;
    s[i] = shape()[d];
    st[i] = strides()[d];
    inv[d] = i;
  }
  return with_view_history(make_view(*this, s, st, storage_offset()), *this, "PermuteBackward",
                           [inv](const Tensor& g, const autograd::Node&) {
                             return std::vector<Tensor>{g.permute(inv)};
                           });
}();
  if (scope) scope.record("transpose", {*this}, {out_}, {trace::ints("perm", wrap_dims(dims, dim()))});
  return out_;
}

Tensor Tensor::slice(int64_t d, int64_t start, int64_t end, int64_t step) const {
  trace::OpScope scope;
  Tensor out_ = [&]() -> Tensor {
  d = wrap_dim(d, dim(), "slice");
  EMBER_CHECK(step > 0, "slice", "step must be positive, got ", step, " (slicing dim ", d, " of shape ",
              shape_str(shape()), ")");
  int64_t len = shape()[d];
  if (start < 0) start += len;
  if (end < 0) end += len;
  start = std::clamp<int64_t>(start, 0, len);
  end = std::clamp<int64_t>(end, start, len);
  Shape s = shape(), st = strides();
  s[d] = (end - start + step - 1) / step;
  st[d] *= step;
  int64_t off = storage_offset() + start * strides()[d];
  Shape base_shape = shape();
  DType dt = dtype();
  return with_view_history(make_view(*this, s, st, off), *this, "SliceBackward",
                           [=](const Tensor& g, const autograd::Node&) {
                             return std::vector<Tensor>{view_backward_into(
                                 base_shape, dt, g, [=](const Tensor& z) { return z.slice(d, start, end, step); })};
                           });
}();
  if (scope) scope.record("slice", {*this}, {out_}, slice_attrs(*this, d, start, end, step));
  return out_;
}

Tensor Tensor::narrow(int64_t d, int64_t start, int64_t length) const {
  d = wrap_dim(d, dim(), "narrow");
  int64_t len = shape()[d];
  if (start < 0) start += len;
  EMBER_CHECK(start >= 0 && length >= 0 && start + length <= len, "narrow", "start ", start, " + length ", length,
              " exceeds dimension ", d, " of size ", len, " (shape ", shape_str(shape()), ")");
  return slice(d, start, start + length);
}

Tensor Tensor::select(int64_t d, int64_t index) const {
  trace::OpScope scope;
  Tensor out_ = [&]() -> Tensor {
  EMBER_CHECK(dim() > 0, "select", "cannot select from a 0-dim tensor");
  d = wrap_dim(d, dim(), "select");
  int64_t len = shape()[d];
  EMBER_CHECK(index >= -len && index < len, "select", "index ", index, " is out of range for dimension ", d,
              " with size ", len, " (shape ", shape_str(shape()), ")");
  if (index < 0) index += len;
  Shape s = shape(), st = strides();
  int64_t off = storage_offset() + index * st[d];
  s.erase(s.begin() + d);
  st.erase(st.begin() + d);
  Shape base_shape = shape();
  DType dt = dtype();
  return with_view_history(make_view(*this, s, st, off), *this, "SelectBackward",
                           [=](const Tensor& g, const autograd::Node&) {
                             return std::vector<Tensor>{view_backward_into(
                                 base_shape, dt, g, [=](const Tensor& z) { return z.select(d, index); })};
                           });
}();
  if (scope) scope.record("select", {*this}, {out_}, {trace::integer("dim", wrap_dim(d, dim(), "select")), trace::integer("index", index < 0 ? index + size(d) : index)});
  return out_;
}

Tensor Tensor::expand(const Shape& req) const {
  trace::OpScope scope;
  Tensor out_ = [&]() -> Tensor {
  int64_t n = static_cast<int64_t>(req.size());
  EMBER_CHECK(n >= dim(), "expand", "the requested shape ", shape_str(req), " has fewer dims than the tensor's ",
              shape_str(shape()));
  Shape s(n), st(n);
  for (int64_t i = n - 1, j = dim() - 1; i >= 0; --i, --j) {
    int64_t have = j >= 0 ? shape()[j] : 1;
    int64_t want = req[i] == -1 ? have : req[i];
    EMBER_CHECK(req[i] != -1 || j >= 0, "expand", "-1 is not allowed for a new leading dim in ", shape_str(req));
    if (have == want) {
      s[i] = have;
      st[i] = j >= 0 ? strides()[j] : 0;
    } else {
      EMBER_CHECK(have == 1, "expand", "the expanded size ", want, " must match the existing size ", have,
                  " at non-singleton dimension ", i, ". Target sizes: ", shape_str(req), ". Tensor sizes: ",
                  shape_str(shape()));
      s[i] = want;
      st[i] = 0;
    }
  }
  Shape in_shape = shape();
  return with_view_history(make_view(*this, s, st, storage_offset()), *this, "ExpandBackward",
                           [in_shape](const Tensor& g, const autograd::Node&) {
                             return std::vector<Tensor>{sum_to(g, in_shape)};
                           });
}();
  if (scope) scope.record("expand", {*this}, {out_}, {trace::ints("shape", out_.shape())});
  return out_;
}

Tensor Tensor::squeeze() const {
  Shape s;
  for (auto d : shape())
    if (d != 1) s.push_back(d);
  return reshape(s);
}

Tensor Tensor::squeeze(int64_t d) const {
  d = wrap_dim(d, dim(), "squeeze");
  if (dim() == 0 || shape()[d] != 1) return view(shape());
  Shape s = shape();
  s.erase(s.begin() + d);
  return reshape(s);
}

Tensor Tensor::unsqueeze(int64_t d) const {
  trace::OpScope scope;
  Tensor out_ = [&]() -> Tensor {
  d = wrap_dim(d, dim() + 1, "unsqueeze");
  Shape s = shape(), st = strides();
  int64_t new_stride = d < dim() ? st[d] * s[d] : 1;
  s.insert(s.begin() + d, 1);
  st.insert(st.begin() + d, new_stride);
  Shape in_shape = shape();
  return with_view_history(make_view(*this, s, st, storage_offset()), *this, "UnsqueezeBackward",
                           [in_shape](const Tensor& g, const autograd::Node&) {
                             return std::vector<Tensor>{g.reshape(in_shape)};
                           });
}();
  if (scope) scope.record("reshape", {*this}, {out_}, {trace::ints("shape", out_.shape())});
  return out_;
}

Tensor Tensor::flatten(int64_t start_dim, int64_t end_dim) const {
  if (dim() == 0) return reshape({1});
  start_dim = wrap_dim(start_dim, dim(), "flatten");
  end_dim = wrap_dim(end_dim, dim(), "flatten");
  EMBER_CHECK(start_dim <= end_dim, "flatten", "start_dim ", start_dim, " must not come after end_dim ", end_dim);
  Shape s(shape().begin(), shape().begin() + start_dim);
  int64_t m = 1;
  for (int64_t i = start_dim; i <= end_dim; ++i) m *= shape()[i];
  s.push_back(m);
  s.insert(s.end(), shape().begin() + end_dim + 1, shape().end());
  return reshape(s);
}

Tensor Tensor::unflatten(int64_t d, const Shape& sizes) const {
  d = wrap_dim(d, dim(), "unflatten");
  Shape s(shape().begin(), shape().begin() + d);
  // Check here so the message names the whole input shape, not just the dim being split.
  int64_t known = 1, n_infer = 0;
  for (auto v : sizes) v == -1 ? ++n_infer : known *= v;
  EMBER_CHECK(n_infer <= 1 && (n_infer ? known > 0 && shape()[d] % known == 0 : known == shape()[d]), "unflatten",
              "sizes ", shape_str(sizes), " do not multiply to the size ", shape()[d], " of dimension ", d,
              " of the input of shape ", shape_str(shape()), " (at most one size may be -1)");
  Shape inner = infer_shape(sizes, shape()[d], "unflatten", {shape()[d]});
  s.insert(s.end(), inner.begin(), inner.end());
  s.insert(s.end(), shape().begin() + d + 1, shape().end());
  return view(s);
}

Tensor flatten(const Tensor& t, int64_t start_dim, int64_t end_dim) { return t.flatten(start_dim, end_dim); }

}  // namespace ember
