#pragma once
// Fused batch-norm and layer-norm kernels. Statistics accumulate in double (shifted by the first
// element, so large means do not cancel); elementwise passes run in the tensor's dtype.
// All tensors contiguous, float32 or float64; per-channel/per-row coefficients are double arrays.
#include "ember/tensor.h"

namespace ember::cpu {

// ---- batch norm over x (N, C, S) ----
// Biased mean and variance of each channel over N and S.
void batch_norm_stats(const Tensor& x, int64_t N, int64_t C, int64_t S, double* mean, double* var);
// y = (x - mean[c]) * scale[c] + shift[c]
void batch_norm_apply(const Tensor& y, const Tensor& x, int64_t N, int64_t C, int64_t S, const double* mean,
                      const double* scale, const double* shift);
// sum_g[c] = sum g, sum_gxc[c] = sum g * (x - mean[c])
void batch_norm_backward_reduce(const Tensor& g, const Tensor& x, int64_t N, int64_t C, int64_t S, const double* mean,
                                double* sum_g, double* sum_gxc);
// dx = g * k1[c] + (x - mean[c]) * k2[c] + k3[c]
void batch_norm_backward_apply(const Tensor& dx, const Tensor& g, const Tensor& x, int64_t N, int64_t C, int64_t S,
                               const double* mean, const double* k1, const double* k2, const double* k3);

// ---- layer norm over x (R, M): each row normalized on its own ----
// y = (x - mean) * rstd * w + b (w, b (M) optional: undefined tensors); writes mean[R], rstd[R].
void layer_norm_forward(const Tensor& y, const Tensor& x, const Tensor& w, const Tensor& b, int64_t R, int64_t M,
                        double eps, double* mean, double* rstd);
// Gradients for g (R, M); dx, dw, db are written when defined (dw, db of shape (M)).
void layer_norm_backward(const Tensor& g, const Tensor& x, const Tensor& w, int64_t R, int64_t M, const double* mean,
                         const double* rstd, const Tensor& dx, const Tensor& dw, const Tensor& db);

}  // namespace ember::cpu
