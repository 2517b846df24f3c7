// Attribution methods: properties that hold for any model (completeness, closed forms on a linear
// model, quadrature exactness), the heatmap PNG, and the errors on bad input.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include <png.h>

#include "ember/explain/heatmap.h"
#include "ember/models/mnist_cnn.h"
#include "explain_test_util.h"
#include "temp_dir.h"

namespace ember::test {
namespace {

using explain::IntegrationMethod;

// A linear model (N, 5) -> (N, 3) with known weights: its gradient is a weight row.
struct Linear3 {
  Tensor w = tensor<float>({1, -2, 3, 0.5f, 0, -1, 1, 2, -3, 4, 0.25f, 0.5f, -0.75f, 1, 2}, {3, 5});
  explain::Forward f = [w = w](const Tensor& x) { return matmul(x, w.t()); };  // (N, 5) -> (N, 3)
};

TEST(ExplainQuadrature, GaussLegendreIsExactForDegree2nMinus1) {
  for (int64_t n : {1, 2, 5, 50}) {
    auto q = explain::quadrature(IntegrationMethod::GaussLegendre, n);
    ASSERT_EQ(q.alphas.size(), static_cast<size_t>(n));
    EXPECT_NEAR(std::accumulate(q.step_sizes.begin(), q.step_sizes.end(), 0.0), 1.0, 1e-13) << n;
    EXPECT_TRUE(std::is_sorted(q.alphas.begin(), q.alphas.end()));
    // integral of a^(2n-1) over [0, 1] = 1 / 2n
    double s = 0;
    for (size_t i = 0; i < q.alphas.size(); ++i) s += q.step_sizes[i] * std::pow(q.alphas[i], 2.0 * n - 1);
    EXPECT_NEAR(s, 1.0 / (2.0 * n), 1e-12) << n;
  }
  auto q2 = explain::quadrature(IntegrationMethod::GaussLegendre, 2);  // (1 -+ 1/sqrt 3) / 2
  EXPECT_NEAR(q2.alphas[0], 0.5 - 0.5 / std::sqrt(3.0), 1e-15);
  EXPECT_NEAR(q2.step_sizes[1], 0.5, 1e-15);
}

TEST(ExplainQuadrature, RiemannRulesAsCaptum) {
  auto t = explain::quadrature(IntegrationMethod::RiemannTrapezoid, 5);
  EXPECT_EQ(t.alphas, (std::vector<double>{0, 0.25, 0.5, 0.75, 1}));
  EXPECT_EQ(t.step_sizes, (std::vector<double>{0.1, 0.2, 0.2, 0.2, 0.1}));  // Captum: 1/n, ends halved
  auto m = explain::quadrature(IntegrationMethod::RiemannMiddle, 4);
  EXPECT_DOUBLE_EQ(m.alphas.front(), 0.125);
  EXPECT_DOUBLE_EQ(m.alphas.back(), 0.875);
  EXPECT_DOUBLE_EQ(explain::quadrature(IntegrationMethod::RiemannLeft, 4).alphas.back(), 0.75);
  EXPECT_DOUBLE_EQ(explain::quadrature(IntegrationMethod::RiemannRight, 4).alphas.front(), 0.25);
}

TEST(Explain, LinearModelClosedForms) {
  Linear3 lin;
  Tensor x = tensor<float>({1, 2, 3, 4, 5, -1, 0.5f, 2, 0, 1}, {2, 5});
  std::vector<int64_t> t{2, 0};
  Tensor expect_grad = stack({lin.w[2], lin.w[0]}, 0);  // (2, 5)
  EXPECT_LE(relative_error(explain::saliency(lin.f, x, t, false), expect_grad), 1e-7);
  EXPECT_LE(relative_error(explain::saliency(lin.f, x, t), abs(expect_grad)), 1e-7);
  EXPECT_LE(relative_error(explain::input_x_gradient(lin.f, x, t), x * expect_grad), 1e-7);
  // Linear: IG from zero = x * w exactly, for any rule; delta 0.
  auto r = explain::integrated_gradients(lin.f, x, t, {.steps = 3});
  EXPECT_LE(relative_error(r.attributions, x * expect_grad), 1e-6);
  EXPECT_LE(max(abs(r.delta)).item<double>(), 1e-5);
  // Occlusion with 1-wide windows and a zero baseline: the drop is x_i * w_i.
  EXPECT_LE(relative_error(explain::occlusion(lin.f, x, t, {.sliding_window = {1}}), x * expect_grad), 1e-6);
  // A window of 2 with stride 2 over 5 features: the last window hangs over the edge, each
  // feature is covered once and gets its window's whole drop.
  Tensor occ = explain::occlusion(lin.f, x, t, {.sliding_window = {2}, .strides = {2}});
  auto o = occ.to_vector<float>();
  auto xg = (x * expect_grad).to_vector<float>();
  EXPECT_NEAR(o[0], xg[0] + xg[1], 1e-5);
  EXPECT_NEAR(o[1], xg[0] + xg[1], 1e-5);
  EXPECT_NEAR(o[4], xg[4], 1e-5);
  // SmoothGrad of a linear model without abs is its gradient whatever the noise.
  Generator gen(3);
  EXPECT_LE(relative_error(explain::smoothgrad(lin.f, x, t, {.stdev = 2, .samples = 4, .abs = false, .generator = &gen}),
                           expect_grad),
            1e-6);
}

TEST(Explain, SmoothGradSeededAndZeroNoiseIsSaliency) {
  auto m = golden_tiny_cnn(read_json(explain_golden()));
  auto f = forward_of(m);
  Tensor x = randn({3, 1, 8, 8});
  std::vector<int64_t> t{0, 1, 2};
  Generator g1(11), g2(11), g3(12);
  Tensor a = explain::smoothgrad(f, x, t, {.stdev = 0.5, .samples = 6, .generator = &g1});
  Tensor b = explain::smoothgrad(f, x, t, {.stdev = 0.5, .samples = 6, .generator = &g2});
  Tensor c = explain::smoothgrad(f, x, t, {.stdev = 0.5, .samples = 6, .generator = &g3});
  EXPECT_EQ(relative_error(a, b), 0.0);
  EXPECT_GT(relative_error(a, c), 1e-3);  // the noise does change it
  EXPECT_LE(relative_error(explain::smoothgrad(f, x, t, {.stdev = 0, .samples = 3}), explain::saliency(f, x, t)), 1e-6);
}

// The delta is sum(attributions) - (f(x)[t] - f(baseline)[t]), computed here independently, on the
// seed's CNN (random weights) with a broadcast baseline. (Completeness within 1% on a trained CNN:
// tests/training/test_explain_training.cpp.)
TEST(Explain, IntegratedGradientsDeltaIsTheCompletenessGap) {
  manual_seed(5);
  auto cnn = std::make_shared<models::MnistCNN>();
  cnn->eval();
  explain::Forward f = [cnn](const Tensor& x) { return cnn->forward(x); };
  Tensor x = rand({3, 1, 28, 28});
  Tensor base = full({1, 1, 28, 28}, -0.4242);  // black after MNIST's standardization
  auto r = explain::integrated_gradients(f, x, {3, 7, 1}, {.baseline = base, .steps = 50, .internal_batch_size = 64});
  NoGradGuard ng;
  Tensor fx = cnn->forward(x), fb = cnn->forward(base.expand({3, 1, 28, 28}).contiguous());
  Tensor idx = tensor<int64_t>({3, 7, 1}, {3, 1});
  Tensor gap = (gather(fx, 1, idx) - gather(fb, 1, idx)).squeeze(1).to(kFloat64);  // (3,)
  Tensor sums = sum(r.attributions.reshape({3, -1}), {1}).to(kFloat64);
  EXPECT_LE(max(abs(sums - gap - r.delta)).item<double>(), 1e-5);
  EXPECT_LE(max(abs(r.delta) / abs(gap)).item<double>(), 0.1);  // a rough integral still
}

// Completeness at 50 Gauss-Legendre steps on the golden tiny CNN and inputs: within 1% (Captum's
// own deltas there reach 0.8%).
TEST(Explain, IntegratedGradientsCompleteWithin1PercentOnTinyCnn) {
  auto g = read_json(explain_golden());
  auto tiny = golden_tiny_cnn(g);
  Tensor x = json_tensor(g.at("inputs"), kFloat32);
  auto t = g.at("targets").get<std::vector<int64_t>>();
  auto r = explain::integrated_gradients(forward_of(tiny), x, t);
  NoGradGuard ng;
  Tensor idx = tensor<int64_t>(t, {4, 1});
  Tensor gap = (gather(tiny->forward(x), 1, idx) - gather(tiny->forward(zeros_like(x)), 1, idx)).squeeze(1).to(kFloat64);
  Tensor rel = abs(r.delta) / abs(gap);
  std::cout << "[completeness] tiny CNN IG 50 steps: |delta| / |f(x) - f(0)| = " << rel << "\n";
  EXPECT_LE(max(rel).item<double>(), 0.01);
}

TEST(Explain, WorksUnderNoGradAndLeavesParameterGradsAlone) {
  auto m = golden_tiny_cnn(read_json(explain_golden()));
  Tensor x = randn({2, 1, 8, 8});
  NoGradGuard ng;
  Tensor s = explain::saliency(forward_of(m), x, {1});
  EXPECT_EQ(s.shape(), x.shape());
  EXPECT_GT(max(s).item<float>(), 0.0f);
  for (auto& [name, p] : m->named_parameters()) EXPECT_FALSE(p.grad().defined()) << name;
  EXPECT_FALSE(x.requires_grad());
}

// Runs fn, expecting an ember::Error whose message contains every part.
template <typename Fn>
void expect_error(Fn fn, std::initializer_list<const char*> parts) {
  try {
    fn();
    ADD_FAILURE() << "no error; expected one containing " << *parts.begin();
  } catch (const Error& e) {
    for (const char* p : parts) EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what();
  }
}

TEST(ExplainErrors, Targets) {
  Linear3 lin;
  Tensor x = randn({2, 5});
  expect_error([&] { explain::saliency(lin.f, x, {0, 3}); }, {"saliency", "target 3", "3 classes"});
  expect_error([&] { explain::integrated_gradients(lin.f, x, {5}); }, {"integrated_gradients", "target 5", "3 classes"});
  expect_error([&] { explain::occlusion(lin.f, x, {4}, {.sliding_window = {1}}); }, {"occlusion", "target 4", "3 classes"});
  expect_error([&] { explain::input_x_gradient(lin.f, x, {-1}); }, {"input_x_gradient", "target -1", "negative"});
  expect_error([&] { explain::saliency(lin.f, x, {0, 1, 2}); }, {"one target per example (2)", "got 3"});
  expect_error([&] { explain::saliency(lin.f, x, {}); }, {"one target per example (2)", "got 0"});
}

TEST(ExplainErrors, ShapesAndOptions) {
  Linear3 lin;
  Tensor x = randn({2, 5});
  expect_error([&] { explain::integrated_gradients(lin.f, x, {0}, {.steps = 0}); }, {"steps must be at least 1, got 0"});
  expect_error([&] { explain::integrated_gradients(lin.f, x, {0}, {.steps = 1, .method = IntegrationMethod::RiemannTrapezoid}); },
               {"steps must be at least 2"});
  expect_error([&] { explain::integrated_gradients(lin.f, x, {0}, {.baseline = zeros({3})}); },
               {"baseline of shape [3]", "[2, 5]"});
  expect_error([&] { explain::integrated_gradients(lin.f, x, {0}, {.internal_batch_size = 0}); }, {"internal_batch_size"});
  expect_error([&] { explain::saliency(lin.f, randn({2, 4}), {0}); }, {"matmul"});  // the model's own error
  expect_error([&] { explain::saliency(lin.f, tensor<int64_t>({1, 2, 3, 4, 5}, {1, 5}), {0}); }, {"floating-point", "int64"});
  expect_error([&] { explain::saliency(lin.f, Tensor(), {0}); }, {"undefined"});
  explain::Forward flat = [&](const Tensor& t) { return sum(lin.f(t), {1}); };  // (N,), not (N, C)
  expect_error([&] { explain::saliency(flat, x, {0}); }, {"scores of shape (2, C)", "got [2]"});
  expect_error([&] { explain::occlusion(lin.f, x, {0}, {.sliding_window = {6}}); }, {"sliding_window [6]", "[5]"});
  expect_error([&] { explain::occlusion(lin.f, x, {0}, {.sliding_window = {1, 1}}); }, {"one entry per dim"});
  expect_error([&] { explain::occlusion(lin.f, x, {0}, {.sliding_window = {2}, .strides = {3}}); }, {"strides [3]", "at most"});
  expect_error([&] { explain::smoothgrad(lin.f, x, {0}, {.samples = 0}); }, {"samples must be at least 1"});
  expect_error([&] { explain::smoothgrad(lin.f, x, {0}, {.stdev = -1}); }, {"stdev"});
}

TEST(ExplainErrors, ModelWithoutGradientPathToItsInput) {
  auto m = golden_tiny_cnn(read_json(explain_golden()));
  Tensor x = randn({2, 1, 8, 8});
  // Detaching the input: the output still needs grad (the weights) but not through the input.
  explain::Forward detached = [m](const Tensor& t) { return m->forward(t.detach()); };
  explain::Forward no_grad = [m](const Tensor& t) { NoGradGuard ng; return m->forward(t); };
  for (const auto& f : {detached, no_grad}) {
    expect_error([&] { explain::saliency(f, x, {0}); }, {"saliency", "no gradient path to its input"});
    expect_error([&] { explain::integrated_gradients(f, x, {0}); }, {"integrated_gradients", "no gradient path"});
    expect_error([&] { explain::smoothgrad(f, x, {0}); }, {"smoothgrad", "no gradient path"});
    // Occlusion only evaluates the model.
    EXPECT_EQ(explain::occlusion(f, x, {0}, {.sliding_window = {1, 2, 2}, .strides = {1, 2, 2}}).shape(), x.shape());
  }
}

// Decodes a PNG file to 8-bit RGB with libpng's simplified API.
struct Rgb {
  int64_t width = 0, height = 0;
  std::vector<uint8_t> px;
  const uint8_t* at(int64_t x, int64_t y) const { return px.data() + 3 * (y * width + x); }
};
Rgb read_rgb(const std::string& path) {
  png_image img{};
  img.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_file(&img, path.c_str())) throw Error("read_rgb: " + std::string(img.message));
  img.format = PNG_FORMAT_RGB;
  Rgb r{img.width, img.height, std::vector<uint8_t>(PNG_IMAGE_SIZE(img))};
  if (!png_image_finish_read(&img, nullptr, r.px.data(), 0, nullptr)) throw Error("read_rgb: " + std::string(img.message));
  return r;
}

TEST(ExplainHeatmap, InputBesideRedPositiveBlueNegative) {
  Tensor img = zeros({1, 4, 4});
  img.narrow(1, 1, 2).fill_(1.0);  // rows 1-2 white
  Tensor att = zeros({4, 4});
  att.narrow(0, 1, 1).fill_(2.0);   // row 1 positive
  att.narrow(0, 2, 1).fill_(-2.0);  // row 2 negative
  TempDir dir;
  explain::write_attribution_png(dir.file("a.png"), img, att, {.scale = 2, .padding = 1});
  Rgb r = read_rgb(dir.file("a.png"));
  ASSERT_EQ(r.width, 2 * 4 * 2 + 3);  // two panels of 8 pixels, 3 paddings
  ASSERT_EQ(r.height, 4 * 2 + 2);
  auto px = [&](int64_t panel, int64_t x, int64_t y) {  // pixel (x, y) of the image in a panel
    return r.at(1 + panel * (8 + 1) + 2 * x, 1 + 2 * y);
  };
  EXPECT_EQ(px(0, 0, 0)[0], 0);    // left: the input, black row 0
  EXPECT_EQ(px(0, 0, 1)[1], 255);  // white row 1
  const uint8_t* pos = px(1, 2, 1);
  const uint8_t* neg = px(1, 2, 2);
  EXPECT_GT(pos[0], 200);  // red
  EXPECT_LT(pos[2], 80);
  EXPECT_GT(neg[2], 200);  // blue
  EXPECT_LT(neg[0], 80);
  EXPECT_EQ(px(1, 0, 3)[0], 0);  // no attribution over black: black
  expect_error([&] { explain::encode_attribution_png(img, zeros({3, 4})); }, {"same size"});
  expect_error([&] { explain::encode_attribution_png(zeros({2, 4, 4}), att); }, {"(H, W) or (1, H, W)", "[2, 4, 4]"});
  expect_error([&] { explain::write_attribution_png("/proc/ember-no/x.png", img, att); }, {"/proc/ember-no/x.png"});
}

}  // namespace
}  // namespace ember::test
