// LIME against the `lime` package (tests/golden/explain/gen_lime.py): on the same on/off patterns,
// kernel and ridge, the same surrogate weights, for 20 inputs; sampled runs are seeded and
// repeatable; closed forms on a linear model; errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "ember/explain/lime.h"
#include "ember/explain/shapley.h"
#include "ember/nn/embedding.h"
#include "explain_test_util.h"
#include "op_registry.h"

namespace ember::test {
namespace {

// Spearman's rank correlation of two equal-length vectors (no ties expected).
double spearman(const std::vector<double>& a, const std::vector<double>& b) {
  auto ranks = [](const std::vector<double>& v) {
    std::vector<size_t> idx(v.size());
    std::iota(idx.begin(), idx.end(), 0);
    std::sort(idx.begin(), idx.end(), [&](size_t i, size_t j) { return v[i] < v[j]; });
    std::vector<double> r(v.size());
    for (size_t k = 0; k < idx.size(); ++k) r[idx[k]] = static_cast<double>(k);
    return r;
  };
  std::vector<double> ra = ranks(a), rb = ranks(b);
  const double n = static_cast<double>(a.size());
  double d2 = 0;
  for (size_t i = 0; i < a.size(); ++i) d2 += (ra[i] - rb[i]) * (ra[i] - rb[i]);
  return 1 - 6 * d2 / (n * (n * n - 1));
}

std::vector<double> values(const Tensor& t) {
  Tensor c = t.to(kFloat64).contiguous();
  return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}

TEST(LimeGolden, SameSurrogateAsTheLimePackageOnTheSamePatterns) {
  nlohmann::json g = read_json(std::string(EMBER_GOLDEN_DIR) + "/explain/lime.json");
  explain::Forward f = GoldenMlp(g).forward();
  Tensor x = json_tensor(g.at("inputs"), kFloat32);
  auto targets = g.at("targets").get<std::vector<int64_t>>();
  double worst = 0, min_rho = 1;
  for (size_t e = 0; e < targets.size(); ++e) {
    auto& c = g.at("cases")[e];
    explain::LimeOptions o;
    o.coalitions = json_tensor(c.at("z"), kInt64);
    o.kernel_width = g.at("kernel_width").get<double>();
    auto r = explain::lime(f, x.narrow(0, static_cast<int64_t>(e), 1), {targets[e]}, o);
    Tensor want = json_tensor(c.at("coef"), kFloat64).reshape({1, 10});
    worst = std::max(worst, relative_error(r.coefficients, want));
    EXPECT_NEAR(r.intercept.item(), c.at("intercept").get<double>(), 1e-5);
    EXPECT_NEAR(r.score.item(), c.at("score").get<double>(), 1e-5);
    min_rho = std::min(min_rho, spearman(values(r.coefficients), values(want)));
  }
  std::cout << "max relative difference from lime: " << worst << ", min rank correlation " << min_rho << "\n";
  EXPECT_LT(worst, 1e-4);
  EXPECT_GE(min_rho, 0.9);
}

// A linear model f = x W^T: with every pattern, the ridge fit recovers x_i W_ti shrunk by the
// ridge only; with ridge_alpha 0 exactly. Sampled runs repeat with the same seed.
TEST(Lime, LinearModelAndSeeds) {
  manual_seed(3);
  auto lin = std::make_shared<nn::Linear>(5, 2, false);
  explain::Forward f = [&](const Tensor& x) { return lin->forward(x); };
  Tensor x = randn({2, 5});
  explain::LimeOptions o;
  o.ridge_alpha = 0;
  Generator g1(7), g2(7);
  o.generator = &g1;
  auto a = explain::lime(f, x, {1}, o);
  Tensor want = (x * lin->weight.select(0, 1)).detach().to(kFloat64);
  EXPECT_LT(relative_error(a.coefficients, want), 1e-5);
  EXPECT_LT(relative_error(a.attributions.to(kFloat64), want), 1e-5);
  o.generator = &g2;
  EXPECT_TRUE(allclose(explain::lime(f, x, {1}, o).coefficients, a.coefficients, 0, 0));
}

TEST(Lime, Errors) {
  auto lin = std::make_shared<nn::Linear>(4, 3);
  explain::Forward f = [&](const Tensor& x) { return lin->forward(x); };
  Tensor x = randn({1, 4});
  explain::LimeOptions o;
  o.samples = 1;
  EXPECT_EMBER_ERROR(explain::lime(f, x, {0}, o), "lime", "samples");
  o = {};
  o.kernel_width = 0;
  EXPECT_EMBER_ERROR(explain::lime(f, x, {0}, o), "lime", "kernel_width");
  o = {};
  o.coalitions = ones({3, 5}, kInt64);
  EXPECT_EMBER_ERROR(explain::lime(f, x, {0}, o), "lime", "coalitions", "4 features");
  o.coalitions = full({3, 4}, 2, kInt64);
  EXPECT_EMBER_ERROR(explain::lime(f, x, {0}, o), "lime", "0 or 1");
  EXPECT_EMBER_ERROR(explain::lime(f, x, {5}, {}), "lime", "3");
}

}  // namespace
}  // namespace ember::test

namespace ember::test {
namespace {

// Token ids (a text model's input): absent tokens take the baseline's id. The mean of embeddings
// is additive over positions, so each token's Shapley value is its own term,
// w . (emb(x_i) - emb(pad)) / T, and KernelSHAP and an unregularized LIME recover it exactly.
TEST(ExplainTokens, CoalitionMethodsTakeTokenIds) {
  manual_seed(5);
  auto emb = std::make_shared<nn::Embedding>(20, 4);
  auto lin = std::make_shared<nn::Linear>(4, 2);
  explain::Forward f = [&](const Tensor& ids) { return lin->forward(emb->forward(ids).mean({1})); };
  Tensor ids = tensor<int64_t>({3, 7, 1, 9, 4}, {1, 5});
  Tensor pad = full({1, 5}, 0, kInt64);
  Tensor want;
  {
    NoGradGuard ng;
    Tensor w = lin->weight.select(0, 1);                                              // (4)
    Tensor d = index_select(emb->weight, 0, ids.reshape({5})) - emb->weight.select(0, 0);  // (5, 4)
    want = (matmul(d, w) / 5.0).reshape({1, 5}).to(kFloat64);
  }
  auto exact = explain::shapley_values(f, ids, {1}, {.baseline = pad});
  EXPECT_LT(relative_error(exact.values, want), 1e-5);
  EXPECT_EQ(exact.attributions.dtype(), kFloat32);
  EXPECT_LT(relative_error(explain::kernel_shap(f, ids, {1}, {.baseline = pad}).values, want), 1e-5);
  explain::LimeOptions o;
  o.baseline = pad, o.ridge_alpha = 0;
  EXPECT_LT(relative_error(explain::lime(f, ids, {1}, o).coefficients, want), 1e-5);
  EXPECT_EMBER_ERROR(explain::shapley_values(f, ids, {1}, {.baseline = full({1, 5}, 0.5)}), "integer ids");
  EXPECT_EMBER_ERROR(explain::saliency(f, ids, {1}), "floating-point inputs");
}

}  // namespace
}  // namespace ember::test
