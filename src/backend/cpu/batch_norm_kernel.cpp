// Batch norm over contiguous x (N, C, S): threads own channel ranges, and each channel's sums run
// over n then s in a fixed order, so results do not depend on the thread count. Loops go n-outer,
// c-inner so that (N, C) inputs (S = 1) still read memory in order.
#include <vector>

#include "backend/cpu/moments.h"
#include "backend/cpu/norm_kernels.h"
#include "backend/cpu/parallel_range.h"
#include "core/op_helpers.h"

namespace ember::cpu {

void batch_norm_stats(const Tensor& x, int64_t N, int64_t C, int64_t S, double* mean, double* var) {
  EMBER_DISPATCH_FLOATING(x.dtype(), "batch_norm", [&]<typename T>() {
    const T* px = x.data_ptr<T>();
    parallel_range(C, N * C * S, [&](int64_t c0, int64_t c1) {
      std::vector<double> s1(c1 - c0, 0.0), s2(c1 - c0, 0.0), shift(c1 - c0);
      for (int64_t c = c0; c < c1; ++c) shift[c - c0] = static_cast<double>(px[c * S]);  // x[0, c, 0]
      for (int64_t n = 0; n < N; ++n)
        for (int64_t c = c0; c < c1; ++c) {
          const T* row = px + (n * C + c) * S;
          const double k = shift[c - c0];
          shifted_moments(row, S, k, s1[c - c0], s2[c - c0]);
        }
      const double m = static_cast<double>(N * S);
      for (int64_t c = c0; c < c1; ++c) {
        double d = s1[c - c0] / m;
        mean[c] = shift[c - c0] + d;
        var[c] = std::max(0.0, s2[c - c0] / m - d * d);
      }
    });
  });
}

void batch_norm_apply(const Tensor& y, const Tensor& x, int64_t N, int64_t C, int64_t S, const double* mean,
                      const double* scale, const double* shift) {
  EMBER_DISPATCH_FLOATING(x.dtype(), "batch_norm", [&]<typename T>() {
    const T* px = x.data_ptr<T>();
    T* py = y.data_ptr<T>();
    parallel_range(N * C, N * C * S, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        const int64_t c = r % C;
        const T m = static_cast<T>(mean[c]), sc = static_cast<T>(scale[c]), sh = static_cast<T>(shift[c]);
        const T* __restrict xr = px + r * S;
        T* __restrict yr = py + r * S;
        for (int64_t i = 0; i < S; ++i) yr[i] = (xr[i] - m) * sc + sh;
      }
    });
  });
}

void batch_norm_backward_reduce(const Tensor& g, const Tensor& x, int64_t N, int64_t C, int64_t S, const double* mean,
                                double* sum_g, double* sum_gxc) {
  EMBER_DISPATCH_FLOATING(x.dtype(), "batch_norm_backward", [&]<typename T>() {
    const T* px = x.data_ptr<T>();
    const T* pg = g.data_ptr<T>();
    parallel_range(C, 2 * N * C * S, [&](int64_t c0, int64_t c1) {
      for (int64_t c = c0; c < c1; ++c) sum_g[c] = sum_gxc[c] = 0.0;
      for (int64_t n = 0; n < N; ++n)
        for (int64_t c = c0; c < c1; ++c) {
          const T* xr = px + (n * C + c) * S;
          const T* gr = pg + (n * C + c) * S;
          sum_and_centered_dot<T>(gr, nullptr, xr, S, mean[c], sum_g[c], sum_gxc[c]);
        }
    });
  });
}

void batch_norm_backward_apply(const Tensor& dx, const Tensor& g, const Tensor& x, int64_t N, int64_t C, int64_t S,
                               const double* mean, const double* k1, const double* k2, const double* k3) {
  EMBER_DISPATCH_FLOATING(x.dtype(), "batch_norm_backward", [&]<typename T>() {
    const T* px = x.data_ptr<T>();
    const T* pg = g.data_ptr<T>();
    T* pd = dx.data_ptr<T>();
    parallel_range(N * C, 3 * N * C * S, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        const int64_t c = r % C;
        const T m = static_cast<T>(mean[c]), a = static_cast<T>(k1[c]), b = static_cast<T>(k2[c]),
                k = static_cast<T>(k3[c]);
        const T* __restrict xr = px + r * S;
        const T* __restrict gr = pg + r * S;
        T* __restrict dr = pd + r * S;
        for (int64_t i = 0; i < S; ++i) dr[i] = gr[i] * a + (xr[i] - m) * b + k;
      }
    });
  });
}

}  // namespace ember::cpu
