// Softmax-family kernels (see softmax.h). float rows use AVX2 and the vectorized expf of
// vec_math.h; double and the column (inner > 1) case use plain loops the compiler vectorizes,
// with exponentials evaluated a strip at a time.
#include "backend/cpu/softmax.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "backend/cpu/loops.h"
#include "backend/cpu/vec_math.h"
#include "core/op_helpers.h"
#include "ember/parallel.h"

namespace ember::cpu {

namespace {

// Threads split rows (or column strips) with the project's grain rule (loops.h): serial below
// 2 * kGrain elements, at most one thread per kGrain elements. A fork/join costs a few us on an
// idle machine but can cost a whole scheduler time slice when the cores are shared, so small
// softmaxes (a (64, 1000) batch runs in ~30 us) stay on one thread.
template <typename F>
void parallel_items(int64_t items, int64_t work, F f) {
  int nt = get_num_threads();
  if (nt <= 1 || work < 2 * kGrain || items < 2) {
    for (int64_t i = 0; i < items; ++i) f(i);
    return;
  }
  int t = static_cast<int>(std::min<int64_t>({nt, items, work / kGrain}));
#pragma omp parallel for num_threads(t) schedule(static)
  for (int64_t i = 0; i < items; ++i) f(i);
}

// Partial sums in float are flushed to double every this many elements per row, which keeps the
// float part's error far below the 1e-5 tolerance even for very long rows.
constexpr int64_t kFlush = 2048;
constexpr int64_t kStrip = 256;  // columns per strip in the inner > 1 case

// ---------------- rows (inner == 1), generic ----------------

template <typename T>
T row_max(const T* x, int64_t n) {
  T m = -std::numeric_limits<T>::infinity();
  for (int64_t i = 0; i < n; ++i) m = x[i] > m || x[i] != x[i] ? x[i] : m;
  return m;
}

inline double exp_of(double v) { return std::exp(v); }
inline float exp_of(float v) { return vec::exp_scalar(v); }

template <typename T>
void row_forward(const T* x, T* y, int64_t n, bool log) {
  T m = row_max(x, n);
  double s = 0;
  if (log) {
    for (int64_t i = 0; i < n; ++i) s += exp_of(x[i] - m);
    T ls = static_cast<T>(std::log(s));
    for (int64_t i = 0; i < n; ++i) y[i] = (x[i] - m) - ls;
  } else {
    for (int64_t i = 0; i < n; ++i) s += (y[i] = exp_of(x[i] - m));
    T inv = static_cast<T>(1.0 / s);
    for (int64_t i = 0; i < n; ++i) y[i] *= inv;
  }
}

template <typename T>
void row_backward(const T* g, const T* y, T* gx, int64_t n, bool log) {
  double s = 0;
  if (log) {
    for (int64_t i = 0; i < n; ++i) s += g[i];
    T st = static_cast<T>(s);
    for (int64_t i = 0; i < n; ++i) gx[i] = g[i] - exp_of(y[i]) * st;
  } else {
    for (int64_t i = 0; i < n; ++i) s += static_cast<double>(g[i]) * y[i];
    T st = static_cast<T>(s);
    for (int64_t i = 0; i < n; ++i) gx[i] = y[i] * (g[i] - st);
  }
}

template <typename T>
T row_logsumexp(const T* x, int64_t n) {
  T m = row_max(x, n);
  if (std::isinf(m)) m = 0;
  double s = 0;
  for (int64_t i = 0; i < n; ++i) s += exp_of(x[i] - m);
  return static_cast<T>(std::log(s)) + m;
}

#if EMBER_HAVE_AVX2
// ---------------- rows, float with AVX2 ----------------

float row_max_avx(const float* x, int64_t n) {
  int64_t i = 0;
  float m = -INFINITY;
  if (n >= 32) {
    __m256 m0 = _mm256_set1_ps(-INFINITY), m1 = m0, m2 = m0, m3 = m0;
    __m256 nan = _mm256_setzero_ps();  // any NaN lane makes the max NaN (as PyTorch)
    for (; i + 32 <= n; i += 32) {
      __m256 a = _mm256_loadu_ps(x + i), b = _mm256_loadu_ps(x + i + 8);
      __m256 c = _mm256_loadu_ps(x + i + 16), d = _mm256_loadu_ps(x + i + 24);
      m0 = _mm256_max_ps(m0, a), m1 = _mm256_max_ps(m1, b), m2 = _mm256_max_ps(m2, c), m3 = _mm256_max_ps(m3, d);
      nan = _mm256_or_ps(nan, _mm256_or_ps(_mm256_cmp_ps(a, b, _CMP_UNORD_Q), _mm256_cmp_ps(c, d, _CMP_UNORD_Q)));
    }
    m = vec::hmax8(_mm256_max_ps(_mm256_max_ps(m0, m1), _mm256_max_ps(m2, m3)));
    if (_mm256_movemask_ps(nan)) return NAN;
  }
  for (; i < n; ++i) m = x[i] > m || x[i] != x[i] ? x[i] : m;
  return m;
}

// Sum of exp(x[i] - m); when `store`, also writes the exponentials to e.
template <bool store>
double row_expsum_avx(const float* x, float* e, int64_t n, float m) {
  const __m256 mv = _mm256_set1_ps(m);
  double total = 0;
  for (int64_t b = 0; b < n; b += kFlush) {
    int64_t end = std::min(n, b + kFlush), i = b;
    __m256 s0 = _mm256_setzero_ps(), s1 = s0;
    for (; i + 32 <= end; i += 32) {
      __m256 e0 = _mm256_sub_ps(_mm256_loadu_ps(x + i), mv), e1 = _mm256_sub_ps(_mm256_loadu_ps(x + i + 8), mv);
      __m256 e2 = _mm256_sub_ps(_mm256_loadu_ps(x + i + 16), mv), e3 = _mm256_sub_ps(_mm256_loadu_ps(x + i + 24), mv);
      vec::exp8x4(e0, e1, e2, e3);
      if constexpr (store) {
        _mm256_storeu_ps(e + i, e0), _mm256_storeu_ps(e + i + 8, e1);
        _mm256_storeu_ps(e + i + 16, e2), _mm256_storeu_ps(e + i + 24, e3);
      }
      s0 = _mm256_add_ps(s0, _mm256_add_ps(e0, e1)), s1 = _mm256_add_ps(s1, _mm256_add_ps(e2, e3));
    }
    for (; i + 8 <= end; i += 8) {
      __m256 e0 = vec::exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i), mv));
      if constexpr (store) _mm256_storeu_ps(e + i, e0);
      s0 = _mm256_add_ps(s0, e0);
    }
    float part = vec::hsum8(_mm256_add_ps(s0, s1));
    for (; i < end; ++i) {
      float v = vec::exp_scalar(x[i] - m);
      if constexpr (store) e[i] = v;
      part += v;
    }
    total += part;
  }
  return total;
}

