// scaled_dot_product_attention as a composite of matmul, softmax and dropout, so its gradient
// (and double backward) comes from those ops. A fused kernel may replace the forward where a
// benchmark shows it pays; this composite stays as the reference it is tested against.
#include <cmath>

#include "core/internal.h"
#include "ember/ops.h"

namespace ember {

namespace {

std::string shape_str(const Tensor& t) { return ember::shape_str(t.shape()); }

}  // namespace

Tensor scaled_dot_product_attention(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& attn_mask,
                                    double dropout_p, bool is_causal, std::optional<double> scale, Generator* gen) {
  const char* op = "scaled_dot_product_attention";
  EMBER_CHECK(q.defined() && k.defined() && v.defined(), op, "query, key and value must be defined tensors");
  EMBER_CHECK(q.dim() >= 2 && k.dim() >= 2 && v.dim() >= 2, op, "query, key and value need at least 2 dims (*, L, E), got ",
              shape_str(q), ", ", shape_str(k), " and ", shape_str(v));
  detail::check_floating(q, op);
  EMBER_CHECK(q.dtype() == k.dtype() && q.dtype() == v.dtype(), op, "query, key and value must share a dtype, got ",
              dtype_name(q.dtype()), ", ", dtype_name(k.dtype()), " and ", dtype_name(v.dtype()));
  const int64_t L = q.shape()[q.dim() - 2], E = q.shape()[q.dim() - 1];
  const int64_t S = k.shape()[k.dim() - 2];
  EMBER_CHECK(k.shape()[k.dim() - 1] == E, op, "query (*, L, E) and key (*, S, E) must share E, got query ",
              shape_str(q), " and key ", shape_str(k));
  EMBER_CHECK(v.shape()[v.dim() - 2] == S, op, "key (*, S, E) and value (*, S, Ev) must share S, got key ", shape_str(k),
              " and value ", shape_str(v));
  EMBER_CHECK(dropout_p >= 0.0 && dropout_p <= 1.0, op, "dropout_p must be in [0, 1], got ", dropout_p);
  EMBER_CHECK(!(is_causal && attn_mask.defined()), op,
              "give either attn_mask or is_causal=true, not both (fold the causal mask into attn_mask)");
  EMBER_CHECK(!scale || std::isfinite(*scale), op, "scale must be finite, got ", *scale);
  const double s = scale ? *scale : 1.0 / std::sqrt(static_cast<double>(E));

  Tensor scores = matmul(q, k.transpose(-2, -1)) * s;  // (*, L, E) @ (*, E, S) -> (*, L, S)
  if (is_causal) {
    Tensor keep = tril(ones({L, S}, DType::Bool));  // (L, S), true on and below the diagonal
    scores = masked_fill(scores, logical_not(keep), -INFINITY);
  } else if (attn_mask.defined()) {
    EMBER_CHECK(attn_mask.dim() >= 2, op, "attn_mask must broadcast to (*, L, S) = (*, ", L, ", ", S, "), got ",
                shape_str(attn_mask));
    Shape tail(attn_mask.shape().end() - 2, attn_mask.shape().end());
    EMBER_CHECK((tail[0] == L || tail[0] == 1) && (tail[1] == S || tail[1] == 1), op,
                "attn_mask must broadcast to (*, L, S) = (*, ", L, ", ", S, "), got ", shape_str(attn_mask));
    if (attn_mask.dtype() == DType::Bool) {
      scores = masked_fill(scores, logical_not(attn_mask), -INFINITY);
    } else {
      EMBER_CHECK(attn_mask.dtype() == q.dtype(), op, "a floating attn_mask must have the query's dtype ",
                  dtype_name(q.dtype()), ", got ", dtype_name(attn_mask.dtype()), " (or pass a bool mask)");
      scores = scores + attn_mask;
    }
  }
  Tensor weights = softmax(scores, -1);  // (*, L, S)
  if (dropout_p > 0.0) weights = dropout(weights, dropout_p, true, gen);
  return matmul(weights, v);  // (*, L, S) @ (*, S, Ev) -> (*, L, Ev)
}

}  // namespace ember
