// Exact Shapley values and KernelSHAP: closed forms, efficiency, and agreement with an independent
// enumeration and with shap.KernelExplainer (tests/golden/explain/gen_shap.py).
#include <gtest/gtest.h>

#include <cmath>
#include <iostream>

#include "ember/explain/shapley.h"
#include "explain_test_util.h"

namespace ember::test {
namespace {

// The golden MLP: (N, 10) -> (N, 3), PyTorch's Sequential names 0.* and 2.*.
struct ShapGolden : ::testing::Test {
  nlohmann::json g = read_json(std::string(EMBER_GOLDEN_DIR) + "/explain/shap.json");
  explain::Forward f = GoldenMlp(g).forward();
  Tensor x = json_tensor(g.at("inputs"), kFloat32);
  Tensor baseline = json_tensor(g.at("baseline"), kFloat32);
  std::vector<int64_t> targets = g.at("targets").get<std::vector<int64_t>>();
  Tensor exact = json_tensor(g.at("exact"), kFloat64);
  // max |a - b| over the values' scale
  double err(const Tensor& a, const Tensor& b) { return relative_error(a, b); }
};

TEST_F(ShapGolden, ExactEnumerationMatchesTheReference) {
  auto r = explain::shapley_values(f, x, targets, {.baseline = baseline});
  double e = err(r.values, exact);
  std::cout << "[shap] exact Shapley vs Python enumeration: max relative difference " << e << "\n";
  EXPECT_LE(e, 1e-5);
  EXPECT_EQ(r.attributions.shape(), x.shape());
  EXPECT_LE(err(r.attributions.to(kFloat64), exact), 1e-5);  // one element per feature
}

TEST_F(ShapGolden, KernelShapWithEveryCoalitionIsExactAsShaps) {
  auto r = explain::kernel_shap(f, x, targets, {.baseline = baseline});  // default budget: all 1022
  double e = err(r.values, exact), es = err(r.values, json_tensor(g.at("shap_full_budget"), kFloat64));
  std::cout << "[shap] KernelSHAP (default budget) vs exact: " << e << ", vs shap.KernelExplainer: " << es << "\n";
  EXPECT_LE(e, 1e-3);  // the bound; float32 model outputs leave about 1e-6
  EXPECT_LE(es, 1e-3);
}

// 200 of 1022 coalitions: sampled, so compared with KernelExplainer's spread over 30 seeds.
TEST_F(ShapGolden, KernelShapSampledWithinShapsSamplingNoise) {
  Tensor mean = json_tensor(g.at("shap_200_mean"), kFloat64), sd = json_tensor(g.at("shap_200_std"), kFloat64);
  const double shap_rms = g.at("shap_200_rms_error").get<double>();
  double rms_sum = 0;
  for (uint64_t seed : {1, 2, 3}) {
    Generator gen(seed);
    auto r = explain::kernel_shap(f, x, targets, {.baseline = baseline, .samples = 200, .generator = &gen});
    // Efficiency holds exactly whatever the samples.
    Tensor sums = sum(r.values, {1});
    NoGradGuard ng;
    Tensor idx = tensor<int64_t>(targets, {3, 1});
    Tensor gap = (gather(f(x), 1, idx) - gather(f(baseline.expand({3, 10})), 1, idx)).squeeze(1).to(kFloat64);
    EXPECT_LE(max(abs(sums - gap)).item<double>(), 1e-5);
    EXPECT_LE(max(abs(r.values - mean) / (sd + 1e-9)).item<double>(), 5.0) << "seed " << seed;
    rms_sum += std::sqrt(ember::mean(square(r.values - exact)).item<double>());
  }
  std::cout << "[shap] KernelSHAP 200 samples: RMS error vs exact " << rms_sum / 3 << " (shap's: " << shap_rms << ")\n";
  EXPECT_LE(rms_sum / 3, 2 * shap_rms);
}

TEST(ExplainShapley, ClosedForms) {
  // Additive: phi_i = w_i (x_i - b_i). With an interaction x0 * x1 (baseline 0) the pair splits it.
  Tensor w = tensor<float>({2, -1, 0.5f, 3}, {4, 1});
  explain::Forward additive = [w](const Tensor& x) { return cat({matmul(x, w), -matmul(x, w)}, 1); };  // (N, 2)
  Tensor x = tensor<float>({1, 2, 3, 4, -1, 0, 1, 2}, {2, 4}), b = tensor<float>({0.5f, 0.5f, 0, 1}, {4});
  Tensor want = ((x - b) * w.t()).to(kFloat64);
  EXPECT_LE(relative_error(explain::shapley_values(additive, x, {0}, {.baseline = b}).values, want), 1e-6);
  EXPECT_LE(relative_error(explain::kernel_shap(additive, x, {0}, {.baseline = b}).values, want), 1e-6);
  EXPECT_LE(relative_error(explain::shapley_values(additive, x, {1}, {.baseline = b}).values, -want), 1e-6);
  explain::Forward product = [](const Tensor& x) {  // (N, 3) -> (N, 1): x0 * x1 + x2
    return (x.narrow(1, 0, 1) * x.narrow(1, 1, 1) + x.narrow(1, 2, 1));
  };
  Tensor p = tensor<float>({2, 3, 5}, {1, 3});
  auto r = explain::shapley_values(product, p, {0});
  EXPECT_LE(relative_error(r.values, tensor<double>({3, 3, 5}, {1, 3})), 1e-6);
  EXPECT_LE(relative_error(explain::kernel_shap(product, p, {0}).values, tensor<double>({3, 3, 5}, {1, 3})), 1e-6);
}

TEST(ExplainShapley, FeatureMaskGroupsPixels) {
  auto m = golden_tiny_cnn(read_json(explain_golden()));
  Tensor x = randn({2, 1, 8, 8});
  // 16 features: 2x2 patches. ids (1, 8, 8) = (row / 2) * 4 + col / 2
  std::vector<int64_t> ids;
  for (int64_t r = 0; r < 8; ++r)
    for (int64_t c = 0; c < 8; ++c) ids.push_back((r / 2) * 4 + c / 2);
  Tensor mask = tensor<int64_t>(ids, {1, 8, 8});
  auto r = explain::shapley_values(forward_of(m), x, {0, 2}, {.feature_mask = mask});
  ASSERT_EQ(r.values.shape(), (Shape{2, 16}));
  NoGradGuard ng;
  Tensor idx = tensor<int64_t>({0, 2}, {2, 1});
  Tensor gap = (gather(m->forward(x), 1, idx) - gather(m->forward(zeros_like(x)), 1, idx)).squeeze(1).to(kFloat64);
  EXPECT_LE(max(abs(sum(r.values, {1}) - gap)).item<double>(), 1e-5);  // efficiency
  EXPECT_LE(max(abs(r.base_values - gather(m->forward(zeros_like(x)), 1, idx).squeeze(1).to(kFloat64))).item<double>(), 1e-6);
  // Every pixel of a patch carries the patch's value.
  EXPECT_FLOAT_EQ(r.attributions[1][0][7][6].item<float>(), static_cast<float>(r.values[1][15].item<double>()));
  // KernelSHAP with every coalition (2^16 - 2) reaches the exact values.
  auto k = explain::kernel_shap(forward_of(m), x, {0, 2}, {.feature_mask = mask, .samples = 65534, .perturbations_per_eval = 512});
  EXPECT_LE(relative_error(k.values, r.values), 1e-3);
}

template <typename Fn>
void expect_error(Fn fn, std::initializer_list<const char*> parts) {
  try {
    fn();
    ADD_FAILURE() << "no error; expected one containing " << *parts.begin();
  } catch (const Error& e) {
    for (const char* p : parts) EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what();
  }
}

TEST(ExplainShapley, Errors) {
  explain::Forward sum2 = [](const Tensor& x) { return cat({sum(x, {1}, true), -sum(x, {1}, true)}, 1); };  // (N, 2)
  Tensor x = randn({2, 21});
  expect_error([&] { explain::shapley_values(sum2, x, {0}); }, {"shapley_values", "21 features", "limited to 20"});
  expect_error([&] { explain::shapley_values(sum2, randn({2, 3}), {2}); }, {"target 2", "2 classes"});
  expect_error([&] { explain::kernel_shap(sum2, randn({2, 3}), {0}, {.feature_mask = tensor<int64_t>({0, 2, 2}, {3})}); },
               {"kernel_shap", "ids must run 0..2", "id 1 has no elements"});
  expect_error([&] { explain::kernel_shap(sum2, randn({2, 3}), {0}, {.feature_mask = tensor<int64_t>({0, 1}, {2})}); },
               {"feature_mask of shape [2]", "[3]"});
  expect_error([&] { explain::kernel_shap(sum2, randn({2, 3}), {0}, {.feature_mask = zeros({3})}); }, {"integer feature ids"});
  expect_error([&] { explain::kernel_shap(sum2, randn({2, 3}), {0}, {.samples = -1}); }, {"samples must be non-negative"});
  expect_error([&] { explain::kernel_shap(sum2, randn({2, 3}), {0}, {.feature_mask = tensor<int64_t>({0, -1, 1}, {3})}); },
               {"negative id -1"});
}

}  // namespace
}  // namespace ember::test
