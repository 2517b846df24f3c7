#pragma once
// 2-D pooling kernels over contiguous (planes, H, W) data, float32/float64, threaded over planes
// (each plane's gradient is written by one thread, so backward needs no atomics). Kernels:: entries.
#include "backend/kernel_args.h"

namespace ember::cpu {

using backend::AvgWindows;
using backend::MaxPoolGeom;

// y = max over each dilated window (NaN wins, first maximum on ties); idx = argmax as h * W + w.
void max_pool2d(const Tensor& y, const Tensor& idx, const Tensor& x, const MaxPoolGeom& g);
// gx (planes, H, W) = 0, then gx[idx] += gy: the max-pool gradient.
void max_pool2d_backward(const Tensor& gx, const Tensor& gy, const Tensor& idx);
// out (planes, OH, OW) = gx at idx per plane: the gradient of max_pool2d_backward in its input.
void max_pool2d_gather(const Tensor& out, const Tensor& gx, const Tensor& idx);
void avg_pool2d(const Tensor& y, const Tensor& x, const AvgWindows& w);
// gx = the adjoint of avg_pool2d applied to gy; gx is overwritten.
void avg_pool2d_backward(const Tensor& gx, const Tensor& gy, const AvgWindows& w);

}  // namespace ember::cpu
