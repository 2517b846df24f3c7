#include "models/hf_activation.h"

#include "ember/ops.h"

namespace ember::models {

std::string hf_gelu_approximate(const std::string& name) {
  if (name == "gelu") return "none";
  if (name == "gelu_new" || name == "gelu_pytorch_tanh") return "tanh";
  return "";
}

bool is_hf_activation(const std::string& name) {
  return !hf_gelu_approximate(name).empty() || name == "relu" || name == "silu" || name == "swish";
}

const char* hf_activation_list() { return "gelu, gelu_new, gelu_pytorch_tanh, relu, silu, swish"; }

Tensor hf_activation(const Tensor& x, const std::string& name) {
  const std::string approx = hf_gelu_approximate(name);
  if (!approx.empty()) return gelu(x, approx);
  if (name == "relu") return relu(x);
  if (name == "silu" || name == "swish") return silu(x);
  EMBER_FAIL("hf_activation", "activation '", name, "' is not supported; use one of ", hf_activation_list());
}

}  // namespace ember::models