// Sum of a[i] (b == nullptr) or a[i] * b[i], float lanes flushed to double per block.
double row_dot_avx(const float* a, const float* b, int64_t n) {
  double total = 0;
  for (int64_t blk = 0; blk < n; blk += kFlush) {
    int64_t end = std::min(n, blk + kFlush), i = blk;
    __m256 s0 = _mm256_setzero_ps(), s1 = s0;
    if (b) {
      for (; i + 16 <= end; i += 16) {
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
        s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
      }
    } else {
      for (; i + 16 <= end; i += 16) {
        s0 = _mm256_add_ps(_mm256_loadu_ps(a + i), s0);
        s1 = _mm256_add_ps(_mm256_loadu_ps(a + i + 8), s1);
      }
    }
    float part = vec::hsum8(_mm256_add_ps(s0, s1));
    for (; i < end; ++i) part += b ? a[i] * b[i] : a[i];
    total += part;
  }
  return total;
}

void row_forward_avx(const float* x, float* y, int64_t n, bool log) {
  float m = row_max_avx(x, n);
  const __m256 mv = _mm256_set1_ps(m);
  int64_t i = 0;
  if (log) {
    float ls = static_cast<float>(std::log(row_expsum_avx<false>(x, nullptr, n, m)));
    const __m256 lv = _mm256_set1_ps(ls);
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_sub_ps(_mm256_sub_ps(_mm256_loadu_ps(x + i), mv), lv));
    for (; i < n; ++i) y[i] = (x[i] - m) - ls;
  } else {
    float inv = static_cast<float>(1.0 / row_expsum_avx<true>(x, y, n, m));
    const __m256 iv = _mm256_set1_ps(inv);
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_mul_ps(_mm256_loadu_ps(y + i), iv));
    for (; i < n; ++i) y[i] *= inv;
  }
}

void row_backward_avx(const float* g, const float* y, float* gx, int64_t n, bool log) {
  int64_t i = 0;
  if (log) {
    const float s = static_cast<float>(row_dot_avx(g, nullptr, n));
    const __m256 sv = _mm256_set1_ps(s);
    for (; i + 8 <= n; i += 8)
      _mm256_storeu_ps(gx + i, _mm256_fnmadd_ps(vec::exp8(_mm256_loadu_ps(y + i)), sv, _mm256_loadu_ps(g + i)));
    for (; i < n; ++i) gx[i] = g[i] - vec::exp_scalar(y[i]) * s;
  } else {
    const float s = static_cast<float>(row_dot_avx(g, y, n));
    const __m256 sv = _mm256_set1_ps(s);
    for (; i + 8 <= n; i += 8)
      _mm256_storeu_ps(gx + i, _mm256_mul_ps(_mm256_loadu_ps(y + i), _mm256_sub_ps(_mm256_loadu_ps(g + i), sv)));
    for (; i < n; ++i) gx[i] = y[i] * (g[i] - s);
  }
}

