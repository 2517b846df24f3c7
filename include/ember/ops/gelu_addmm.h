#pragma once
// A GELU followed by a linear layer (GPT's MLP: c_proj(gelu(c_fc(x)))), saving only the GELU's
// input for backward.
#include <string>

#include "ember/tensor.h"

namespace ember {

// bias + gelu(input, approximate) @ mat2, exactly as addmm(bias, gelu(input), mat2) (mm when bias
// is undefined) computes it, but the autograd node saves `input` instead of gelu(input): backward
// recomputes the GELU (one cheap elementwise pass) rather than keeping a second (N, K) activation
// alive from forward to backward. The gradients are those of the unfused form, bit for bit.
//   input (N, K), mat2 (K, M), bias broadcastable to (N, M) or undefined; floating, one dtype;
//   approximate "none" or "tanh".
Tensor gelu_addmm(const Tensor& bias, const Tensor& input, const Tensor& mat2, const std::string& approximate = "none");

}  // namespace ember
