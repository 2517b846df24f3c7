#pragma once
// 2-D convolution kernels (NCHW, contiguous, float32/float64) by im2col + GEMM, one sample at a
// time. With several threads, float32 runs threads over samples, each with its own column
// buffer and single-threaded GEMMs (see gemm.h): the column buffer of one sample stays in cache
// and the output lands in NCHW order without a transpose pass. Shapes are those of the forward
// convolution: x (N, C, H, W), w (Co, C/groups, kh, kw), y (N, Co, OH, OW). Kernels:: entries.
#include "backend/kernel_args.h"

namespace ember::cpu {

using backend::ConvGeom;

// Threads over samples (float32 only: its GEMM is safe to call inside a parallel region) when the
// batch splits evenly enough over `threads`; otherwise samples run in order and each GEMM threads
// internally.
inline bool parallel_over_samples(int64_t N, bool float32, int threads, bool nested) {
  return float32 && threads > 1 && !nested && N >= threads && (N % threads == 0 || N >= 4 * threads);
}

// y = conv(x, w) + bias (bias may be undefined).
void conv2d(const Tensor& y, const Tensor& x, const Tensor& w, const Tensor& bias, const ConvGeom& g);
// gx = the input gradient for output gradient gy (also conv_transpose2d's forward), + bias per channel.
void conv2d_backward_input(const Tensor& gx, const Tensor& gy, const Tensor& w, const Tensor& bias, const ConvGeom& g);
// gw = the weight gradient for input x and output gradient gy; gw is overwritten.
void conv2d_backward_weight(const Tensor& gw, const Tensor& x, const Tensor& gy, const ConvGeom& g);
// Both gradients in one pass where that saves work (Winograd shares the transformed output gradient).
void conv2d_backward(const Tensor& gx, const Tensor& gw, const Tensor& x, const Tensor& gy, const Tensor& w,
                     const ConvGeom& g);
// out[c] = sum over n and p of g (N, C, H, W): the bias gradient.
void channel_sum(const Tensor& out, const Tensor& g);

}  // namespace ember::cpu
