// tril / triu over the last two dims; the gradient is the same mask applied to the gradient.
#include "backend/backend.h"
#include "core/op_helpers.h"
#include "ember/autograd.h"
#include "ember/ops.h"

namespace ember {

namespace {

Tensor triangle(const Tensor& t, int64_t diagonal, bool lower) {
  const char* op = lower ? "tril" : "triu";
  EMBER_CHECK(t.dim() >= 2, op, "expects a tensor with at least 2 dims (..., rows, cols), got shape ",
              shape_str(t.shape()));
  bool needs = autograd::any_requires_grad({&t});
  Tensor out = detail::make_tensor(t.shape(), t.dtype(), t.device());
  {
    NoGradGuard ng;
    EMBER_KERNEL(triangle, op, out)(out, t.contiguous(), diagonal, lower);
  }
  if (needs)
    autograd::set_history(out, lower ? "TrilBackward" : "TriuBackward", {t},
                          [diagonal, lower](const Tensor& g, const autograd::Node&) {
                            return std::vector<Tensor>{lower ? tril(g, diagonal) : triu(g, diagonal)};
                          });
  return out;
}

}  // namespace

Tensor tril(const Tensor& t, int64_t diagonal) { return triangle(t, diagonal, true); }
Tensor triu(const Tensor& t, int64_t diagonal) { return triangle(t, diagonal, false); }

}  // namespace ember
