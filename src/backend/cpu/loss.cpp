// The fused language-model head: linear + mean cross-entropy over row chunks (see loss.h).
#include "backend/cpu/loss.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "backend/cpu/gemm.h"
#include "backend/cpu/parallel_range.h"
#include "backend/cpu/softmax.h"
#include "backend/cpu/vec_math.h"
#include "core/op_helpers.h"

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

// In place over rows (rows, V) of logits z with row log-sum-exp lse:
//   z[r, :] = scale * (exp(z[r, :] - lse[r]) - onehot(target[r]))   (softmax minus one-hot)
// and rows whose target is ignore_index become zeros. Rows are split across threads; each row is
// computed the same way whatever the split (float rows use vec_math's exp).
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

constexpr int64_t kChunkLogits = int64_t{1} << 24;  // logits per chunk: 64 MB in float32

}  // namespace

int64_t linear_cross_entropy(const Tensor& out, const Tensor& dx, const Tensor& dw, const Tensor& x, const Tensor& w,
                             const Tensor& target, int64_t ignore_index) {
  const int64_t N = x.size(0), C = x.size(1), V = w.size(0);
  const int64_t* t = target.data_ptr<int64_t>();
  int64_t count = 0;
  for (int64_t i = 0; i < N; ++i) {
    if (t[i] == ignore_index) continue;
    if (t[i] < 0 || t[i] >= V) return i;
    ++count;
  }
  const bool need_x = dx.defined(), need_w = dw.defined();
  EMBER_DISPATCH_FLOATING(x.dtype(), "linear_cross_entropy", [&]<typename T>() {
    const int64_t R = std::clamp<int64_t>(kChunkLogits / V, 1, N);
    Tensor z = detail::make_tensor({R, V}, x.dtype(), x.device()), lse = detail::make_tensor({R}, x.dtype(), x.device());
    const T* xp = x.data_ptr<T>();
    const T* wp = w.data_ptr<T>();
    T* zp = z.data_ptr<T>();
    T* lp = lse.data_ptr<T>();
    const T scale = count > 0 ? static_cast<T>(1.0 / static_cast<double>(count)) : T(0);
    double total = 0;
    for (int64_t r0 = 0; r0 < N; r0 += R) {
      const int64_t rows = std::min(R, N - r0);
      gemm<T>(false, true, rows, V, C, T(1), xp + r0 * C, C, wp, C, T(0), zp, V);  // (rows, C) @ (C, V)
      logsumexp_blocks<T>(zp, lp, rows, V, 1);                                    // (rows)
      for (int64_t r = 0; r < rows; ++r)
        if (t[r0 + r] != ignore_index) total += static_cast<double>(lp[r]) - static_cast<double>(zp[r * V + t[r0 + r]]);
      if (!need_x && !need_w) continue;
      softmax_minus_onehot<T>(zp, lp, t + r0, rows, V, scale, ignore_index);  // dlogits (rows, V)
      if (need_x)  // (rows, V) @ (V, C) -> rows of dx
        gemm<T>(false, false, rows, C, V, T(1), zp, V, wp, C, T(0), dx.data_ptr<T>() + r0 * C, C);
      if (need_w)  // (V, rows) @ (rows, C), accumulated over chunks
        gemm<T>(true, false, V, C, rows, T(1), zp, V, xp + r0 * C, C, r0 == 0 ? T(0) : T(1), dw.data_ptr<T>(), C);
    }
    *out.data_ptr<T>() =
        count > 0 ? static_cast<T>(total / static_cast<double>(count)) : std::numeric_limits<T>::quiet_NaN();
  });
  return -1;
}

}  // namespace ember::cpu
