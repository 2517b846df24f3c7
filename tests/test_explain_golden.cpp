// Ember's attributions against Captum's on the same weights and inputs
// (tests/golden/explain/gen_captum.py): equal within 1e-4 relative to each map's scale.
#include <gtest/gtest.h>

#include <iostream>

#include "explain_test_util.h"

namespace ember::test {
namespace {

struct ExplainGolden : ::testing::Test {
  nlohmann::json g = read_json(explain_golden());
  std::shared_ptr<TinyCNN> model = golden_tiny_cnn(g);
  explain::Forward f = forward_of(model);
  Tensor x = json_tensor(g.at("inputs"), kFloat32);
  std::vector<int64_t> targets = g.at("targets").get<std::vector<int64_t>>();

  const nlohmann::json& find(const std::string& name) {
    for (auto& c : g.at("cases"))
      if (c.at("name") == name) return c;
    throw Error("no case " + name + " in " + explain_golden());
  }
  void expect_matches(const std::string& name, const Tensor& got, double tol = 1e-4) {
    Tensor want = json_tensor(find(name).at("attributions"), kFloat64);
    ASSERT_EQ(got.shape(), want.shape()) << name;
    double err = relative_error(got, want);
    std::cout << "[captum] " << name << ": max relative difference " << err << "\n";
    EXPECT_LE(err, tol) << name;
  }
};

TEST_F(ExplainGolden, ModelReproducesTheLogits) {
  NoGradGuard ng;
  EXPECT_LE(relative_error(model->forward(x), json_tensor(g.at("logits"), kFloat64)), 1e-5);
}

TEST_F(ExplainGolden, Saliency) {
  expect_matches("saliency_abs", explain::saliency(f, x, targets));
  expect_matches("saliency_signed", explain::saliency(f, x, targets, /*abs=*/false));
}

TEST_F(ExplainGolden, InputXGradient) { expect_matches("input_x_gradient", explain::input_x_gradient(f, x, targets)); }

TEST_F(ExplainGolden, IntegratedGradientsGaussLegendre) {
  auto r = explain::integrated_gradients(f, x, targets, {.steps = 50});
  expect_matches("ig_gausslegendre", r.attributions);
  // Captum's deltas: small numbers, compared to the attributions' scale.
  Tensor want = json_tensor(find("ig_gausslegendre").at("delta"), kFloat64);
  EXPECT_LE(max(abs(r.delta - want)).item<double>(), 1e-4 * max(abs(r.attributions)).item<float>());
}

TEST_F(ExplainGolden, IntegratedGradientsTrapezoidChunkedNonZeroBaseline) {
  const auto& c = find("ig_riemann_trapezoid");
  Tensor base = json_tensor(c.at("baseline"), kFloat32);  // (1, 8, 8), broadcast over the batch
  // Chunks of 7 rows cut steps and examples unevenly: the result must not depend on them.
  for (int64_t chunk : {7, 256}) {
    auto r = explain::integrated_gradients(
        f, x, targets,
        {.baseline = base, .steps = 50, .method = explain::IntegrationMethod::RiemannTrapezoid, .internal_batch_size = chunk});
    expect_matches("ig_riemann_trapezoid", r.attributions);
    Tensor want = json_tensor(c.at("delta"), kFloat64);
    EXPECT_LE(max(abs(r.delta - want)).item<double>(), 1e-4 * max(abs(r.attributions)).item<float>());
  }
}

TEST_F(ExplainGolden, Occlusion) {
  for (const char* name : {"occlusion_1x3x3_s122", "occlusion_1x2x2_s111"}) {
    const auto& c = find(name);
    explain::OcclusionOptions o{.sliding_window = c.at("window").get<Shape>(), .strides = c.at("strides").get<Shape>(),
                                .baseline = scalar_tensor(c.at("baseline_value").get<double>()),
                                .perturbations_per_eval = 5};
    expect_matches(name, explain::occlusion(f, x, targets, o));
  }
}

// SmoothGrad draws its own noise, so only the average over many samples is comparable:
// 2000 samples each leave a few percent of Monte Carlo error.
TEST_F(ExplainGolden, SmoothGradAverageNearCaptums) {
  Generator gen(7);
  Tensor sg = explain::smoothgrad(f, x, targets, {.stdev = 0.3, .samples = 2000, .generator = &gen});
  expect_matches("smoothgrad_2000", sg, 0.05);
}

}  // namespace
}  // namespace ember::test
