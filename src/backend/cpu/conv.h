#pragma once
// 2-D convolution kernels (NCHW, contiguous, float32/float64) by im2col + GEMM, one sample at a
// time. With several threads, float32 runs threads over samples, each with its own column
// buffer and single-threaded GEMMs (see gemm.h): the column buffer of one sample stays in cache
// and the output lands in NCHW order without a transpose pass. Everything is from the point of
// view of the forward convolution: x (N, C, H, W), w (Co, C/groups, kh, kw), y (N, Co, OH, OW).
#include <cstdint>

namespace ember::cpu {

struct ConvGeom {
  int64_t N = 0, C = 0, H = 0, W = 0;  // input
  int64_t Co = 0, kh = 0, kw = 0;      // weight (Co, C / groups, kh, kw)
  int64_t OH = 0, OW = 0;              // output
  int64_t sh = 1, sw = 1, ph = 0, pw = 0, dh = 1, dw = 1, groups = 1;
  int64_t Cg() const { return C / groups; }
  int64_t Cog() const { return Co / groups; }
  int64_t Kg() const { return Cg() * kh * kw; }  // GEMM inner size per group
  int64_t P() const { return OH * OW; }
  // A 1x1, stride-1, unpadded convolution reads the input itself as its column matrix.
  bool pointwise() const { return kh == 1 && kw == 1 && sh == 1 && sw == 1 && ph == 0 && pw == 0; }
};

// Threads over samples (float32 only: its GEMM is safe to call inside a parallel region) when the
// batch splits evenly enough over `threads`; otherwise samples run in order and each GEMM threads
// internally.
inline bool parallel_over_samples(int64_t N, bool float32, int threads, bool nested) {
  return float32 && threads > 1 && !nested && N >= threads && (N % threads == 0 || N >= 4 * threads);
}

// y = conv(x, w) + bias (bias may be null).
template <typename T>
void conv2d_forward(const T* x, const T* w, const T* bias, T* y, const ConvGeom& g);
// gx = the input gradient for output gradient gy (also conv_transpose2d's forward); gx is overwritten.
template <typename T>
void conv2d_backward_input(const T* gy, const T* w, T* gx, const ConvGeom& g);
// gw = the weight gradient for input x and output gradient gy; gw is overwritten.
template <typename T>
void conv2d_backward_weight(const T* x, const T* gy, T* gw, const ConvGeom& g);
// Both gradients in one pass where that saves work (Winograd shares the transformed output
// gradient); either pointer may be null.
template <typename T>
void conv2d_backward(const T* x, const T* gy, const T* w, T* gx, T* gw, const ConvGeom& g);
// gb[c] = sum over n and p of gy (N, C, P).
template <typename T>
void channel_sum(const T* gy, T* gb, int64_t N, int64_t C, int64_t P);
// y (N, C, P) += bias[c].
template <typename T>
void add_channel_bias(T* y, const T* bias, int64_t N, int64_t C, int64_t P);

}  // namespace ember::cpu
