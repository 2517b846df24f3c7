// Layer norm over contiguous x (R, M): rows are independent, so threads own row ranges. The
// weight/bias gradients sum over rows: each thread keeps partial sums for its fixed row range and
// the partials are added in range order, so results depend only on the thread count.
#include <cmath>
#include <vector>

#include "backend/cpu/moments.h"
#include "backend/cpu/norm_kernels.h"
#include "backend/cpu/parallel_range.h"
#include "core/op_helpers.h"

namespace ember::cpu {

void layer_norm_forward(const Tensor& y, const Tensor& x, const Tensor& w, const Tensor& b, int64_t R, int64_t M,
                        double eps, double* mean, double* rstd) {
  EMBER_DISPATCH_FLOATING(x.dtype(), "layer_norm", [&]<typename T>() {
    const T* px = x.data_ptr<T>();
    const T* pw = w.defined() ? w.data_ptr<T>() : nullptr;
    const T* pb = b.defined() ? b.data_ptr<T>() : nullptr;
    T* py = y.data_ptr<T>();
    parallel_range(R, 2 * R * M, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        const T* __restrict xr = px + r * M;
        T* __restrict yr = py + r * M;
        const double k = static_cast<double>(xr[0]);
        double s1 = 0, s2 = 0;
        shifted_moments(xr, M, k, s1, s2);
        const double d = s1 / static_cast<double>(M);
        const double var = std::max(0.0, s2 / static_cast<double>(M) - d * d);
        mean[r] = k + d;
        rstd[r] = 1.0 / std::sqrt(var + eps);
        const T m = static_cast<T>(mean[r]), rs = static_cast<T>(rstd[r]);
        if (pw && pb) for (int64_t i = 0; i < M; ++i) yr[i] = (xr[i] - m) * rs * pw[i] + pb[i];
        else if (pw) for (int64_t i = 0; i < M; ++i) yr[i] = (xr[i] - m) * rs * pw[i];
        else if (pb) for (int64_t i = 0; i < M; ++i) yr[i] = (xr[i] - m) * rs + pb[i];
        else for (int64_t i = 0; i < M; ++i) yr[i] = (xr[i] - m) * rs;
      }
    });
  });
}

void layer_norm_backward(const Tensor& g, const Tensor& x, const Tensor& w, int64_t R, int64_t M, const double* mean,
                         const double* rstd, const Tensor& dx, const Tensor& dw, const Tensor& db) {
  EMBER_DISPATCH_FLOATING(x.dtype(), "layer_norm_backward", [&]<typename T>() {
    const T* px = x.data_ptr<T>();
    const T* pg = g.data_ptr<T>();
    const T* pw = w.defined() ? w.data_ptr<T>() : nullptr;
    T* pdx = dx.defined() ? dx.data_ptr<T>() : nullptr;
    const bool want_wb = dw.defined() || db.defined();
    const int64_t chunks = num_chunks(R, 3 * R * M);
    // Per-chunk partial sums of g * xhat (weight) and g (bias), each of length M.
    std::vector<double> part_w(want_wb ? chunks * M : 0, 0.0), part_b(want_wb ? chunks * M : 0, 0.0);
    parallel_chunks(R, chunks, [&](int64_t chunk, int64_t r0, int64_t r1) {
      double* acc_w = want_wb ? part_w.data() + chunk * M : nullptr;
      double* acc_b = want_wb ? part_b.data() + chunk * M : nullptr;
      for (int64_t r = r0; r < r1; ++r) {
        const T* __restrict xr = px + r * M;
        const T* __restrict gr = pg + r * M;
        const double m = mean[r], rs = rstd[r];
        if (acc_w)
          for (int64_t i = 0; i < M; ++i) {
            const double gi = static_cast<double>(gr[i]);
            acc_w[i] += gi * (static_cast<double>(xr[i]) - m) * rs;
            acc_b[i] += gi;
          }
        if (!pdx) continue;
        // dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)), dxhat = g * w
        double a = 0, b = 0;  // sum dxhat, sum dxhat * (x - mean)
        sum_and_centered_dot(gr, pw, xr, M, m, a, b);
        b *= rs;  // sum dxhat * xhat
        const T tm = static_cast<T>(m), k1 = static_cast<T>(rs),
                k2 = static_cast<T>(-rs * rs * b / static_cast<double>(M)),
                k3 = static_cast<T>(-rs * a / static_cast<double>(M));
        T* __restrict dr = pdx + r * M;
        if (pw) for (int64_t i = 0; i < M; ++i) dr[i] = gr[i] * pw[i] * k1 + (xr[i] - tm) * k2 + k3;
        else for (int64_t i = 0; i < M; ++i) dr[i] = gr[i] * k1 + (xr[i] - tm) * k2 + k3;
      }
    });
    if (!want_wb) return;
    for (int64_t c = 1; c < chunks; ++c)
      for (int64_t i = 0; i < M; ++i) {
        part_w[i] += part_w[c * M + i];
        part_b[i] += part_b[c * M + i];
      }
    if (dw.defined()) {
      T* p = dw.data_ptr<T>();
      for (int64_t i = 0; i < M; ++i) p[i] = static_cast<T>(part_w[i]);
    }
    if (db.defined()) {
      T* p = db.data_ptr<T>();
      for (int64_t i = 0; i < M; ++i) p[i] = static_cast<T>(part_b[i]);
    }
  });
}

}  // namespace ember::cpu
