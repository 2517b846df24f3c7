#include "backend/cpu/cross_entropy_kernel.h"

#include <algorithm>
#include <cmath>

#include "backend/cpu/parallel_range.h"
#include "backend/cpu/vec_math.h"

namespace ember::cpu {

namespace {

void row(float* z, float lse, int64_t V, float scale) {
  int64_t i = 0;
#if EMBER_HAVE_AVX2
  const __m256 l = _mm256_set1_ps(lse), s = _mm256_set1_ps(scale);
  for (; i + 8 <= V; i += 8) _mm256_storeu_ps(z + i, _mm256_mul_ps(vec::exp8(_mm256_sub_ps(_mm256_loadu_ps(z + i), l)), s));
#endif
  for (; i < V; ++i) z[i] = vec::exp_scalar(z[i] - lse) * scale;
}

void row(double* z, double lse, int64_t V, double scale) {
  for (int64_t i = 0; i < V; ++i) z[i] = std::exp(z[i] - lse) * scale;
}

}  // namespace

template <typename T>
void softmax_minus_onehot(T* z, const T* lse, const int64_t* target, int64_t rows, int64_t V, T scale,
                          int64_t ignore_index) {
  parallel_range(rows, rows * V, [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      T* zr = z + r * V;
      if (target[r] == ignore_index) {
        std::fill(zr, zr + V, T(0));
        continue;
      }
      row(zr, lse[r], V, scale);
      zr[target[r]] -= scale;
    }
  });
}

template void softmax_minus_onehot<float>(float*, const float*, const int64_t*, int64_t, int64_t, float, int64_t);
template void softmax_minus_onehot<double>(double*, const double*, const int64_t*, int64_t, int64_t, double, int64_t);

}  // namespace ember::cpu
