// any / all over every element: bool results, no gradient. NaN counts as true (nonzero).
#include "backend/backend.h"
#include "core/anomaly.h"
#include "core/op_helpers.h"
#include "ember/ops.h"

namespace ember {

namespace {

Tensor any_all(const Tensor& a, bool is_any, const char* op) {
  auto kernel = EMBER_KERNEL(any_all, op, a);
  detail::check_compute_dtype(a, op);
  Tensor out = detail::make_tensor({}, kBool, a.device());
  kernel(out, a.contiguous(), is_any);
  return out;
}

}  // namespace

Tensor any(const Tensor& a) { return any_all(a, true, "any"); }
Tensor all(const Tensor& a) { return any_all(a, false, "all"); }
bool all_finite(const Tensor& a) { return !detail::count_nonfinite(a).any(); }

}  // namespace ember
