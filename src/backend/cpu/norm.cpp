// Batch norm over contiguous x (N, C, S): threads own channel ranges, and each channel's sums run
// over n then s in a fixed order, so results do not depend on the thread count. Loops go n-outer,
// c-inner so that (N, C) inputs (S = 1) still read memory in order.
// Layer norm over contiguous x (R, M): rows are independent, so threads own row ranges. The
// weight/bias gradients sum over rows: each thread keeps partial sums for its fixed row range and
// the partials are added in range order, so results depend only on the thread count.
#include "backend/cpu/norm.h"

#include <cmath>
#include <vector>

#include "backend/cpu/moments.h"
#include "backend/cpu/parallel_range.h"
#include "core/op_helpers.h"

namespace ember::cpu {

namespace {

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

// (N, C, S) of a (N, C, *) tensor.
struct NCS {
  int64_t N, C, S;
};
NCS ncs_of(const Tensor& x) {
  int64_t S = 1;
  for (int64_t d = 2; d < x.dim(); ++d) S *= x.shape()[d];
  return {x.shape()[0], x.shape()[1], S};
}

const double* ptr_or_null(const Tensor& t) { return t.defined() ? t.data_ptr<double>() : nullptr; }

}  // namespace

void batch_norm(const Tensor& y, const Tensor& mean_t, const Tensor& invstd_t, const Tensor& new_running_mean,
                const Tensor& new_running_var, const Tensor& x, const Tensor& weight, const Tensor& bias,
                const Tensor& running_mean, const Tensor& running_var, const BatchNormArgs& a) {
  const auto [N, C, S] = ncs_of(x);
  double* mean = mean_t.data_ptr<double>();
  double* invstd = invstd_t.data_ptr<double>();
  std::vector<double> var(C, 0.0);
  std::fill(mean, mean + C, 0.0);
  if (a.training && N * S > 0) {
    batch_norm_stats(x, N, C, S, mean, var.data());
  } else if (!a.training) {
    std::copy(running_mean.data_ptr<double>(), running_mean.data_ptr<double>() + C, mean);
    std::copy(running_var.data_ptr<double>(), running_var.data_ptr<double>() + C, var.data());
  }
  const double* w = ptr_or_null(weight);
  const double* b = ptr_or_null(bias);
  std::vector<double> scale(C), shift(C, 0.0);
  for (int64_t c = 0; c < C; ++c) {
    invstd[c] = 1.0 / std::sqrt(var[c] + a.eps);
    scale[c] = invstd[c] * (w ? w[c] : 1.0);
    if (b) shift[c] = b[c];
  }
  if (y.numel() > 0) batch_norm_apply(y, x, N, C, S, mean, scale.data(), shift.data());  // (N, C, S)
  if (new_running_mean.defined()) {
    const double unbias = static_cast<double>(N * S) / static_cast<double>(N * S - 1);
    const double* rm = running_mean.data_ptr<double>();
    const double* rv = running_var.data_ptr<double>();
    double* nrm = new_running_mean.data_ptr<double>();
    double* nrv = new_running_var.data_ptr<double>();
    for (int64_t c = 0; c < C; ++c) {
      nrm[c] = (1 - a.momentum) * rm[c] + a.momentum * mean[c];
      nrv[c] = (1 - a.momentum) * rv[c] + a.momentum * var[c] * unbias;
    }
  }
}

void batch_norm_backward(const Tensor& gx, const Tensor& gw, const Tensor& gb, const Tensor& g, const Tensor& x,
                         const Tensor& mean_t, const Tensor& invstd_t, const Tensor& weight, bool training) {
  // Plain variables, not a structured binding: clang before 16 (the fuzz build's clang 14) cannot
  // capture a binding in the lambda below.
  const NCS ncs = ncs_of(x);
  const int64_t N = ncs.N, C = ncs.C, S = ncs.S;
  const double M = static_cast<double>(N * S);
  const double* mean = mean_t.data_ptr<double>();
  const double* invstd = invstd_t.data_ptr<double>();
  const double* w = ptr_or_null(weight);
  std::vector<double> sum_g(C, 0.0), sum_gxc(C, 0.0);
  if (training || gw.defined() || gb.defined())
    batch_norm_backward_reduce(g, x, N, C, S, mean, sum_g.data(), sum_gxc.data());
  if (gx.defined()) {
    std::vector<double> k1(C), k2(C, 0.0), k3(C, 0.0);
    for (int64_t c = 0; c < C; ++c) {
      const double is = invstd[c], wc = w ? w[c] : 1.0;
      k1[c] = wc * is;
      if (training) {  // the batch statistics depend on x too
        k2[c] = -wc * is * is * is * sum_gxc[c] / M;
        k3[c] = -wc * is * sum_g[c] / M;
      }
    }
    batch_norm_backward_apply(gx, g, x, N, C, S, mean, k1.data(), k2.data(), k3.data());
  }
  EMBER_DISPATCH_FLOATING(x.dtype(), "batch_norm_backward", [&]<typename T>() {
    if (gw.defined()) {
      T* p = gw.data_ptr<T>();
      for (int64_t c = 0; c < C; ++c) p[c] = static_cast<T>(sum_gxc[c] * invstd[c]);  // sum g * xhat
    }
    if (gb.defined()) {
      T* p = gb.data_ptr<T>();
      for (int64_t c = 0; c < C; ++c) p[c] = static_cast<T>(sum_g[c]);
    }
  });
}

void layer_norm(const Tensor& y, const Tensor& mean_t, const Tensor& rstd_t, const Tensor& x, const Tensor& w,
                const Tensor& b, double eps) {
  const int64_t R = mean_t.numel(), M = R == 0 ? 0 : x.numel() / R;
  double* mean = mean_t.data_ptr<double>();
  double* rstd = rstd_t.data_ptr<double>();
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

void layer_norm_backward(const Tensor& dx, const Tensor& dw, const Tensor& db, const Tensor& g, const Tensor& x,
                         const Tensor& w, const Tensor& mean_t, const Tensor& rstd_t) {
  const int64_t R = mean_t.numel(), M = R == 0 ? 0 : x.numel() / R;
  const double* mean = mean_t.data_ptr<double>();
  const double* rstd = rstd_t.data_ptr<double>();
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
