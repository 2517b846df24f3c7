#include "nn/layer_util.h"

#include <cmath>
#include <sstream>

#include "ember/nn/init.h"

namespace ember::nn::detail {

std::string pair_str(const Shape& s) {
  std::ostringstream os;
  os << "(";
  for (size_t i = 0; i < s.size(); ++i) os << (i ? ", " : "") << s[i];
  if (s.size() == 1) os << ",";
  os << ")";
  return os.str();
}

void default_init(Tensor& weight, Tensor& bias) {
  init::kaiming_uniform_(weight, std::sqrt(5.0));
  if (bias.defined()) {
    auto [fan_in, fan_out] = init::calculate_fan_in_and_fan_out(weight);
    double bound = fan_in > 0 ? 1.0 / std::sqrt(static_cast<double>(fan_in)) : 0.0;
    init::uniform_(bias, -bound, bound);
  }
}

void check_positive(int64_t v, const std::string& layer, const char* what) {
  EMBER_CHECK(v > 0, layer, what, " must be positive, got ", v);
}

void check_sizes(const Shape& s, size_t dims, const std::string& layer, const char* what, bool allow_zero) {
  EMBER_CHECK(s.size() == dims, layer, what, " must be an int or ", dims == 2 ? "a pair" : "one value", ", got ",
              shape_str(s));
  for (int64_t v : s)
    EMBER_CHECK(allow_zero ? v >= 0 : v > 0, layer, what, " must be ", allow_zero ? "non-negative" : "positive",
                ", got ", shape_str(s));
}

void check_conv_input(const Tensor& x, int64_t spatial, int64_t in_channels, const std::string& layer) {
  int64_t d = x.dim();
  EMBER_CHECK((d == spatial + 1 || d == spatial + 2) && x.size(d - spatial - 1) == in_channels, layer,
              "expected a ", spatial == 1 ? "(N, C, L) or (C, L)" : "(N, C, H, W) or (C, H, W)", " input with C = ",
              in_channels, " (in_channels), got shape ", shape_str(x.shape()));
}

}  // namespace ember::nn::detail
