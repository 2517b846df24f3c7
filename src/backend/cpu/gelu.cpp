#include "backend/cpu/gelu.h"

#include <algorithm>
#include <cmath>

#include "backend/cpu/parallel_range.h"
#include "backend/cpu/vec_math.h"

namespace ember::cpu {

namespace {

constexpr float kSqrt2OverPi = 0.79788456080286535588f;
constexpr float kCoef = 0.044715f;

#if EMBER_HAVE_AVX2
// s = sigmoid(2u)
inline __m256 sig2u8(__m256 x) {
  const __m256 x3 = _mm256_mul_ps(_mm256_mul_ps(x, x), _mm256_mul_ps(_mm256_set1_ps(kCoef), x));
  const __m256 m2u = _mm256_mul_ps(_mm256_set1_ps(-2.0f * kSqrt2OverPi), _mm256_add_ps(x, x3));  // -2u
  return _mm256_div_ps(_mm256_set1_ps(1.0f), _mm256_add_ps(_mm256_set1_ps(1.0f), vec::exp8(m2u)));
}
inline __m256 forward8(__m256 x) { return _mm256_mul_ps(x, sig2u8(x)); }
inline __m256 backward8(__m256 g, __m256 x) {
  const __m256 one = _mm256_set1_ps(1.0f);
  const __m256 s = sig2u8(x);
  const __m256 du2 = _mm256_mul_ps(_mm256_set1_ps(2.0f * kSqrt2OverPi),
                                   _mm256_fmadd_ps(_mm256_mul_ps(_mm256_set1_ps(3.0f * kCoef), x), x, one));  // 2 du/dx
  const __m256 d = _mm256_fmadd_ps(_mm256_mul_ps(_mm256_mul_ps(x, s), _mm256_sub_ps(one, s)), du2, s);
  return _mm256_mul_ps(g, d);
}

// cdf8: Phi(x) for 8 lanes (the normal CDF); with pdf, also phi(x) (its density).
constexpr float kInvSqrt2 = 0.70710678118654752440f;
constexpr float kInvSqrt2Pi = 0.39894228040143267794f;
constexpr float kCutX = 12.7279221f;  // |x| = 9 sqrt(2): erfc(9) = 4e-37, past it Phi is 0 or 1
inline __m256 erfc_poly8(__m256 t) {  // -1.26551223 + t P(t) of erfcc
  __m256 p = _mm256_set1_ps(0.17087277f);
  for (float c : {-0.82215223f, 1.48851587f, -1.13520398f, 0.27886807f, -0.18628806f, 0.09678418f, 0.37409196f,
                  1.00002368f})
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(c));
  return _mm256_fmadd_ps(p, t, _mm256_set1_ps(-1.26551223f));
}
inline __m256 cdf8(__m256 x, __m256* pdf) {
  const __m256 one = _mm256_set1_ps(1.0f), half = _mm256_set1_ps(0.5f);
  const __m256 ax_raw = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), x);
  const __m256 ax = _mm256_min_ps(ax_raw, _mm256_set1_ps(kCutX));  // NaN lanes -> the cut: no NaN reaches exp
  const __m256 a = _mm256_mul_ps(ax, _mm256_set1_ps(kInvSqrt2));
  const __m256 t = _mm256_div_ps(one, _mm256_fmadd_ps(half, a, one));
  // -a^2 = -x^2/2 exactly as nh + nl (from x, not the rounded a: 1 ulp of a^2 ~ 19 is 2e-6 of the tail)
  const __m256 mhalf = _mm256_set1_ps(-0.5f);
  const __m256 x2 = _mm256_mul_ps(ax, ax);
  const __m256 nh = _mm256_mul_ps(mhalf, x2), nl = _mm256_mul_ps(mhalf, _mm256_fmsub_ps(ax, ax, x2));
  const __m256 p = erfc_poly8(t);
  __m256 erfc;
  if (pdf) {  // exp(-a^2) is phi's too
    const __m256 e0 = vec::exp8_fast(nh);
    const __m256 e1 = _mm256_fmadd_ps(e0, nl, e0);  // exp(nh + nl) = exp(nh) (1 + nl)
    erfc = _mm256_mul_ps(_mm256_mul_ps(t, e1), vec::exp8_fast(p));
    *pdf = _mm256_mul_ps(e1, _mm256_set1_ps(kInvSqrt2Pi));
  } else {  // exp(nh + p) with the rounding of the sum carried (TwoSum) into the 1 + lo factor
    const __m256 s = _mm256_add_ps(nh, p);
    const __m256 bb = _mm256_sub_ps(s, nh);
    const __m256 err = _mm256_add_ps(_mm256_sub_ps(nh, _mm256_sub_ps(s, bb)), _mm256_sub_ps(p, bb));
    const __m256 e = vec::exp8_fast(s);
    erfc = _mm256_mul_ps(t, _mm256_fmadd_ps(e, _mm256_add_ps(err, nl), e));
  }
  __m256 tail = _mm256_mul_ps(half, erfc);
  const __m256 past = _mm256_cmp_ps(ax_raw, _mm256_set1_ps(kCutX), _CMP_GT_OQ);
  tail = _mm256_andnot_ps(past, tail);
  if (pdf) *pdf = _mm256_andnot_ps(past, *pdf);
  const __m256 neg = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ);
  return _mm256_blendv_ps(_mm256_sub_ps(one, tail), tail, neg);
}
inline __m256 erf_forward8(__m256 x) { return _mm256_mul_ps(x, cdf8(x, nullptr)); }
inline __m256 erf_backward8(__m256 g, __m256 x) {
  __m256 pdf;
  const __m256 cdf = cdf8(x, &pdf);
  return _mm256_mul_ps(g, _mm256_fmadd_ps(x, pdf, cdf));
}
#else
inline float sig2u(float x) {
  const float u = kSqrt2OverPi * (x + (x * x) * (kCoef * x));
  return 1.0f / (1.0f + vec::exp_scalar(-2.0f * u));
}
#endif

