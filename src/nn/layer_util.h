#pragma once
// Shared by the layer files: argument checks, PyTorch-style reprs and the default initialization.
#include <string>

#include "ember/tensor.h"

namespace ember::nn::detail {

// "(3, 3)"; a one-value shape prints as Python's one-tuple "(3,)".
std::string pair_str(const Shape& s);
inline const char* py_bool(bool b) { return b ? "True" : "False"; }
// PyTorch's default for Linear/Conv: kaiming_uniform_(a=sqrt(5)) on the weight, which is
// U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and the same bound for the bias.
void default_init(Tensor& weight, Tensor& bias);
void check_positive(int64_t v, const std::string& layer, const char* what);
// kernel_size/stride/dilation (positive) or padding/output_padding (non-negative): one value per
// spatial dim.
void check_sizes(const Shape& s, size_t dims, const std::string& layer, const char* what, bool allow_zero);
// Convolution layers: (N, C_in, *spatial) or unbatched (C_in, *spatial) input with in_channels channels.
void check_conv_input(const Tensor& x, int64_t spatial, int64_t in_channels, const std::string& layer);

}  // namespace ember::nn::detail
