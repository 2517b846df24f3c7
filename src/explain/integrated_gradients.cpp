// Integrated gradients: the gradients at points along the straight path from the baseline to the
// input, weighted by a quadrature rule, times (input - baseline).
#include <algorithm>

#include "ember/autograd.h"
#include "ember/explain/attribution.h"
#include "ember/ops.h"
#include "explain/target_scores.h"

namespace ember::explain {

namespace {

// A (m,) vector as (m, 1, ..., 1) to broadcast against (m, N, ...).
Tensor column(const std::vector<double>& v, size_t begin, int64_t m, int64_t trailing_dims, DType dtype) {
  std::vector<double> part(v.begin() + static_cast<std::ptrdiff_t>(begin), v.begin() + static_cast<std::ptrdiff_t>(begin + m));
  Shape s(static_cast<size_t>(trailing_dims + 1), 1);
  s[0] = m;
  return tensor<double>(part, s).to(dtype);
}

}  // namespace

IntegratedGradientsResult integrated_gradients(const Forward& model, const Tensor& inputs,
                                               const std::vector<int64_t>& targets,
                                               const IntegratedGradientsOptions& o) {
  constexpr const char* op = "integrated_gradients";
  detail::check_inputs(op, inputs);
  EMBER_CHECK(o.internal_batch_size >= 1, op, "internal_batch_size must be at least 1, got ", o.internal_batch_size);
  const Quadrature q = quadrature(o.method, o.steps);  // checks steps
  const int64_t n = inputs.size(0), steps = o.steps;
  const std::vector<int64_t> t = detail::expand_targets(op, targets, n);
  Tensor x = inputs.detach().contiguous();                              // (N, ...)
  Tensor base = detail::broadcast_baseline(op, "baseline", o.baseline, x);  // (N, ...)
  Tensor diff = x - base;

  // Chunks of steps x examples: m steps of `len` examples each, m * len <= internal_batch_size
  // (at least one row). Rows are step-major, as Captum lays them out.
  const int64_t len_max = std::min(n, o.internal_batch_size);
  const int64_t m_max = std::max<int64_t>(1, o.internal_batch_size / len_max);
  Tensor total = zeros_like(x);  // (N, ...): sum_k w_k * grad_k
  std::vector<int64_t> rt;
  for (int64_t e0 = 0; e0 < n; e0 += len_max) {
    const int64_t len = std::min(len_max, n - e0);
    Tensor d = diff.narrow(0, e0, len).unsqueeze(0), b = base.narrow(0, e0, len).unsqueeze(0);  // (1, len, ...)
    for (int64_t k0 = 0; k0 < steps; k0 += m_max) {
      const int64_t m = std::min(m_max, steps - k0);
      Shape rows_shape = x.shape();
      rows_shape[0] = m * len;
      Tensor path;
      {
        NoGradGuard ng;
        Tensor a = column(q.alphas, static_cast<size_t>(k0), m, x.dim(), x.dtype());  // (m, 1, ...)
        path = (b + a * d).reshape(rows_shape);  // (m, len, ...) -> (m * len, ...)
      }
      rt.clear();
      for (int64_t i = 0; i < m; ++i) rt.insert(rt.end(), t.begin() + e0, t.begin() + e0 + len);
      Tensor g = detail::target_gradient(op, model, path, rt);  // (m * len, ...)
      NoGradGuard ng;
      Shape step_shape = x.shape();
      step_shape[0] = len;
      step_shape.insert(step_shape.begin(), m);
      Tensor w = column(q.step_sizes, static_cast<size_t>(k0), m, x.dim(), x.dtype());  // (m, 1, ...)
      total.narrow(0, e0, len).add_(sum(g.reshape(step_shape) * w, {0}));  // (len, ...)
    }
  }

  NoGradGuard ng;
  IntegratedGradientsResult r;
  r.attributions = total * diff;  // (N, ...)
  // Completeness: sum of attributions vs f(x)[t] - f(baseline)[t], in float64.
  Tensor ends = detail::target_scores(op, model, cat({x, base}, 0), [&] {
    std::vector<int64_t> both(t);
    both.insert(both.end(), t.begin(), t.end());
    return both;
  }());  // (2N,)
  Tensor fx = ends.narrow(0, 0, n).to(DType::Float64), fb = ends.narrow(0, n, n).to(DType::Float64);
  Tensor attr_sum = sum(r.attributions.to(DType::Float64).reshape({n, -1}), {1});  // (N,)
  r.delta = attr_sum - (fx - fb);
  return r;
}

}  // namespace ember::explain
