// embedding (a row lookup: index_select on dim 0 of the weight) and one_hot.
#include <algorithm>

#include "backend/cpu/shape_kernels.h"
#include "core/op_helpers.h"
#include "ember/autograd.h"
#include "ember/ops.h"
#include "ops/index_util.h"

namespace ember {

Tensor embedding(const Tensor& indices, const Tensor& weight, std::optional<int64_t> padding_idx) {
  const char* op = "embedding";
  EMBER_CHECK(indices.dtype() == kInt64 || indices.dtype() == kInt32, op,
              "indices must be an int64 (or int32) tensor, got ", dtype_name(indices.dtype()));
  EMBER_CHECK(weight.dim() == 2, op, "weight must be 2-D (num_embeddings, embedding_dim), got shape ",
              shape_str(weight.shape()));
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
  Tensor out = detail::make_tensor(out_shape, weight.dtype());
  {
    NoGradGuard ng;
    cpu::index_select(out, weight.contiguous(), idx.data_ptr<int64_t>(), n, 1, V, D);  // (V, D) -> (n, D)
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
}

Tensor one_hot(const Tensor& indices, int64_t num_classes) {
  const char* op = "one_hot";
  EMBER_CHECK(indices.dtype() == kInt64, op, "indices must be an int64 tensor, got ", dtype_name(indices.dtype()));
  EMBER_CHECK(num_classes >= -1, op, "num_classes must be -1 (infer) or non-negative, got ", num_classes);
  Tensor idx = detail::contiguous_index(indices);
  const int64_t* p = idx.data_ptr<int64_t>();
  const int64_t n = idx.numel();
  for (int64_t i = 0; i < n; ++i)
    EMBER_CHECK(p[i] >= 0, op, "class values must be non-negative, got ", p[i]);
  if (num_classes == -1) {
    EMBER_CHECK(n > 0, op, "cannot infer the number of classes from an empty tensor; pass num_classes");
    num_classes = *std::max_element(p, p + n) + 1;
  } else {
    for (int64_t i = 0; i < n; ++i)
      EMBER_CHECK(p[i] < num_classes, op, "class value ", p[i], " is out of range for num_classes ", num_classes);
  }
  Shape out_shape = indices.shape();
  out_shape.push_back(num_classes);
  Tensor out = zeros(out_shape, kInt64);  // (*, num_classes)
  int64_t* o = out.data_ptr<int64_t>();
  for (int64_t i = 0; i < n; ++i) o[i * num_classes + p[i]] = 1;
  return out;
}

}  // namespace ember
