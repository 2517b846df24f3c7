#pragma once
// Sums of two per-element terms in double with eight independent lanes (so the loop vectorizes
// and the summation order, hence the result, is fixed).
#include <cstdint>

namespace ember::cpu {

// f(i, u, v) sets the two terms at i; adds their sums over [0, n) to s1 and s2.
template <typename F>
inline void lane_sum2(int64_t n, F&& f, double& s1, double& s2) {
  double a[8] = {}, b[8] = {};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int k = 0; k < 8; ++k) {
      double u, v;
      f(i + k, u, v);
      a[k] += u;
      b[k] += v;
    }
  for (int k = 0; i < n; ++i, ++k) {
    double u, v;
    f(i, u, v);
    a[k] += u;
    b[k] += v;
  }
  s1 += ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
  s2 += ((b[0] + b[1]) + (b[2] + b[3])) + ((b[4] + b[5]) + (b[6] + b[7]));
}

}  // namespace ember::cpu
