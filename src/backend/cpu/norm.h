#pragma once
// Fused batch-norm and layer-norm kernels (Kernels:: entries). Statistics accumulate in double
// (shifted by the first element, so large means do not cancel); elementwise passes run in the
// tensor's dtype. Data contiguous, float32 or float64; statistics and coefficients float64.
#include "backend/kernel_args.h"

namespace ember::cpu {

using backend::BatchNormArgs;

// x, y (N, C, *); mean, invstd (C) out; training with running stats: new_running_mean/var (C) out.
void batch_norm(const Tensor& y, const Tensor& mean, const Tensor& invstd, const Tensor& new_running_mean,
                const Tensor& new_running_var, const Tensor& x, const Tensor& weight, const Tensor& bias,
                const Tensor& running_mean, const Tensor& running_var, const BatchNormArgs& a);
void batch_norm_backward(const Tensor& gx, const Tensor& gw, const Tensor& gb, const Tensor& g, const Tensor& x,
                         const Tensor& mean, const Tensor& invstd, const Tensor& weight, bool training);

// x, y (R, M) with R = mean.numel(): each row normalized on its own; y = (x - mean) * rstd * w + b.
void layer_norm(const Tensor& y, const Tensor& mean, const Tensor& rstd, const Tensor& x, const Tensor& w,
                const Tensor& b, double eps);
// Gradients for g (R, M); dx, dw, db (dw, db of shape (M)) are written when defined.
void layer_norm_backward(const Tensor& dx, const Tensor& dw, const Tensor& db, const Tensor& g, const Tensor& x,
                         const Tensor& w, const Tensor& mean, const Tensor& rstd);

}  // namespace ember::cpu
