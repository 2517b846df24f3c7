// cumsum and prod's exclusive products (see scan.h).
#include "backend/cpu/scan.h"

#include <algorithm>
#include <vector>

#include "core/op_helpers.h"

namespace ember::cpu {

void cumsum(const Tensor& out, const Tensor& src_t, Block3 b, bool reverse) {
  const int64_t outer = b.outer, R = b.R, inner = b.inner;
  EMBER_DISPATCH_NUMERIC(src_t.dtype(), "cumsum", [&]<typename T>() {
    using Acc = std::conditional_t<std::is_floating_point_v<T>, double, int64_t>;
    const T* src = src_t.data_ptr<T>();
    T* dst = out.data_ptr<T>();
    std::vector<Acc> acc(inner);
    for (int64_t o = 0; o < outer; ++o) {
      std::fill(acc.begin(), acc.end(), Acc(0));
      for (int64_t k = 0; k < R; ++k) {
        int64_t r = reverse ? R - 1 - k : k;
        const T* s = src + (o * R + r) * inner;
        T* t = dst + (o * R + r) * inner;
        for (int64_t j = 0; j < inner; ++j) t[j] = static_cast<T>(acc[j] += static_cast<Acc>(s[j]));
      }
    }
  });
}

void prod_backward(const Tensor& out, const Tensor& x, Block3 b) {
  const int64_t outer = b.outer, R = b.R, inner = b.inner;
  EMBER_DISPATCH_FLOATING(x.dtype(), "prod_backward", [&]<typename T>() {
    const T* src = x.data_ptr<T>();
    T* dst = out.data_ptr<T>();
    std::vector<double> prefix(R);
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t j = 0; j < inner; ++j) {
        const T* s = src + o * R * inner + j;
        T* t = dst + o * R * inner + j;
        double p = 1;
        for (int64_t r = 0; r < R; ++r) prefix[r] = p, p *= s[r * inner];
        p = 1;
        for (int64_t r = R - 1; r >= 0; --r) t[r * inner] = static_cast<T>(prefix[r] * p), p *= s[r * inner];
      }
  });
}

}  // namespace ember::cpu
