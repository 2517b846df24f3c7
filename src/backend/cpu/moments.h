#pragma once
// Row sums for the normalization kernels, accumulated in double with eight lanes (two 4-wide
// vectors, GCC/Clang vector extensions) so that float32 inputs keep full precision, the loop runs
// at vector speed, and the summation order (hence the result) is fixed.
#include <cstdint>
#include <cstring>
#include <type_traits>

namespace ember::cpu {

typedef double d4 __attribute__((vector_size(32)));
typedef float f4 __attribute__((vector_size(16)));

template <typename T>
inline d4 load_d4(const T* p) {
  if constexpr (std::is_same_v<T, float>) {
    f4 v;
    std::memcpy(&v, p, sizeof v);
    return __builtin_convertvector(v, d4);
  } else {
    d4 v;
    std::memcpy(&v, p, sizeof v);
    return v;
  }
}

inline double hsum(d4 v) { return (v[0] + v[1]) + (v[2] + v[3]); }

// s1 += sum(x - k), s2 += sum((x - k)^2): shifted moments of x[0, n).
template <typename T>
inline void shifted_moments(const T* x, int64_t n, double k, double& s1, double& s2) {
  const d4 kk = {k, k, k, k};
  d4 a0 = {}, a1 = {}, b0 = {}, b1 = {};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    d4 u0 = load_d4(x + i) - kk, u1 = load_d4(x + i + 4) - kk;
    a0 += u0, a1 += u1;
    b0 += u0 * u0, b1 += u1 * u1;
  }
  double ta = 0, tb = 0;
  for (; i < n; ++i) {
    double u = static_cast<double>(x[i]) - k;
    ta += u, tb += u * u;
  }
  s1 += hsum(a0 + a1) + ta;
  s2 += hsum(b0 + b1) + tb;
}

// With h = g * w (w may be null: 1): s1 += sum(h), s2 += sum(h * (x - m)).
template <typename T>
inline void sum_and_centered_dot(const T* g, const T* w, const T* x, int64_t n, double m, double& s1, double& s2) {
  const d4 mm = {m, m, m, m};
  d4 a0 = {}, a1 = {}, b0 = {}, b1 = {};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    d4 h0 = load_d4(g + i), h1 = load_d4(g + i + 4);
    if (w) h0 *= load_d4(w + i), h1 *= load_d4(w + i + 4);
    a0 += h0, a1 += h1;
    b0 += h0 * (load_d4(x + i) - mm), b1 += h1 * (load_d4(x + i + 4) - mm);
  }
  double ta = 0, tb = 0;
  for (; i < n; ++i) {
    double h = static_cast<double>(g[i]) * (w ? static_cast<double>(w[i]) : 1.0);
    ta += h, tb += h * (static_cast<double>(x[i]) - m);
  }
  s1 += hsum(a0 + a1) + ta;
  s2 += hsum(b0 + b1) + tb;
}

}  // namespace ember::cpu
