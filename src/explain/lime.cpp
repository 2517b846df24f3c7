// LIME: random on/off patterns over the features, an exponential kernel on cosine distance, a
// weighted ridge fit (lime's LimeImageExplainer + LimeBase with feature_selection='none').
#include "ember/explain/lime.h"

#include <cmath>

#include "ember/ops.h"
#include "explain/coalitions.h"
#include "explain/linear_solve.h"

namespace ember::explain {

namespace {

constexpr const char* kOp = "lime";

// (P, F) patterns: given ones checked, or row 0 all on and the rest uniform (lime's sampling).
std::vector<uint8_t> patterns(const LimeOptions& o, int64_t f) {
  if (o.coalitions.defined()) {
    EMBER_CHECK(o.coalitions.dim() == 2 && o.coalitions.size(1) == f && o.coalitions.size(0) >= 2, kOp,
                "coalitions must be (samples >= 2, ", f, " features), got ", shape_str(o.coalitions.shape()));
    Tensor c = o.coalitions.to(kInt64).contiguous();
    const int64_t* p = c.data_ptr<int64_t>();
    std::vector<uint8_t> z(static_cast<size_t>(c.numel()));
    for (size_t i = 0; i < z.size(); ++i) {
      EMBER_CHECK(p[i] == 0 || p[i] == 1, kOp, "coalitions must hold 0 or 1, got ", p[i]);
      z[i] = static_cast<uint8_t>(p[i]);
    }
    return z;
  }
  EMBER_CHECK(o.samples >= 2, kOp, "samples must be at least 2 (the input and one perturbation), got ", o.samples);
  Generator& gen = o.generator ? *o.generator : default_generator();
  Tensor r = randint(0, 2, {o.samples, f}, kInt64, &gen);
  const int64_t* p = r.data_ptr<int64_t>();
  std::vector<uint8_t> z(static_cast<size_t>(o.samples * f));
  for (size_t i = 0; i < z.size(); ++i) z[i] = static_cast<uint8_t>(p[i]);
  std::fill(z.begin(), z.begin() + f, 1);
  return z;
}

}  // namespace

LimeResult lime(const Forward& model, const Tensor& inputs, const std::vector<int64_t>& targets, const LimeOptions& o) {
  EMBER_CHECK(o.kernel_width > 0 && std::isfinite(o.kernel_width), kOp, "kernel_width must be positive, got ",
              o.kernel_width);
  EMBER_CHECK(o.ridge_alpha >= 0 && std::isfinite(o.ridge_alpha), kOp, "ridge_alpha must be non-negative, got ",
              o.ridge_alpha);
  detail::CoalitionGame game(kOp, model, inputs, targets, o.feature_mask, o.baseline, o.perturbations_per_eval);
  const int64_t f = game.features(), n = game.examples();
  const std::vector<uint8_t> z = patterns(o, f);
  const int64_t p = static_cast<int64_t>(z.size()) / f;
  const std::vector<double> v = game.values(z);  // (P, N)

  // Kernel weights from the cosine distance to the all-on pattern (an all-off one: distance 1).
  std::vector<double> w(static_cast<size_t>(p));
  for (int64_t r = 0; r < p; ++r) {
    double on = 0;
    for (int64_t i = 0; i < f; ++i) on += z[r * f + i];
    const double d = on > 0 ? 1.0 - on / (std::sqrt(on) * std::sqrt(static_cast<double>(f))) : 1.0;
    w[r] = std::sqrt(std::exp(-d * d / (o.kernel_width * o.kernel_width)));
  }
  double wsum = 0;
  std::vector<double> zbar(static_cast<size_t>(f), 0.0);
  for (int64_t r = 0; r < p; ++r) {
    wsum += w[r];
    for (int64_t i = 0; i < f; ++i) zbar[i] += w[r] * z[r * f + i];
  }
  for (double& m : zbar) m /= wsum;
  // Weighted, centered normal equations: (Zc^T W Zc + alpha I) beta = Zc^T W (y - ybar); the same
  // matrix for every example.
  std::vector<double> a(static_cast<size_t>(f * f), 0.0);
  for (int64_t r = 0; r < p; ++r)
    for (int64_t i = 0; i < f; ++i) {
      const double ci = w[r] * (z[r * f + i] - zbar[i]);
      for (int64_t j = 0; j < f; ++j) a[i * f + j] += ci * (z[r * f + j] - zbar[j]);
    }
  for (int64_t i = 0; i < f; ++i) a[i * f + i] += o.ridge_alpha;

  std::vector<double> coef(static_cast<size_t>(n * f)), icpt(static_cast<size_t>(n)), score(static_cast<size_t>(n));
  for (int64_t e = 0; e < n; ++e) {
    double ybar = 0;
    for (int64_t r = 0; r < p; ++r) ybar += w[r] * v[r * n + e];
    ybar /= wsum;
    std::vector<double> b(static_cast<size_t>(f), 0.0);
    for (int64_t r = 0; r < p; ++r) {
      const double y = w[r] * (v[r * n + e] - ybar);
      for (int64_t i = 0; i < f; ++i) b[i] += y * (z[r * f + i] - zbar[i]);
    }
    const std::vector<double> beta = detail::solve_linear(a, std::move(b), f, kOp,
                                                          "the samples do not determine the surrogate (a singular "
                                                          "system); raise samples or ridge_alpha");
    double c = ybar, ss_res = 0, ss_tot = 0;
    for (int64_t i = 0; i < f; ++i) coef[e * f + i] = beta[i], c -= beta[i] * zbar[i];
    for (int64_t r = 0; r < p; ++r) {
      double pred = c;
      for (int64_t i = 0; i < f; ++i) pred += beta[i] * z[r * f + i];
      ss_res += w[r] * (v[r * n + e] - pred) * (v[r * n + e] - pred);
      ss_tot += w[r] * (v[r * n + e] - ybar) * (v[r * n + e] - ybar);
    }
    icpt[e] = c;
    score[e] = ss_tot > 0 ? 1.0 - ss_res / ss_tot : 1.0;
  }
  LimeResult res;
  res.coefficients = tensor<double>(coef, {n, f});
  res.intercept = tensor<double>(icpt, {n});
  res.score = tensor<double>(score, {n});
  res.attributions = game.spread(res.coefficients);
  return res;
}

}  // namespace ember::explain
