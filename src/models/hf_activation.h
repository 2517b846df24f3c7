#pragma once
// Hugging Face's activation names (transformers' ACT2FN keys) that Ember's BERT and GPT-2 run:
//   gelu                          exact GELU, 0.5 x (1 + erf(x / sqrt 2))
//   gelu_new, gelu_pytorch_tanh   GELU's tanh approximation (GPT-2's "gelu_new")
//   relu, silu, swish             (swish is transformers' other name for silu)
#include <string>

#include "ember/tensor.h"

namespace ember::models {

bool is_hf_activation(const std::string& name);
// "gelu, gelu_new, gelu_pytorch_tanh, relu, silu, swish": for error messages.
const char* hf_activation_list();
// x -> act(x), elementwise; throws ember::Error naming `name` when it is not supported.
Tensor hf_activation(const Tensor& x, const std::string& name);
// For the GELUs, gelu()'s `approximate` argument ("none" or "tanh"); "" for the others.
std::string hf_gelu_approximate(const std::string& name);

}  // namespace ember::models
