// Linear.
#include "ember/nn/linear.h"

#include <sstream>

#include "ember/ops.h"
#include "nn/layer_util.h"

namespace ember::nn {

using detail::default_init;
using detail::py_bool;

Linear::Linear(int64_t in, int64_t out, bool has_bias) : in_features(in), out_features(out) {
  EMBER_CHECK(in >= 0 && out >= 0, "Linear", "in_features and out_features must be non-negative, got ", in, " and ", out);
  weight = register_parameter("weight", empty({out, in}));
  if (has_bias) bias = register_parameter("bias", empty({out}));
  reset_parameters();
}
void Linear::reset_parameters() { default_init(weight, bias); }
Tensor Linear::forward(const Tensor& x) {
  EMBER_CHECK(x.dim() >= 1 && x.size(-1) == in_features, "Linear", "expected input with last dim ", in_features,
              " (in_features), got shape ", shape_str(x.shape()));
  return linear(x, weight, bias);
}
std::string Linear::extra_repr() const {
  std::ostringstream os;
  os << "in_features=" << in_features << ", out_features=" << out_features << ", bias=" << py_bool(bias.defined());
  return os.str();
}

}  // namespace ember::nn
