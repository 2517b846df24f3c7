// Gradient clipping.
#include "ember/optim/clip.h"

#include <cmath>

#include "ember/autograd.h"
#include "ember/ops.h"

namespace ember::nn::utils {

namespace {

std::vector<Tensor> present_grads(const std::vector<Tensor>& parameters, const char* op) {
  std::vector<Tensor> grads;
  for (size_t i = 0; i < parameters.size(); ++i) {
    EMBER_CHECK(parameters[i].defined(), op, "parameter ", i, " is an undefined tensor");
    Tensor g = parameters[i].grad();
    if (!g.defined()) continue;
    EMBER_CHECK(g.is_floating_point(), op, "the gradient of parameter ", i, " has dtype ", dtype_name(g.dtype()),
                "; expected floating point");
    grads.push_back(g);
  }
  return grads;
}

}  // namespace

double clip_grad_norm_(const std::vector<Tensor>& parameters, double max_norm, double norm_type,
                       bool error_if_nonfinite) {
  const char* op = "clip_grad_norm_";
  EMBER_CHECK(norm_type > 0, op, "norm_type must be positive (or nn::utils::kInfNorm), got ", norm_type);
  EMBER_CHECK(max_norm >= 0, op, "max_norm must be >= 0, got ", max_norm);
  NoGradGuard ng;
  std::vector<Tensor> grads = present_grads(parameters, op);
  if (grads.empty()) return 0.0;
  const bool inf = std::isinf(norm_type);
  double acc = 0;
  for (auto& g : grads) {
    double v = norm_power_sum(g, norm_type);
    if (inf) acc = (!(v <= acc)) ? v : acc;
    else acc += v;
  }
  const double total = inf ? acc : (norm_type == 2.0 ? std::sqrt(acc) : std::pow(acc, 1.0 / norm_type));
  EMBER_CHECK(!error_if_nonfinite || std::isfinite(total), op, "the total norm of order ", norm_type,
              " of the gradients is ", total, ", so it cannot be clipped; fix the NaN/inf gradients or pass "
              "error_if_nonfinite=false to scale by it anyway");
  const double coef = max_norm / (total + 1e-6);
  if (coef < 1.0 || std::isnan(coef)) foreach_mul_(grads, coef);
  return total;
}

void clip_grad_value_(const std::vector<Tensor>& parameters, double clip_value) {
  const char* op = "clip_grad_value_";
  EMBER_CHECK(clip_value >= 0, op, "clip_value must be >= 0, got ", clip_value);
  NoGradGuard ng;
  for (auto& g : present_grads(parameters, op)) g.clamp_(-clip_value, clip_value);
}

}  // namespace ember::nn::utils