float row_logsumexp_avx(const float* x, int64_t n) {
  float m = row_max_avx(x, n);
  if (std::isinf(m)) m = 0;
  return static_cast<float>(std::log(row_expsum_avx<false>(x, nullptr, n, m))) + m;
}
#endif

// Row dispatch: AVX2 for float when available.
template <typename T>
void do_row_forward(const T* x, T* y, int64_t n, bool log) {
#if EMBER_HAVE_AVX2
  if constexpr (std::is_same_v<T, float>) return row_forward_avx(x, y, n, log);
#endif
  row_forward(x, y, n, log);
}
template <typename T>
void do_row_backward(const T* g, const T* y, T* gx, int64_t n, bool log) {
#if EMBER_HAVE_AVX2
  if constexpr (std::is_same_v<T, float>) return row_backward_avx(g, y, gx, n, log);
#endif
  row_backward(g, y, gx, n, log);
}
template <typename T>
T do_row_logsumexp(const T* x, int64_t n) {
#if EMBER_HAVE_AVX2
  if constexpr (std::is_same_v<T, float>) return row_logsumexp_avx(x, n);
#endif
  return row_logsumexp(x, n);
}

// exp over a strip, vectorized for float.
inline void exp_strip(float* v, int64_t n) { vec::exp_array(v, v, n); }
inline void exp_strip(double* v, int64_t n) {
  for (int64_t i = 0; i < n; ++i) v[i] = std::exp(v[i]);
}

// ---------------- columns (inner > 1): one strip of w columns of one outer block ----------------
// x points at [R, inner] with the strip's first column at x[0]; st = inner.

template <typename T>
void strip_max(const T* x, int64_t R, int64_t st, int64_t w, T* m) {
  std::fill(m, m + w, -std::numeric_limits<T>::infinity());
  for (int64_t r = 0; r < R; ++r) {
    const T* row = x + r * st;
    for (int64_t j = 0; j < w; ++j) m[j] = row[j] > m[j] || row[j] != row[j] ? row[j] : m[j];
  }
}

// s[j] = sum_r exp(x[r, j] - m[j]); when e_out, the exponentials go to e_out[r, j].
template <typename T>
void strip_expsum(const T* x, int64_t R, int64_t st, int64_t w, const T* m, double* s, T* e_out) {
  T e[kStrip];
  std::fill(s, s + w, 0.0);
  for (int64_t r = 0; r < R; ++r) {
    const T* row = x + r * st;
    for (int64_t j = 0; j < w; ++j) e[j] = row[j] - m[j];
    exp_strip(e, w);
    for (int64_t j = 0; j < w; ++j) s[j] += e[j];
    if (e_out)
      for (int64_t j = 0; j < w; ++j) e_out[r * st + j] = e[j];
  }
}

template <typename T>
void strip_forward(const T* x, T* y, int64_t R, int64_t st, int64_t w, bool log) {
  T m[kStrip], f[kStrip];
  double s[kStrip];
  strip_max(x, R, st, w, m);
  strip_expsum(x, R, st, w, m, s, log ? nullptr : y);
  if (log) {
    for (int64_t j = 0; j < w; ++j) f[j] = static_cast<T>(std::log(s[j]));
    for (int64_t r = 0; r < R; ++r)
      for (int64_t j = 0; j < w; ++j) y[r * st + j] = (x[r * st + j] - m[j]) - f[j];
  } else {
    for (int64_t j = 0; j < w; ++j) f[j] = static_cast<T>(1.0 / s[j]);
    for (int64_t r = 0; r < R; ++r)
      for (int64_t j = 0; j < w; ++j) y[r * st + j] *= f[j];
  }
}

template <typename T>
void strip_backward(const T* g, const T* y, T* gx, int64_t R, int64_t st, int64_t w, bool log) {
  double s[kStrip];
  T sv[kStrip], e[kStrip];
  std::fill(s, s + w, 0.0);
  for (int64_t r = 0; r < R; ++r)
    for (int64_t j = 0; j < w; ++j) s[j] += log ? g[r * st + j] : static_cast<double>(g[r * st + j]) * y[r * st + j];
  for (int64_t j = 0; j < w; ++j) sv[j] = static_cast<T>(s[j]);
  for (int64_t r = 0; r < R; ++r) {
    const T* gr = g + r * st;
    const T* yr = y + r * st;
    T* o = gx + r * st;
    if (log) {
      std::copy(yr, yr + w, e);
      exp_strip(e, w);
      for (int64_t j = 0; j < w; ++j) o[j] = gr[j] - e[j] * sv[j];
    } else {
      for (int64_t j = 0; j < w; ++j) o[j] = yr[j] * (gr[j] - sv[j]);
    }
  }
}

