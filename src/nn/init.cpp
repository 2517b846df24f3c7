#include "ember/nn/init.h"

#include <cmath>

#include "ember/autograd.h"
#include "ember/ops.h"

namespace ember::nn::init {

double calculate_gain(const std::string& nl, double param) {
  if (nl == "linear" || nl == "conv1d" || nl == "conv2d" || nl == "conv3d" || nl == "conv_transpose1d" ||
      nl == "conv_transpose2d" || nl == "sigmoid")
    return 1.0;
  if (nl == "tanh") return 5.0 / 3.0;
  if (nl == "relu") return std::sqrt(2.0);
  if (nl == "leaky_relu") return std::sqrt(2.0 / (1 + param * param));
  if (nl == "selu") return 3.0 / 4.0;
  throw Error("calculate_gain: unsupported nonlinearity '" + nl +
              "' (expected linear, conv1d, conv2d, sigmoid, tanh, relu, leaky_relu or selu)");
}

std::pair<int64_t, int64_t> calculate_fan_in_and_fan_out(const Tensor& w) {
  EMBER_CHECK(w.dim() >= 2, "init", "fan in and fan out can not be computed for a tensor with fewer than 2 dims (shape ",
              shape_str(w.shape()), ")");
  int64_t receptive = 1;
  for (int64_t d = 2; d < w.dim(); ++d) receptive *= w.size(d);
  return {w.size(1) * receptive, w.size(0) * receptive};
}

namespace {
Tensor& fill_from(Tensor& t, const Tensor& values) {
  NoGradGuard ng;
  t.copy_(values);
  return t;
}
}  // namespace

Tensor& uniform_(Tensor& t, double a, double b, Generator* gen) {
  EMBER_CHECK(a <= b, "init.uniform_", "a (", a, ") must not exceed b (", b, ")");
  Tensor r = rand(t.shape(), t.dtype(), gen);
  NoGradGuard ng;
  // In place (the same arithmetic as r * (b - a) + a): each temporary the size of the parameter
  // would stay in the allocator's block cache, GPT-2's 154 MB embedding among them.
  return fill_from(t, r.mul_(b - a).add_(a));
}

Tensor& normal_(Tensor& t, double mean, double stdv, Generator* gen) {
  EMBER_CHECK(stdv >= 0, "init.normal_", "std must be non-negative, got ", stdv);
  Tensor r = randn(t.shape(), t.dtype(), gen);
  NoGradGuard ng;
  return fill_from(t, r.mul_(stdv).add_(mean));  // in place, as uniform_
}

Tensor& trunc_normal_(Tensor& t, double mean, double stdv, double a, double b, Generator* gen) {
  // Rejection sampling keeps the exact truncated distribution.
  Generator& g = gen ? *gen : default_generator();
  Tensor r = empty(t.shape(), kFloat64);
  double* p = r.data_ptr<double>();
  for (int64_t i = 0; i < r.numel(); ++i) {
    double v;
    do v = mean + stdv * g.normal();
    while (v < a || v > b);
    p[i] = v;
  }
  return fill_from(t, r.to(t.dtype()));
}

Tensor& constant_(Tensor& t, double value) {
  NoGradGuard ng;
  t.fill_(value);
  return t;
}
Tensor& zeros_(Tensor& t) { return constant_(t, 0.0); }
Tensor& ones_(Tensor& t) { return constant_(t, 1.0); }

Tensor& xavier_uniform_(Tensor& t, double gain, Generator* gen) {
  auto [fi, fo] = calculate_fan_in_and_fan_out(t);
  double a = gain * std::sqrt(6.0 / static_cast<double>(fi + fo));
  return uniform_(t, -a, a, gen);
}

Tensor& xavier_normal_(Tensor& t, double gain, Generator* gen) {
  auto [fi, fo] = calculate_fan_in_and_fan_out(t);
  return normal_(t, 0.0, gain * std::sqrt(2.0 / static_cast<double>(fi + fo)), gen);
}

namespace {
double kaiming_std(const Tensor& t, double a, const std::string& mode, const std::string& nl) {
  EMBER_CHECK(mode == "fan_in" || mode == "fan_out", "init.kaiming", "mode must be 'fan_in' or 'fan_out', got '", mode, "'");
  auto [fi, fo] = calculate_fan_in_and_fan_out(t);
  int64_t fan = mode == "fan_in" ? fi : fo;
  EMBER_CHECK(fan > 0, "init.kaiming", "cannot initialize a tensor with zero elements (shape ", shape_str(t.shape()), ")");
  return calculate_gain(nl, a) / std::sqrt(static_cast<double>(fan));
}
}  // namespace

Tensor& kaiming_uniform_(Tensor& t, double a, const std::string& mode, const std::string& nl, Generator* gen) {
  double bound = std::sqrt(3.0) * kaiming_std(t, a, mode, nl);
  return uniform_(t, -bound, bound, gen);
}

Tensor& kaiming_normal_(Tensor& t, double a, const std::string& mode, const std::string& nl, Generator* gen) {
  return normal_(t, 0.0, kaiming_std(t, a, mode, nl), gen);
}

}  // namespace ember::nn::init
