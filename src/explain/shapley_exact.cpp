// Exact Shapley values by evaluating the model on every coalition of the features.
#include <bit>
#include <cmath>

#include "ember/explain/shapley.h"
#include "ember/ops.h"
#include "explain/coalitions.h"

namespace ember::explain {

ShapleyResult shapley_values(const Forward& model, const Tensor& inputs, const std::vector<int64_t>& targets,
                             const ShapleyOptions& o) {
  constexpr const char* op = "shapley_values";
  detail::CoalitionGame game(op, model, inputs, targets, o.feature_mask, o.baseline, o.perturbations_per_eval);
  const int64_t f = game.features(), n = game.examples();
  EMBER_CHECK(f <= 20, op, f, " features need 2^", f, " coalitions; exact enumeration is limited to 20 features: "
              "group elements into fewer features with feature_mask, or use kernel_shap");
  const uint64_t count = uint64_t{1} << f;
  std::vector<uint8_t> z(static_cast<size_t>(count * f));  // coalition c: bit i of c = feature i present
  for (uint64_t c = 0; c < count; ++c)
    for (int64_t i = 0; i < f; ++i) z[c * f + i] = static_cast<uint8_t>((c >> i) & 1);
  const std::vector<double> v = game.values(z);  // (2^F) x N

  // w[s] = s! (F - s - 1)! / F!: the share of orderings in which i joins a coalition of size s.
  std::vector<double> w(static_cast<size_t>(f));
  for (int64_t s = 0; s < f; ++s)
    w[s] = std::exp(std::lgamma(s + 1.0) + std::lgamma(static_cast<double>(f - s)) - std::lgamma(f + 1.0));
  std::vector<double> phi(static_cast<size_t>(n * f), 0.0), base(static_cast<size_t>(n));
  for (uint64_t c = 0; c < count; ++c) {
    const double ws = c + 1 < count ? w[static_cast<size_t>(std::popcount(c))] : 0;
    for (int64_t i = 0; i < f; ++i) {
      if ((c >> i) & 1) continue;
      const uint64_t with = c | (uint64_t{1} << i);
      for (int64_t e = 0; e < n; ++e) phi[e * f + i] += ws * (v[with * n + e] - v[c * n + e]);
    }
  }
  for (int64_t e = 0; e < n; ++e) base[e] = v[e];  // coalition 0: all at the baseline
  ShapleyResult r;
  r.values = tensor<double>(phi, {n, f});
  r.base_values = tensor<double>(base, {n});
  r.attributions = game.spread(r.values);
  return r;
}

}  // namespace ember::explain