template <typename T>
void strip_logsumexp(const T* x, T* out, int64_t R, int64_t st, int64_t w) {
  T m[kStrip];
  double s[kStrip];
  strip_max(x, R, st, w, m);
  for (int64_t j = 0; j < w; ++j)
    if (std::isinf(m[j])) m[j] = 0;
  strip_expsum(x, R, st, w, m, s, static_cast<T*>(nullptr));
  for (int64_t j = 0; j < w; ++j) out[j] = static_cast<T>(std::log(s[j])) + m[j];
}

// Runs f(o, j0, w) over every strip of every outer block.
template <typename F>
void for_each_strip(int64_t outer, int64_t R, int64_t inner, F f) {
  int64_t strips = (inner + kStrip - 1) / kStrip;
  parallel_items(outer * strips, outer * R * inner, [&](int64_t it) {
    int64_t o = it / strips, j0 = (it % strips) * kStrip;
    f(o, j0, std::min(kStrip, inner - j0));
  });
}

}  // namespace

template <typename T>
void softmax_blocks(const T* x, T* out, int64_t outer, int64_t R, int64_t inner, bool log) {
  if (R == 0) return;
  if (inner == 1) {
    parallel_items(outer, outer * R, [&](int64_t o) { do_row_forward(x + o * R, out + o * R, R, log); });
    return;
  }
  for_each_strip(outer, R, inner, [&](int64_t o, int64_t j0, int64_t w) {
    int64_t base = o * R * inner + j0;
    strip_forward(x + base, out + base, R, inner, w, log);
  });
}

template <typename T>
void softmax_backward_blocks(const T* g, const T* y, T* gx, int64_t outer, int64_t R, int64_t inner, bool log) {
  if (R == 0) return;
  if (inner == 1) {
    parallel_items(outer, outer * R, [&](int64_t o) { do_row_backward(g + o * R, y + o * R, gx + o * R, R, log); });
    return;
  }
  for_each_strip(outer, R, inner, [&](int64_t o, int64_t j0, int64_t w) {
    int64_t base = o * R * inner + j0;
    strip_backward(g + base, y + base, gx + base, R, inner, w, log);
  });
}

template <typename T>
void logsumexp_blocks(const T* x, T* out, int64_t outer, int64_t R, int64_t inner) {
  if (R == 0) {
    std::fill(out, out + outer * inner, -std::numeric_limits<T>::infinity());
    return;
  }
  if (inner == 1) {
    parallel_items(outer, outer * R, [&](int64_t o) { out[o] = do_row_logsumexp(x + o * R, R); });
    return;
  }
  for_each_strip(outer, R, inner, [&](int64_t o, int64_t j0, int64_t w) {
    strip_logsumexp(x + o * R * inner + j0, out + o * inner + j0, R, inner, w);
  });
}

template void softmax_blocks<float>(const float*, float*, int64_t, int64_t, int64_t, bool);
template void softmax_blocks<double>(const double*, double*, int64_t, int64_t, int64_t, bool);
template void softmax_backward_blocks<float>(const float*, const float*, float*, int64_t, int64_t, int64_t, bool);
template void softmax_backward_blocks<double>(const double*, const double*, double*, int64_t, int64_t, int64_t, bool);
template void logsumexp_blocks<float>(const float*, float*, int64_t, int64_t, int64_t);
template void logsumexp_blocks<double>(const double*, double*, int64_t, int64_t, int64_t);

void softmax(const Tensor& out, const Tensor& x, Block3 b, bool log) {
  EMBER_DISPATCH_FLOATING(x.dtype(), log ? "log_softmax" : "softmax", [&]<typename T>() {
    softmax_blocks(x.data_ptr<T>(), out.data_ptr<T>(), b.outer, b.R, b.inner, log);
  });
}

void softmax_backward(const Tensor& gx, const Tensor& g, const Tensor& y, Block3 b, bool log) {
  EMBER_DISPATCH_FLOATING(y.dtype(), "softmax_backward", [&]<typename T>() {
    softmax_backward_blocks(g.data_ptr<T>(), y.data_ptr<T>(), gx.data_ptr<T>(), b.outer, b.R, b.inner, log);
  });
}

}  // namespace ember::cpu
