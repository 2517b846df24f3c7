#pragma once
// Winograd F(2x2, 3x3) for the backward pass of float32 convolution (3x3 kernels, stride 1, no
// dilation, one group): input and weight gradients together. Each 2x2 tile costs 16 multiplies
// per channel pair instead of 36, so the GEMM work is 2.25x smaller than im2col's; the tile
// transforms cost memory traffic, which is why only the fused backward with >= 32 channels runs
// here: measured on the 2-core development machine, it beats im2col by 1.2-1.35x there, while the
// forward pass and thinner layers came out at 0.6-1.05x (so they stay on im2col). oneDNN has
// Winograd only for AVX-512 and no BLAS offers it, hence this file.
// F(2x2, 3x3) uses only the points 0, +1, -1, so its float32 error stays near im2col's (~1e-6
// relative); F(4x4, 3x3) would save more multiplies but loses about two more digits.
#include "backend/cpu/conv.h"

namespace ember::cpu {

bool winograd_backward_applicable(const ConvGeom& g);
// Input and/or weight gradient (null: not wanted), overwritten; x is needed for gw, w for gx.
void winograd_backward(const float* x, const float* gy, const float* w, float* gx, float* gw, const ConvGeom& g);
// Turns the Winograd path on or off (default on; EMBER_CONV_WINOGRAD=0 starts it off).
void set_winograd_enabled(bool on);

}  // namespace ember::cpu
