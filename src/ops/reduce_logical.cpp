// any / all over every element: bool results, no gradient. NaN counts as true (nonzero).
#include "core/op_helpers.h"
#include "ember/ops.h"

namespace ember {

namespace {

Tensor any_all(const Tensor& a, bool is_any, const char* op) {
  detail::check_compute_dtype(a, op);
  Tensor x = a.contiguous();
  bool r = EMBER_DISPATCH_ALL(x.dtype(), op, [&]<typename T>() {
    const T* p = x.data_ptr<T>();
    int64_t n = x.numel();
    // Blocks keep the inner loop branch-free (vectorizable); stop at the first block that decides.
    constexpr int64_t kBlock = 4096;
    for (int64_t b = 0; b < n; b += kBlock) {
      int64_t e = std::min(n, b + kBlock);
      bool hit = false;
      if (is_any)
        for (int64_t i = b; i < e; ++i) hit |= p[i] != T(0);
      else
        for (int64_t i = b; i < e; ++i) hit |= !(p[i] != T(0));
      if (hit) return is_any;
    }
    return !is_any;
  });
  Tensor out = detail::make_tensor({}, kBool);
  *out.data_ptr<bool>() = r;
  return out;
}

}  // namespace

Tensor any(const Tensor& a) { return any_all(a, true, "any"); }
Tensor all(const Tensor& a) { return any_all(a, false, "all"); }

}  // namespace ember
