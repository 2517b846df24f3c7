// Indexing: index_select, gather, scatter_add, and the internal index_add (index_select's gradient).
// Each op sees its operands as (A, M, B) blocks around the indexed dim; kernels in
// backend/cpu/index.cpp. Indices are validated before anything reads through them: up front
// for index_select, inside the kernel's single pass for gather/scatter_add (whose index is as large
// as the data), which report the offending value here.
#include "backend/backend.h"
#include "core/op_helpers.h"
#include "ember/autograd.h"
#include "ember/ops.h"
#include "ops/index_util.h"

namespace ember {
namespace detail {

Tensor contiguous_index(const Tensor& index) {
  NoGradGuard ng;
  return (index.dtype() == kInt64 ? index : index.to(kInt64)).contiguous();
}

void check_index_range(const Tensor& index64, int64_t size, const char* op, const std::string& where) {
  const int64_t bad = EMBER_KERNEL(index_bounds, op, index64)(index64, size);
  if (bad >= 0) index_out_of_range(index_at(index64, bad), size, op, where);
}

int64_t index_at(const Tensor& index64, int64_t flat) {
  return detail::make_view(index64, {}, {}, index64.storage_offset() + flat).item<int64_t>();
}

void index_out_of_range(int64_t value, int64_t size, const char* op, const std::string& where) {
  EMBER_FAIL(op, "index ", value, " is out of range for ", where, " (valid: 0 to ", size - 1, ")");
}

Tensor leading_block(const Tensor& t, const Shape& sizes) {
  if (sizes == t.shape()) return t;
  return make_view(t, sizes, t.strides(), t.storage_offset());
}

namespace {
// (A, M, B) of `shape` around dim; a 0-dim shape is one element.
void block_dims(const Shape& shape, int64_t dim, int64_t& A, int64_t& M, int64_t& B) {
  A = 1, B = 1, M = shape.empty() ? 1 : shape[dim];
  for (int64_t d = 0; d < dim; ++d) A *= shape[d];
  for (size_t d = dim + 1; d < shape.size(); ++d) B *= shape[d];
}
backend::Block3 block_of(const Shape& shape, int64_t dim) {
  backend::Block3 b;
  block_dims(shape, dim, b.outer, b.R, b.inner);
  return b;
}
}  // namespace

Tensor index_add_zeros(const Shape& shape, int64_t dim, const Tensor& index64, const Tensor& src) {
  bool needs = autograd::any_requires_grad({&src});
  Tensor out = zeros(shape, TensorOptions(src.dtype()).with_device(src.device()));
  {
    NoGradGuard ng;
    EMBER_KERNEL(index_add, "index_add", out)(out, src.contiguous(), index64, block_of(shape, dim));
  }
  if (needs)
    autograd::set_history(out, "IndexAddBackward", {src}, [dim, index64](const Tensor& g, const autograd::Node&) {
      return std::vector<Tensor>{index_select(g, dim, index64)};
    });
  return out;
}

}  // namespace detail

using detail::block_of;

Tensor index_select(const Tensor& t, int64_t dim, const Tensor& index) {
  const char* op = "index_select";
  EMBER_CHECK(index.dtype() == kInt64 || index.dtype() == kInt32, op, "index must be an int64 or int32 tensor, got ",
              dtype_name(index.dtype()));
  EMBER_CHECK(index.dim() <= 1, op, "index must be 0-D or 1-D, got shape ", shape_str(index.shape()),
              "; flatten it or use gather");
  dim = detail::wrap_dim(dim, t.dim(), op);
  auto kernel = EMBER_KERNEL(index_select, op, t);
  const backend::Block3 amb = block_of(t.shape(), dim);
  const int64_t M = amb.R;
  Tensor idx = detail::contiguous_index(index);
  detail::check_index_range(idx, M, op, detail::str_cat("dimension ", dim, " with size ", M, " (input shape ",
                                                          shape_str(t.shape()), ")"));
  Shape out_shape = t.shape();
  if (t.dim() > 0) out_shape[dim] = idx.numel();
  else EMBER_CHECK(idx.numel() == 1, op, "a 0-dim input takes exactly one index, got ", idx.numel());
  bool needs = autograd::any_requires_grad({&t});
  Tensor out = detail::make_tensor(out_shape, t.dtype(), detail::common_device(op, {&t, &idx}));
  {
    NoGradGuard ng;
    kernel(out, t.contiguous(), idx, amb);  // (A, M, B) -> (A, n, B)
  }
  if (needs)
    autograd::set_history(out, "IndexSelectBackward", {t}, [shape = t.shape(), dim, idx](const Tensor& g, const autograd::Node&) {
      return std::vector<Tensor>{detail::index_add_zeros(shape, dim, idx, g)};
    });
  return out;
}

namespace {

// Checks shared by gather and scatter_add: int64 index with self's rank and, apart from `dim`,
// no larger than `self`.
void check_gather_index(const Tensor& self, int64_t dim, const Tensor& index, const char* op, const char* self_name) {
  EMBER_CHECK(index.dtype() == kInt64, op, "index must be an int64 tensor, got ", dtype_name(index.dtype()),
              "; convert it with .to(ember::kInt64)");
  EMBER_CHECK(index.dim() == self.dim(), op, "index must have as many dims as ", self_name, ", but index has shape ",
              shape_str(index.shape()), " and ", self_name, " has shape ", shape_str(self.shape()));
  for (int64_t d = 0; d < self.dim(); ++d)
    EMBER_CHECK(d == dim || index.shape()[d] <= self.shape()[d], op, "index of shape ", shape_str(index.shape()),
                " is larger than ", self_name, " of shape ", shape_str(self.shape()), " in dimension ", d,
                " (only dimension ", dim, " may be larger)");
}

// g padded with zeros up to `shape` (each g.size(d) <= shape[d]); differentiable.
Tensor pad_to(Tensor g, const Shape& shape) {
  for (int64_t d = 0; d < g.dim(); ++d) {
    if (g.shape()[d] == shape[d]) continue;
    Shape zs = g.shape();
    zs[d] = shape[d] - g.shape()[d];
    g = cat({g, zeros(zs, TensorOptions(g.dtype()).with_device(g.device()))}, d);
  }
  return g;
}

}  // namespace

Tensor gather(const Tensor& t, int64_t dim, const Tensor& index) {
  const char* op = "gather";
  dim = detail::wrap_dim(dim, t.dim(), op);
  check_gather_index(t, dim, index, op, "the input");
  auto kernel = EMBER_KERNEL(gather, op, t);
  const int64_t M = t.dim() == 0 ? 1 : t.shape()[dim];
  Tensor idx = index.contiguous();
  bool needs = autograd::any_requires_grad({&t});
  Tensor out = detail::make_tensor(index.shape(), t.dtype(), detail::common_device(op, {&t, &index}));
  {
    NoGradGuard ng;
    // The input restricted to the index's extent outside `dim`, as a contiguous (A, M, B) block.
    Shape sizes = index.shape();
    if (t.dim() > 0) sizes[dim] = M;
    Tensor src = detail::leading_block(t, sizes).contiguous();
    int64_t bad = kernel(out, src, idx, block_of(index.shape(), dim), M);  // (A, M, B) -> (A, n, B), checking indices
    if (bad >= 0)
      detail::index_out_of_range(detail::index_at(idx, bad), M, op, detail::str_cat("dimension ", dim, " with size ", M,
                                                                                     " (input shape ", shape_str(t.shape()), ")"));
  }
  if (needs)
    autograd::set_history(out, "GatherBackward", {t}, [shape = t.shape(), dim, idx](const Tensor& g, const autograd::Node&) {
      return std::vector<Tensor>{scatter_add(zeros(shape, TensorOptions(g.dtype()).with_device(g.device())), dim, idx, g)};
    });
  return out;
}

Tensor scatter_add(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src) {
  const char* op = "scatter_add";
  EMBER_CHECK(self.dtype() == src.dtype(), op, "self has dtype ", dtype_name(self.dtype()), " but src has dtype ",
              dtype_name(src.dtype()), "; convert src with .to(", dtype_name(self.dtype()), ")");
  dim = detail::wrap_dim(dim, self.dim(), op);
  check_gather_index(self, dim, index, op, "self");
  EMBER_CHECK(src.dim() == self.dim(), op, "src must have as many dims as self, but src has shape ",
              shape_str(src.shape()), " and self has shape ", shape_str(self.shape()));
  for (int64_t d = 0; d < src.dim(); ++d)
    EMBER_CHECK(index.shape()[d] <= src.shape()[d], op, "index of shape ", shape_str(index.shape()),
                " is larger than src of shape ", shape_str(src.shape()), " in dimension ", d);
  auto kernel = EMBER_KERNEL(scatter_add, op, self);
  const int64_t M = self.dim() == 0 ? 1 : self.shape()[dim];
  const backend::Block3 anb = block_of(index.shape(), dim);
  Tensor idx = index.contiguous();
  auto fail_if_bad = [&](int64_t bad) {
    if (bad >= 0)
      detail::index_out_of_range(detail::index_at(idx, bad), M, op, detail::str_cat("dimension ", dim, " with size ", M,
                                                                                     " (self shape ", shape_str(self.shape()), ")"));
  };
  bool needs = autograd::any_requires_grad({&self, &src});
  Tensor out = detail::make_tensor(self.shape(), self.dtype(), detail::common_device(op, {&self, &index, &src}));
  {
    NoGradGuard ng;
    EMBER_DISPATCH_NUMERIC(self.dtype(), op, [&]<typename T>() {});  // rejects bool and half types by name
    out.copy_(self);
    if (idx.numel() > 0) {
      Tensor s = detail::leading_block(src, index.shape()).contiguous();  // (A, n, B)
      Shape sizes = index.shape();
      if (self.dim() > 0) sizes[dim] = M;
      if (sizes == self.shape()) {
        fail_if_bad(kernel(out, s, idx, anb, M));  // checks indices as it goes
      } else {
        // The index covers only a leading block of self: accumulate there, then add it in.
        Tensor part = zeros(sizes, TensorOptions(self.dtype()).with_device(out.device()));
        fail_if_bad(kernel(part, s, idx, anb, M));
        detail::leading_block(out, sizes).add_(part);
      }
    }
  }
  if (needs)
    autograd::set_history(out, "ScatterAddBackward", {self, src},
                          [dim, idx, src_shape = src.shape()](const Tensor& g, const autograd::Node& node) {
                            Tensor gsrc;
                            if (node.needs_grad(1)) gsrc = pad_to(gather(g, dim, idx), src_shape);
                            return std::vector<Tensor>{node.needs_grad(0) ? g : Tensor(), gsrc};
                          });
  return out;
}

}  // namespace ember
