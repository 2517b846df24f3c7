#pragma once
// Convolution and pooling, NCHW (and NCL for 1-d), as torch.nn.functional.
#include "ember/tensor.h"

namespace ember {

// x (N, C_in, L), w (C_out, C_in/groups, K), bias (C_out) or undefined
Tensor conv1d(const Tensor& x, const Tensor& w, const Tensor& bias = Tensor(), int64_t stride = 1,
              int64_t padding = 0, int64_t dilation = 1, int64_t groups = 1);
// x (N, C_in, H, W), w (C_out, C_in/groups, kH, kW); stride/padding/dilation as {h, w}
Tensor conv2d(const Tensor& x, const Tensor& w, const Tensor& bias = Tensor(), Shape stride = {1, 1},
              Shape padding = {0, 0}, Shape dilation = {1, 1}, int64_t groups = 1);
// x (N, C_in, H, W), w (C_in, C_out/groups, kH, kW)
Tensor conv_transpose2d(const Tensor& x, const Tensor& w, const Tensor& bias = Tensor(), Shape stride = {1, 1},
                        Shape padding = {0, 0}, Shape output_padding = {0, 0}, int64_t groups = 1,
                        Shape dilation = {1, 1});
// stride defaults to kernel_size when empty
Tensor max_pool2d(const Tensor& x, Shape kernel_size, Shape stride = {}, Shape padding = {0, 0},
                  Shape dilation = {1, 1}, bool ceil_mode = false);
Tensor avg_pool2d(const Tensor& x, Shape kernel_size, Shape stride = {}, Shape padding = {0, 0},
                  bool ceil_mode = false, bool count_include_pad = true);
Tensor adaptive_avg_pool2d(const Tensor& x, Shape output_size);

}  // namespace ember
