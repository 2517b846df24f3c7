// Saliency, input x gradient and SmoothGrad: one gradient of the target score per (noisy) input.
#include <algorithm>
#include <cmath>

#include "ember/autograd.h"
#include "ember/explain/attribution.h"
#include "ember/ops.h"
#include "explain/target_scores.h"

namespace ember::explain {

using detail::check_inputs;
using detail::expand_targets;
using detail::target_gradient;

Tensor saliency(const Forward& model, const Tensor& inputs, const std::vector<int64_t>& targets, bool abs) {
  constexpr const char* op = "saliency";
  check_inputs(op, inputs);
  Tensor g = target_gradient(op, model, inputs, expand_targets(op, targets, inputs.size(0)));  // (N, ...)
  NoGradGuard ng;
  return abs ? ember::abs(g) : g;
}

Tensor input_x_gradient(const Forward& model, const Tensor& inputs, const std::vector<int64_t>& targets) {
  constexpr const char* op = "input_x_gradient";
  check_inputs(op, inputs);
  Tensor g = target_gradient(op, model, inputs, expand_targets(op, targets, inputs.size(0)));
  NoGradGuard ng;
  return inputs.detach() * g;  // (N, ...)
}

Tensor smoothgrad(const Forward& model, const Tensor& inputs, const std::vector<int64_t>& targets,
                  const SmoothGradOptions& o) {
  constexpr const char* op = "smoothgrad";
  check_inputs(op, inputs);
  EMBER_CHECK(o.samples >= 1, op, "samples must be at least 1, got ", o.samples);
  EMBER_CHECK(o.stdev >= 0 && std::isfinite(o.stdev), op, "stdev must be a non-negative number, got ", o.stdev);
  const int64_t n = inputs.size(0);
  std::vector<int64_t> t = expand_targets(op, targets, n);
  Generator* gen = o.generator ? o.generator : &default_generator();
  Tensor x = inputs.detach().contiguous();
  // Several noisy copies of the batch per forward pass, about 256 rows at most.
  const int64_t per_pass = std::max<int64_t>(1, 256 / n);
  std::vector<int64_t> rt;
  Tensor total = zeros_like(x);  // (N, ...)
  for (int64_t s0 = 0; s0 < o.samples; s0 += per_pass) {
    const int64_t m = std::min(per_pass, o.samples - s0);
    Shape noisy_shape = x.shape();
    noisy_shape.insert(noisy_shape.begin(), m);
    Shape rows_shape = x.shape();
    rows_shape[0] = m * n;
    Tensor noisy;
    {
      NoGradGuard ng;
      // (m, N, ...) -> (m * N, ...), sample-major
      noisy = (x.unsqueeze(0) + randn(noisy_shape, x.dtype(), gen) * o.stdev).reshape(rows_shape);
    }
    rt.clear();
    for (int64_t i = 0; i < m; ++i) rt.insert(rt.end(), t.begin(), t.end());
    Tensor g = target_gradient(op, model, noisy, rt);  // (m * N, ...)
    NoGradGuard ng;
    if (o.abs) g = ember::abs(g);
    total.add_(sum(g.reshape(noisy_shape), {0}));
  }
  NoGradGuard ng;
  return total / static_cast<double>(o.samples);
}

}  // namespace ember::explain
