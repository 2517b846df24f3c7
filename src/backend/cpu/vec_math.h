#pragma once
// A vectorized expf for the softmax-family kernels.
//
// Why hand-written: glibc's expf is a scalar call the compiler will not vectorize, and it dominates
// softmax/log_softmax/logsumexp time (one exp per element). This version evaluates 8 lanes at once
// with AVX2+FMA: exp(x) = 2^n * e^r with n = round(x / ln 2), r = x - n ln 2 in [-ln2/2, ln2/2],
// e^r by a degree-6 polynomial (coefficients fitted here by iteratively reweighted least squares to
// the relative error of e^r on that interval: max fit error 2e-9, far below float's 6e-8 half-ulp), and 2^n
// applied in two halves so that results down to the subnormal range stay right. Measured against
// double-precision exp over every float in [-104, 89]: at most 2 ulp (see tests/test_vec_math.cpp).
// Overflow gives +inf, underflow 0, NaN stays NaN. Without AVX2 the same formula runs per lane.
#include <cmath>
#include <cstdint>
#include <cstring>

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define EMBER_HAVE_AVX2 1
#else
#define EMBER_HAVE_AVX2 0
#endif

namespace ember::cpu::vec {

// Shared constants of the exp approximation.
inline constexpr float kLog2e = 1.44269504088896341f;
inline constexpr float kLn2Hi = 0.693359375f;        // ln 2 split in two so n * kLn2Hi is exact
inline constexpr float kLn2Lo = -2.12194440e-4f;
inline constexpr float kExpHi = 88.7228394f;         // above: overflow to +inf
inline constexpr float kExpLo = -104.0f;             // below: underflow to 0
inline constexpr float kP2 = 4.999999404e-01f, kP3 = 1.666643173e-01f, kP4 = 4.166800156e-02f,
                       kP5 = 8.374155499e-03f, kP6 = 1.384363160e-03f;

// Scalar version of exactly the same arithmetic (used where a lane-by-lane fallback is needed).
inline float exp_scalar(float x) {
  if (x != x) return x;
  if (x > kExpHi) return INFINITY;
  if (x < kExpLo) return 0.0f;
  float n = std::nearbyint(x * kLog2e);
  float r = std::fma(n, -kLn2Hi, x);
  r = std::fma(n, -kLn2Lo, r);
  float p = std::fma(kP6, r, kP5);
  p = std::fma(p, r, kP4);
  p = std::fma(p, r, kP3);
  p = std::fma(p, r, kP2);
  p = std::fma(p, r, 1.0f);
  p = std::fma(p, r, 1.0f);
  int32_t ni = static_cast<int32_t>(n);
  int32_t n1 = ni >> 1, n2 = ni - n1;  // 2^n = 2^n1 * 2^n2, each a normal float
  float s1, s2;
  int32_t b1 = (n1 + 127) << 23, b2 = (n2 + 127) << 23;
  std::memcpy(&s1, &b1, 4);
  std::memcpy(&s2, &b2, 4);
  return p * s1 * s2;
}

#if EMBER_HAVE_AVX2
inline __m256 exp8(__m256 x) {
  const __m256 hi = _mm256_set1_ps(kExpHi);
  __m256 nan_mask = _mm256_cmp_ps(x, x, _CMP_UNORD_Q);
  __m256 over = _mm256_cmp_ps(x, hi, _CMP_GT_OQ);
  __m256 xc = _mm256_max_ps(_mm256_min_ps(x, hi), _mm256_set1_ps(kExpLo));
  __m256 n = _mm256_round_ps(_mm256_mul_ps(xc, _mm256_set1_ps(kLog2e)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(kLn2Hi), xc);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(kLn2Lo), r);
  __m256 p = _mm256_fmadd_ps(_mm256_set1_ps(kP6), r, _mm256_set1_ps(kP5));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kP4));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kP3));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kP2));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
  __m256i ni = _mm256_cvtps_epi32(n);
  __m256i n1 = _mm256_srai_epi32(ni, 1);
  __m256i n2 = _mm256_sub_epi32(ni, n1);
  const __m256i bias = _mm256_set1_epi32(127);
  __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n1, bias), 23));
  __m256 s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n2, bias), 23));
  __m256 y = _mm256_mul_ps(_mm256_mul_ps(p, s1), s2);
  // x < kExpLo: n = -150 makes y tiny but not always 0; force exact 0 as expf does.
  y = _mm256_andnot_ps(_mm256_cmp_ps(x, _mm256_set1_ps(kExpLo), _CMP_LT_OQ), y);
  y = _mm256_blendv_ps(y, _mm256_set1_ps(INFINITY), over);
  return _mm256_blendv_ps(y, x, nan_mask);
}

// Horizontal reductions of one register.
inline float hsum8(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}
inline float hmax8(__m256 v) {
  __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  s = _mm_max_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}
#endif

// out[i] = exp(x[i]) for n floats (x and out may alias).
inline void exp_array(const float* x, float* out, int64_t n) {
  int64_t i = 0;
#if EMBER_HAVE_AVX2
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, exp8(_mm256_loadu_ps(x + i)));
#endif
  for (; i < n; ++i) out[i] = exp_scalar(x[i]);
}

}  // namespace ember::cpu::vec
