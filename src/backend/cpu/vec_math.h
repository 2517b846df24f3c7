#pragma once
// A vectorized expf for the softmax-family kernels.
//
// Why hand-written: glibc's expf is a scalar call the compiler will not vectorize, and it dominates
// softmax/log_softmax/logsumexp time (one exp per element). This version evaluates 8 lanes at once
// with AVX2+FMA: exp(x) = 2^n * e^r with n = round(x / ln 2), r = x - n ln 2 in [-ln2/2, ln2/2],
// e^r by a degree-6 polynomial (coefficients fitted here by iteratively reweighted least squares to
// the relative error of e^r on that interval: max fit error 2e-9, far below float's 6e-8 half-ulp), and 2^n
// added to the exponent field; vectors with a lane beyond |x| > 86 (rare in softmax) take a careful
// path that applies 2^n in two halves so that results down to the subnormal range stay right.
// Against double-precision exp on a dense sample of all floats in [-104, 89]: at most 2 ulp
// (Reduce.VectorizedExpIsAccurate in tests/test_reduce.cpp).
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
inline constexpr float kRound = 12582912.0f;         // 1.5 * 2^23: adding it rounds to an integer
inline constexpr float kExpHi = 88.7228394f;         // above: overflow to +inf
inline constexpr float kExpLo = -104.0f;             // below: underflow to 0
inline constexpr float kFastRange = 86.0f;           // |x| <= this: |n| <= 124, p * 2^n stays normal
inline constexpr float kP2 = 4.999999404e-01f, kP3 = 1.666643173e-01f, kP4 = 4.166800156e-02f,
                       kP5 = 8.374155499e-03f, kP6 = 1.384363160e-03f;

// Scalar version of exactly the same arithmetic (tails of arrays; same bits as the vector path).
inline float exp_scalar(float x) {
  if (x != x) return x;
  if (x > kExpHi) return INFINITY;
  if (x < kExpLo) return 0.0f;
  float j = std::fma(x, kLog2e, kRound);  // n + kRound, rounded to nearest even
  float n = j - kRound;
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
// Range reduction and polynomial; returns e^r and sets jbits = bits of n + kRound.
inline __m256 exp8_core(__m256 x, __m256i& jbits) {
  __m256 j = _mm256_fmadd_ps(x, _mm256_set1_ps(kLog2e), _mm256_set1_ps(kRound));
  __m256 n = _mm256_sub_ps(j, _mm256_set1_ps(kRound));
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(kLn2Hi), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(kLn2Lo), r);
  __m256 p = _mm256_fmadd_ps(_mm256_set1_ps(kP6), r, _mm256_set1_ps(kP5));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kP4));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kP3));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kP2));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
  jbits = _mm256_castps_si256(j);
  return p;
}

// Any lane outside the fast range (or NaN) takes this path: clamping, 2^n in two halves for
// subnormal results, and explicit inf / 0 / NaN.
inline __m256 exp8_careful(__m256 x) {
  const __m256 hi = _mm256_set1_ps(kExpHi);
  __m256 nan_mask = _mm256_cmp_ps(x, x, _CMP_UNORD_Q);
  __m256 over = _mm256_cmp_ps(x, hi, _CMP_GT_OQ);
  __m256 under = _mm256_cmp_ps(x, _mm256_set1_ps(kExpLo), _CMP_LT_OQ);
  __m256 xc = _mm256_max_ps(_mm256_min_ps(x, hi), _mm256_set1_ps(kExpLo));
  __m256i jb;
  __m256 p = exp8_core(xc, jb);
  __m256i ni = _mm256_sub_epi32(jb, _mm256_castps_si256(_mm256_set1_ps(kRound)));
  __m256i n1 = _mm256_srai_epi32(ni, 1);
  __m256i n2 = _mm256_sub_epi32(ni, n1);
  const __m256i bias = _mm256_set1_epi32(127);
  __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n1, bias), 23));
  __m256 s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n2, bias), 23));
  __m256 y = _mm256_mul_ps(_mm256_mul_ps(p, s1), s2);
  y = _mm256_andnot_ps(under, y);
  y = _mm256_blendv_ps(y, _mm256_set1_ps(INFINITY), over);
  return _mm256_blendv_ps(y, x, nan_mask);
}

// True when some lane of x is outside the fast range or NaN.
inline bool exp8_needs_care(__m256 x) {
  __m256 ax = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), x);
  return _mm256_movemask_ps(_mm256_cmp_ps(ax, _mm256_set1_ps(kFastRange), _CMP_NLE_UQ)) != 0;
}

// Fast path only: every lane has |x| <= 86, so 2^n is applied by adding n to p's exponent field.
inline __m256 exp8_fast(__m256 x) {
  __m256i jb;
  __m256 p = exp8_core(x, jb);
  return _mm256_castsi256_ps(_mm256_add_epi32(_mm256_castps_si256(p), _mm256_slli_epi32(jb, 23)));
}

inline __m256 exp8(__m256 x) {
  if (exp8_needs_care(x)) [[unlikely]] return exp8_careful(x);
  return exp8_fast(x);
}

// Four registers at once with a single range check, so the four polynomial chains interleave.
inline void exp8x4(__m256& a, __m256& b, __m256& c, __m256& d) {
  __m256 big = _mm256_max_ps(_mm256_max_ps(_mm256_andnot_ps(_mm256_set1_ps(-0.0f), a),
                                           _mm256_andnot_ps(_mm256_set1_ps(-0.0f), b)),
                             _mm256_max_ps(_mm256_andnot_ps(_mm256_set1_ps(-0.0f), c),
                                           _mm256_andnot_ps(_mm256_set1_ps(-0.0f), d)));
  // max_ps drops NaN lanes, so test for them separately.
  __m256 nan = _mm256_or_ps(_mm256_cmp_ps(a, b, _CMP_UNORD_Q), _mm256_cmp_ps(c, d, _CMP_UNORD_Q));
  if (_mm256_movemask_ps(_mm256_or_ps(nan, _mm256_cmp_ps(big, _mm256_set1_ps(kFastRange), _CMP_NLE_UQ)))) [[unlikely]] {
    a = exp8(a), b = exp8(b), c = exp8(c), d = exp8(d);
    return;
  }
  a = exp8_fast(a), b = exp8_fast(b), c = exp8_fast(c), d = exp8_fast(d);
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
  for (; i + 32 <= n; i += 32) {
    __m256 a = _mm256_loadu_ps(x + i), b = _mm256_loadu_ps(x + i + 8);
    __m256 c = _mm256_loadu_ps(x + i + 16), d = _mm256_loadu_ps(x + i + 24);
    exp8x4(a, b, c, d);
    _mm256_storeu_ps(out + i, a), _mm256_storeu_ps(out + i + 8, b);
    _mm256_storeu_ps(out + i + 16, c), _mm256_storeu_ps(out + i + 24, d);
  }
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, exp8(_mm256_loadu_ps(x + i)));
#endif
  for (; i < n; ++i) out[i] = exp_scalar(x[i]);
}

}  // namespace ember::cpu::vec