// Runs f8 on every 8 elements; the last partial group goes through the same vector code on a
// zero-padded copy, so an element's bits do not depend on where the thread ranges fall.
template <typename F8, typename F1>
void sweep(int64_t n, int64_t work, F8&& f8, F1&& f1) {
  parallel_range(n, work, [&](int64_t b, int64_t e) {
#if EMBER_HAVE_AVX2
    int64_t i = b;
    for (; i + 8 <= e; i += 8) f8(i, 8);
    if (i < e) f8(i, e - i);
#else
    for (int64_t i = b; i < e; ++i) f1(i);
#endif
  });
}

}  // namespace

void gelu_tanh_forward(const float* x, float* y, int64_t n) {
  sweep(
      n, n,
      [&](int64_t i, int64_t m) {
#if EMBER_HAVE_AVX2
        if (m == 8) return _mm256_storeu_ps(y + i, forward8(_mm256_loadu_ps(x + i)));
        alignas(32) float in[8] = {}, out[8];
        std::copy(x + i, x + i + m, in);
        _mm256_store_ps(out, forward8(_mm256_load_ps(in)));
        std::copy(out, out + m, y + i);
#endif
      },
      [&](int64_t i) {
#if !EMBER_HAVE_AVX2
        y[i] = x[i] * sig2u(x[i]);
#endif
      });
}

void gelu_tanh_backward(const float* g, const float* x, float* gx, int64_t n) {
  sweep(
      n, 2 * n,
      [&](int64_t i, int64_t m) {
#if EMBER_HAVE_AVX2
        if (m == 8) return _mm256_storeu_ps(gx + i, backward8(_mm256_loadu_ps(g + i), _mm256_loadu_ps(x + i)));
        alignas(32) float gi[8] = {}, xi[8] = {}, out[8];
        std::copy(g + i, g + i + m, gi);
        std::copy(x + i, x + i + m, xi);
        _mm256_store_ps(out, backward8(_mm256_load_ps(gi), _mm256_load_ps(xi)));
        std::copy(out, out + m, gx + i);
#endif
      },
      [&](int64_t i) {
#if !EMBER_HAVE_AVX2
        const float xv = x[i], s = sig2u(xv);
        const float du2 = 2.0f * kSqrt2OverPi * (1.0f + (3.0f * kCoef * xv) * xv);
        gx[i] = g[i] * (s + xv * s * (1.0f - s) * du2);
#endif
      });
}

void gelu_erf_forward(const float* x, float* y, int64_t n) {
  sweep(
      n, 2 * n,
      [&](int64_t i, int64_t m) {
#if EMBER_HAVE_AVX2
        if (m == 8) return _mm256_storeu_ps(y + i, erf_forward8(_mm256_loadu_ps(x + i)));
        alignas(32) float in[8] = {}, out[8];
        std::copy(x + i, x + i + m, in);
        _mm256_store_ps(out, erf_forward8(_mm256_load_ps(in)));
        std::copy(out, out + m, y + i);
#endif
      },
      [&](int64_t i) {
#if !EMBER_HAVE_AVX2
        y[i] = 0.5f * x[i] * (1.0f + std::erf(x[i] * 0.70710678118654752440f));
#endif
      });
}

void gelu_erf_backward(const float* g, const float* x, float* gx, int64_t n) {
  sweep(
      n, 3 * n,
      [&](int64_t i, int64_t m) {
#if EMBER_HAVE_AVX2
        if (m == 8) return _mm256_storeu_ps(gx + i, erf_backward8(_mm256_loadu_ps(g + i), _mm256_loadu_ps(x + i)));
        alignas(32) float gi[8] = {}, xi[8] = {}, out[8];
        std::copy(g + i, g + i + m, gi);
        std::copy(x + i, x + i + m, xi);
        _mm256_store_ps(out, erf_backward8(_mm256_load_ps(gi), _mm256_load_ps(xi)));
        std::copy(out, out + m, gx + i);
#endif
      },
      [&](int64_t i) {
#if !EMBER_HAVE_AVX2
        const float xv = x[i];
        const float cdf = 0.5f * (1.0f + std::erf(xv * 0.70710678118654752440f));
        gx[i] = g[i] * (cdf + xv * 0.39894228040143267794f * std::exp(-0.5f * xv * xv));
#endif
      });
}

}  // namespace ember::cpu
