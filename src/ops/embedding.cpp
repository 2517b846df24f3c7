// embedding (a row lookup: index_select on dim 0 of the weight) and one_hot.
#include <limits>

#include "backend/backend.h"
#include "core/op_helpers.h"
#include "ember/autograd.h"
#include "ember/ops.h"
#include "ops/index_util.h"
#include "ember/ops/trace.h"

namespace ember {

Tensor embedding(const Tensor& indices, const Tensor& weight, std::optional<int64_t> padding_idx) {
  trace::OpScope scope;
  Tensor out_ = [&]() -> Tensor {
  const char* op = "embedding";
  EMBER_CHECK(indices.dtype() == kInt64 || indices.dtype() == kInt32, op,
              "indices must be an int64 (or int32) tensor, got ", dtype_name(indices.dtype()));
  EMBER_CHECK(weight.dim() == 2, op, "weight must be 2-D (num_embeddings, embedding_dim), got shape ",
              shape_str(weight.shape()));
  auto kernel = EMBER_KERNEL(index_select, op, weight);
  const int64_t V = weight.shape()[0], D = weight.shape()[1];
  int64_t pad = -1;
  if (padding_idx) {
    EMBER_CHECK(*padding_idx >= -V && *padding_idx < V, op, "padding_idx ", *padding_idx,
                " must be within the ", V, " embeddings (weight shape ", shape_str(weight.shape()), ")");
    pad = *padding_idx < 0 ? *padding_idx + V : *padding_idx;
  }
  Tensor idx = detail::contiguous_index(indices);
  detail::check_index_range(idx, V, op, detail::str_cat("a vocabulary of ", V, " embeddings (weight shape ",
                                                          shape_str(weight.shape()), ")"));
  const int64_t n = idx.numel();
  Shape out_shape = indices.shape();
  out_shape.push_back(D);
  bool needs = autograd::any_requires_grad({&weight});
  Tensor out = detail::make_tensor(out_shape, weight.dtype(), detail::common_device(op, {&weight, &indices}));
  {
    NoGradGuard ng;
    kernel(out, weight.contiguous(), idx, {1, V, D});  // (V, D) -> (n, D)
  }
  if (needs)
    autograd::set_history(out, "EmbeddingBackward", {weight}, [idx, pad, V, D, n](const Tensor& g, const autograd::Node&) {
      Tensor rows = g.reshape({n, D});
      if (pad >= 0 && GradMode::is_enabled()) rows = rows * ne(idx.reshape({n}), pad).unsqueeze(1).to(g.dtype());  // (n, D)
      Tensor gw = detail::index_add_zeros({V, D}, 0, idx, rows);  // repeated indices accumulate
      if (pad >= 0 && !GradMode::is_enabled()) gw.select(0, pad).zero_();  // only pad's own uses land there
      return std::vector<Tensor>{gw};
    });
  return out;
}();
  if (scope) scope.record("embedding", {indices, weight}, {out_});
  return out_;
}

Tensor one_hot(const Tensor& indices, int64_t num_classes) {
  const char* op = "one_hot";
  EMBER_CHECK(indices.dtype() == kInt64, op, "indices must be an int64 tensor, got ", dtype_name(indices.dtype()));
  EMBER_CHECK(num_classes >= -1, op, "num_classes must be -1 (infer) or non-negative, got ", num_classes);
  Tensor idx = detail::contiguous_index(indices);
  const int64_t n = idx.numel();
  // The first negative class, then (with num_classes given) the first one too large, in order.
  const int64_t negative = EMBER_KERNEL(index_bounds, op, idx)(idx, std::numeric_limits<int64_t>::max());
  EMBER_CHECK(negative < 0, op, "class values must be non-negative, got ", detail::index_at(idx, negative));
  if (num_classes == -1) {
    EMBER_CHECK(n > 0, op, "cannot infer the number of classes from an empty tensor; pass num_classes");
    num_classes = amax(idx).item<int64_t>() + 1;
  } else {
    const int64_t bad = EMBER_KERNEL(index_bounds, op, idx)(idx, num_classes);
    EMBER_CHECK(bad < 0, op, "class value ", detail::index_at(idx, bad), " is out of range for num_classes ", num_classes);
  }
  Shape out_shape = indices.shape();
  out_shape.push_back(num_classes);
  Tensor out = zeros(out_shape, TensorOptions(kInt64).with_device(idx.device()));  // (*, num_classes)
  EMBER_KERNEL(one_hot, op, out)(out, idx);
  return out;
}

}  // namespace ember
