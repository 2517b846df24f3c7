// MaxPool2d, AvgPool2d, AdaptiveAvgPool2d.
#include "ember/nn/pooling.h"

#include <sstream>

#include "ember/ops.h"
#include "nn/layer_util.h"

namespace ember::nn {

using detail::check_sizes;
using detail::pair_str;
using detail::py_bool;

MaxPool2d::MaxPool2d(Pair k, std::optional<Pair> s, Pair p, Pair d, bool ceil)
    : kernel_size(k.v), stride(s ? s->v : k.v), padding(p.v), dilation(d.v), ceil_mode(ceil) {
  check_sizes(kernel_size, 2, "MaxPool2d", "kernel_size", false);
  check_sizes(stride, 2, "MaxPool2d", "stride", false);
  check_sizes(padding, 2, "MaxPool2d", "padding", true);
  check_sizes(dilation, 2, "MaxPool2d", "dilation", false);
}
Tensor MaxPool2d::forward(const Tensor& x) { return max_pool2d(x, kernel_size, stride, padding, dilation, ceil_mode); }
std::string MaxPool2d::extra_repr() const {
  std::ostringstream os;
  auto one = [](const Shape& s) { return s[0] == s[1] ? std::to_string(s[0]) : pair_str(s); };
  os << "kernel_size=" << one(kernel_size) << ", stride=" << one(stride) << ", padding=" << one(padding)
     << ", dilation=" << one(dilation) << ", ceil_mode=" << py_bool(ceil_mode);
  return os.str();
}

AvgPool2d::AvgPool2d(Pair k, std::optional<Pair> s, Pair p, bool ceil, bool cip)
    : kernel_size(k.v), stride(s ? s->v : k.v), padding(p.v), ceil_mode(ceil), count_include_pad(cip) {
  check_sizes(kernel_size, 2, "AvgPool2d", "kernel_size", false);
  check_sizes(stride, 2, "AvgPool2d", "stride", false);
  check_sizes(padding, 2, "AvgPool2d", "padding", true);
}
Tensor AvgPool2d::forward(const Tensor& x) {
  return avg_pool2d(x, kernel_size, stride, padding, ceil_mode, count_include_pad);
}
std::string AvgPool2d::extra_repr() const {
  std::ostringstream os;
  auto one = [](const Shape& s) { return s[0] == s[1] ? std::to_string(s[0]) : pair_str(s); };
  os << "kernel_size=" << one(kernel_size) << ", stride=" << one(stride) << ", padding=" << one(padding);
  return os.str();
}

Tensor AdaptiveAvgPool2d::forward(const Tensor& x) { return adaptive_avg_pool2d(x, output_size); }
std::string AdaptiveAvgPool2d::extra_repr() const { return "output_size=" + pair_str(output_size); }

}  // namespace ember::nn
