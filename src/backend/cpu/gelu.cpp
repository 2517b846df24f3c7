#include "backend/cpu/gelu.h"

#include <algorithm>

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

}  // namespace ember::cpu
