// Conv1d, Conv2d, ConvTranspose2d.
#include "ember/nn/conv.h"

#include <sstream>

#include "ember/ops.h"
#include "nn/layer_util.h"

namespace ember::nn {

using detail::check_conv_input;
using detail::check_positive;
using detail::check_sizes;
using detail::default_init;
using detail::pair_str;

// ---- Conv1d ----
Conv1d::Conv1d(int64_t in, int64_t out, int64_t k, int64_t s, int64_t p, int64_t d, int64_t g, bool has_bias)
    : in_channels(in), out_channels(out), kernel_size(k), stride(s), padding(p), dilation(d), groups(g) {
  check_positive(in, "Conv1d", "in_channels");
  check_positive(out, "Conv1d", "out_channels");
  check_positive(g, "Conv1d", "groups");
  check_sizes({k}, 1, "Conv1d", "kernel_size", false);
  check_sizes({s}, 1, "Conv1d", "stride", false);
  check_sizes({p}, 1, "Conv1d", "padding", true);
  check_sizes({d}, 1, "Conv1d", "dilation", false);
  EMBER_CHECK(in % g == 0 && out % g == 0, "Conv1d", "in_channels (", in, ") and out_channels (", out,
              ") must be divisible by groups (", g, ")");
  weight = register_parameter("weight", empty({out, in / g, k}));
  if (has_bias) bias = register_parameter("bias", empty({out}));
  default_init(weight, bias);
}
Tensor Conv1d::forward(const Tensor& x) {
  check_conv_input(x, 1, in_channels, repr());
  return conv1d(x, weight, bias, stride, padding, dilation, groups); }
std::string Conv1d::extra_repr() const {
  std::ostringstream os;
  os << in_channels << ", " << out_channels << ", kernel_size=(" << kernel_size << ",), stride=(" << stride << ",)";
  if (padding) os << ", padding=(" << padding << ",)";
  if (dilation != 1) os << ", dilation=(" << dilation << ",)";
  if (groups != 1) os << ", groups=" << groups;
  if (!bias.defined()) os << ", bias=False";
  return os.str();
}

// ---- Conv2d ----
Conv2d::Conv2d(int64_t in, int64_t out, Pair k, Pair s, Pair p, Pair d, int64_t g, bool has_bias)
    : in_channels(in), out_channels(out), groups(g), kernel_size(k.v), stride(s.v), padding(p.v), dilation(d.v) {
  check_positive(in, "Conv2d", "in_channels");
  check_positive(out, "Conv2d", "out_channels");
  check_positive(g, "Conv2d", "groups");
  EMBER_CHECK(in % g == 0 && out % g == 0, "Conv2d", "in_channels (", in, ") and out_channels (", out,
              ") must be divisible by groups (", g, ")");
  check_sizes(kernel_size, 2, "Conv2d", "kernel_size", false);
  check_sizes(stride, 2, "Conv2d", "stride", false);
  check_sizes(padding, 2, "Conv2d", "padding", true);
  check_sizes(dilation, 2, "Conv2d", "dilation", false);
  weight = register_parameter("weight", empty({out, in / g, kernel_size[0], kernel_size[1]}));
  if (has_bias) bias = register_parameter("bias", empty({out}));
  default_init(weight, bias);
}
Tensor Conv2d::forward(const Tensor& x) {
  check_conv_input(x, 2, in_channels, repr());
  return conv2d(x, weight, bias, stride, padding, dilation, groups); }
std::string Conv2d::extra_repr() const {
  std::ostringstream os;
  os << in_channels << ", " << out_channels << ", kernel_size=" << pair_str(kernel_size) << ", stride=" << pair_str(stride);
  if (padding != Shape{0, 0}) os << ", padding=" << pair_str(padding);
  if (dilation != Shape{1, 1}) os << ", dilation=" << pair_str(dilation);
  if (groups != 1) os << ", groups=" << groups;
  if (!bias.defined()) os << ", bias=False";
  return os.str();
}

// ---- ConvTranspose2d ----
ConvTranspose2d::ConvTranspose2d(int64_t in, int64_t out, Pair k, Pair s, Pair p, Pair op, int64_t g, bool has_bias,
                                 Pair d)
    : in_channels(in), out_channels(out), groups(g), kernel_size(k.v), stride(s.v), padding(p.v),
      output_padding(op.v), dilation(d.v) {
  check_positive(in, "ConvTranspose2d", "in_channels");
  check_positive(out, "ConvTranspose2d", "out_channels");
  check_positive(g, "ConvTranspose2d", "groups");
  EMBER_CHECK(in % g == 0 && out % g == 0, "ConvTranspose2d", "in_channels (", in, ") and out_channels (", out,
              ") must be divisible by groups (", g, ")");
  check_sizes(kernel_size, 2, "ConvTranspose2d", "kernel_size", false);
  check_sizes(stride, 2, "ConvTranspose2d", "stride", false);
  check_sizes(padding, 2, "ConvTranspose2d", "padding", true);
  check_sizes(output_padding, 2, "ConvTranspose2d", "output_padding", true);
  check_sizes(dilation, 2, "ConvTranspose2d", "dilation", false);
  for (int i = 0; i < 2; ++i)
    EMBER_CHECK(output_padding[i] < std::max(stride[i], dilation[i]), "ConvTranspose2d",
                "output_padding ", shape_str(output_padding), " must be smaller than either stride ", shape_str(stride),
                " or dilation ", shape_str(dilation));
  weight = register_parameter("weight", empty({in, out / g, kernel_size[0], kernel_size[1]}));
  if (has_bias) bias = register_parameter("bias", empty({out}));
  default_init(weight, bias);  // PyTorch computes fan_in from dim 1 here too
}
Tensor ConvTranspose2d::forward(const Tensor& x) {
  check_conv_input(x, 2, in_channels, repr());
  return conv_transpose2d(x, weight, bias, stride, padding, output_padding, groups, dilation);
}
std::string ConvTranspose2d::extra_repr() const {
  std::ostringstream os;
  os << in_channels << ", " << out_channels << ", kernel_size=" << pair_str(kernel_size) << ", stride=" << pair_str(stride);
  if (padding != Shape{0, 0}) os << ", padding=" << pair_str(padding);
  if (output_padding != Shape{0, 0}) os << ", output_padding=" << pair_str(output_padding);
  if (groups != 1) os << ", groups=" << groups;
  if (!bias.defined()) os << ", bias=False";
  return os.str();
}

}  // namespace ember::nn
