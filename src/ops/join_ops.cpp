// Joining: cat and stack. cat's kernel copies contiguous row blocks with memcpy; its gradient is
// one narrow of the output gradient per input.
#include "backend/backend.h"
#include "core/op_helpers.h"
#include "ember/autograd.h"
#include "ember/ops.h"
#include "ember/ops/trace.h"

namespace ember {

namespace {
// PyTorch (legacy behaviour) skips 1-D empty tensors in cat whatever the other tensors' rank.
bool skipped_in_cat(const Tensor& t) { return t.dim() == 1 && t.numel() == 0; }
}  // namespace

Tensor cat(const std::vector<Tensor>& tensors, int64_t dim) {
  trace::OpScope scope;
  Tensor out_ = [&]() -> Tensor {
  EMBER_CHECK(!tensors.empty(), "cat", "expected a non-empty list of tensors");
  DType dt = DType::Bool;
  int64_t ref = -1;  // the first tensor that takes part: it fixes the rank and the other sizes
  for (size_t k = 0; k < tensors.size(); ++k) {
    const Tensor& t = tensors[k];
    EMBER_CHECK(t.defined(), "cat", "tensor ", k, " of the list is undefined");
    EMBER_CHECK(t.dim() > 0, "cat", "zero-dimensional tensor (at position ", k,
                ") cannot be concatenated; unsqueeze(0) it first or use stack");
    dt = k == 0 ? t.dtype() : promote_types(dt, t.dtype());
    if (ref < 0 && !skipped_in_cat(t)) ref = static_cast<int64_t>(k);
  }
  const Shape rs = ref >= 0 ? tensors[ref].shape() : Shape{0};
  const int64_t nd = static_cast<int64_t>(rs.size());
  dim = detail::wrap_dim(dim, nd, "cat");
  Shape out_shape = rs;
  out_shape[dim] = 0;
  std::vector<Tensor> parts;
  std::vector<int64_t> starts(tensors.size(), 0), lens(tensors.size(), -1);  // len -1: skipped
  for (size_t k = 0; k < tensors.size(); ++k) {
    const Tensor& t = tensors[k];
    if (ref >= 0 && skipped_in_cat(t)) continue;
    EMBER_CHECK(t.dim() == nd, "cat", "tensors must have the same number of dims, but tensor ", ref, " has shape ",
                shape_str(rs), " and tensor ", k, " has shape ", shape_str(t.shape()));
    for (int64_t d = 0; d < nd; ++d)
      EMBER_CHECK(d == dim || t.shape()[d] == rs[d], "cat", "sizes must match except in dimension ", dim,
                  ", but tensor ", ref, " has shape ", shape_str(rs), " and tensor ", k, " has shape ",
                  shape_str(t.shape()), " (they differ in dimension ", d, ")");
    starts[k] = out_shape[dim];
    lens[k] = t.shape()[dim];
    out_shape[dim] += t.shape()[dim];
    parts.push_back(t);
  }
  Tensor out = detail::make_tensor(out_shape, dt, parts.empty() ? tensors[0].device() : parts[0].device());
  for (const Tensor& p : parts) detail::common_device("cat", {&out, &p});
  EMBER_KERNEL(cat, "cat", out)(out, parts, dim);
  if (autograd::any_requires_grad(tensors)) {
    autograd::set_history(out, "CatBackward", tensors,
                          [dim, starts, lens](const Tensor& g, const autograd::Node& n) {
                            std::vector<Tensor> gs(starts.size());
                            for (size_t k = 0; k < starts.size(); ++k) {
                              if (!n.needs_grad(k)) continue;
                              gs[k] = lens[k] < 0 ? zeros({0}, TensorOptions(g.dtype()).with_device(g.device()))
                                                  : g.narrow(dim, starts[k], lens[k]);
                            }
                            return gs;
                          });
  }
  return out;
}();
  if (scope) scope.record("cat", tensors, {out_}, {trace::integer("dim", detail::wrap_dim(dim, out_.dim(), "cat"))});
  return out_;
}

Tensor stack(const std::vector<Tensor>& tensors, int64_t dim) {
  EMBER_CHECK(!tensors.empty(), "stack", "expected a non-empty list of tensors");
  for (size_t k = 0; k < tensors.size(); ++k) {
    EMBER_CHECK(tensors[k].defined(), "stack", "tensor ", k, " of the list is undefined");
    EMBER_CHECK(tensors[k].shape() == tensors[0].shape(), "stack", "expects tensors of equal shape, but got ",
                shape_str(tensors[0].shape()), " at entry 0 and ", shape_str(tensors[k].shape()), " at entry ", k);
  }
  dim = detail::wrap_dim(dim, tensors[0].dim() + 1, "stack");
  std::vector<Tensor> expanded;
  expanded.reserve(tensors.size());
  for (auto& t : tensors) expanded.push_back(t.unsqueeze(dim));  // (..., 1, ...) views
  return cat(expanded, dim);
}

}  // namespace ember
