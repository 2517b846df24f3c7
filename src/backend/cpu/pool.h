#pragma once
// 2-D pooling kernels over contiguous (planes, H, W) data, float32/float64, threaded over planes
// (each plane's gradient is written by one thread, so backward needs no atomics).
#include <cstdint>
#include <vector>

namespace ember::cpu {

struct MaxPoolGeom {
  int64_t planes = 0, H = 0, W = 0, OH = 0, OW = 0;
  int64_t kh = 1, kw = 1, sh = 1, sw = 1, ph = 0, pw = 0, dh = 1, dw = 1;
};

// y = max over each dilated window (NaN wins, first maximum on ties); idx = argmax as h * W + w.
template <typename T>
void max_pool2d_forward(const T* x, T* y, int64_t* idx, const MaxPoolGeom& g);
// gx (planes, HW) = 0, then gx[idx] += gy: the max-pool gradient.
template <typename T>
void max_pool2d_backward(const T* gy, const int64_t* idx, T* gx, int64_t planes, int64_t HW, int64_t P);
// gy[p] = gx[idx[p]] per plane: the gradient of max_pool2d_backward with respect to its input.
template <typename T>
void gather_planes(const T* gx, const int64_t* idx, T* gy, int64_t planes, int64_t HW, int64_t P);

// Averaging windows that factor over rows and columns: output row oh averages input rows
// [h0[oh], h1[oh]) and output column ow input columns [w0[ow], w1[ow]), divided by
// hdiv[oh] * wdiv[ow]. Covers avg_pool2d (both count_include_pad modes) and adaptive_avg_pool2d.
struct AvgWindows {
  int64_t planes = 0, H = 0, W = 0;
  std::vector<int64_t> h0, h1, w0, w1;
  std::vector<double> hdiv, wdiv;
  int64_t OH() const { return static_cast<int64_t>(h0.size()); }
  int64_t OW() const { return static_cast<int64_t>(w0.size()); }
};

template <typename T>
void avg_pool2d_forward(const T* x, T* y, const AvgWindows& g);
// gx = the adjoint of avg_pool2d_forward applied to gy; gx is overwritten.
template <typename T>
void avg_pool2d_backward(const T* gy, T* gx, const AvgWindows& g);

}  // namespace ember::cpu
