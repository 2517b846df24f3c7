// The kernels added for GPT training speed, held to their references: the vectorized GELUs (tanh, erf)
// against the float64 formula (values, gradients, extremes, thread-count independence), and the
// fused ops linear_cross_entropy and gelu_addmm against their unfused forms.
#include <gtest/gtest.h>

#include <cmath>

#include "ember/ember.h"
#include "ember/ops/gelu_addmm.h"
#include "op_registry.h"

using namespace ember;

namespace {

double gelu_ref(double x) { return 0.5 * x * (1 + std::tanh(0.7978845608028654 * (x + 0.044715 * x * x * x))); }
double gelu_grad_ref(double x) {
  const double t = std::tanh(0.7978845608028654 * (x + 0.044715 * x * x * x));
  return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * 0.7978845608028654 * (1 + 3 * 0.044715 * x * x);
}

// Exact (erf) GELU, the BERT family's.
double gelu_erf_ref(double x) { return 0.5 * x * std::erfc(-x / std::sqrt(2.0)); }
double gelu_erf_grad_ref(double x) {
  return 0.5 * std::erfc(-x / std::sqrt(2.0)) + x * std::exp(-0.5 * x * x) / std::sqrt(2 * M_PI);
}

// 100,003 values over [-12, 12] (an odd count: a partial vector at the end), then extremes.
Tensor gelu_inputs() {
  std::vector<float> v;
  for (int i = 0; i < 100003; ++i) v.push_back(-12.0f + 24.0f * static_cast<float>(i) / 100002.0f);
  for (float e : {-1e4f, -100.0f, -30.0f, -1e-6f, 0.0f, 1e-6f, 30.0f, 100.0f, 1e4f}) v.push_back(e);
  return tensor(v);
}

}  // namespace

TEST(GptKernels, TanhGeluMatchesTheFloat64Formula) {
  Tensor x = gelu_inputs().requires_grad_();
  Tensor y = gelu(x, "tanh");
  Tensor g = randn(x.shape());
  y.backward(g);
  auto xs = x.to_vector<float>(), ys = y.to_vector<float>(), gs = g.to_vector<float>(), gx = x.grad().to_vector<float>();
  double worst_y = 0, worst_g = 0;
  for (size_t i = 0; i < xs.size(); ++i) {
    const double want = gelu_ref(xs[i]), dwant = gs[i] * gelu_grad_ref(xs[i]);
    // a few float32 roundings on values of order |x|: relative 1e-6 plus 1e-7 near the zero crossing
    worst_y = std::max(worst_y, std::abs(ys[i] - want) / (1e-7 + 1e-6 * std::abs(want)));
    worst_g = std::max(worst_g, std::abs(gx[i] - dwant) / (1e-6 + 1e-5 * std::abs(dwant)));
  }
  EXPECT_LE(worst_y, 1.0);
  EXPECT_LE(worst_g, 1.0);
  EXPECT_EQ(ys.back(), 1e4f);          // saturates to x ...
  EXPECT_EQ(ys[ys.size() - 9], -0.0f);  // ... and to 0
  Tensor n = gelu(tensor({NAN, INFINITY, -INFINITY}), "tanh");
  EXPECT_TRUE(std::isnan(n.to_vector<float>()[0]));
  EXPECT_EQ(n.to_vector<float>()[1], INFINITY);
}

TEST(GptKernels, ErfGeluMatchesTheFloat64Formula) {
  Tensor x = gelu_inputs().requires_grad_();
  Tensor y = gelu(x);
  Tensor g = randn(x.shape());
  y.backward(g);
  auto xs = x.to_vector<float>(), ys = y.to_vector<float>(), gs = g.to_vector<float>(), gx = x.grad().to_vector<float>();
  double worst_y = 0, worst_g = 0;
  for (size_t i = 0; i < xs.size(); ++i) {
    const double want = gelu_erf_ref(xs[i]), dwant = gs[i] * gelu_erf_grad_ref(xs[i]);
    worst_y = std::max(worst_y, std::abs(ys[i] - want) / (1e-7 + 1e-6 * std::abs(want)));
    worst_g = std::max(worst_g, std::abs(gx[i] - dwant) / (1e-6 + 1e-5 * std::abs(dwant)));
  }
  EXPECT_LE(worst_y, 1.0);
  EXPECT_LE(worst_g, 1.0);
  // The negative tail keeps its relative precision (float's 1 + erf would round it to 0).
  const float tail = gelu(tensor({-6.0f})).item<float>();
  EXPECT_NEAR(tail / gelu_erf_ref(-6.0), 1.0, 1e-6);
  EXPECT_EQ(ys.back(), 1e4f);
  EXPECT_EQ(ys[ys.size() - 9], -0.0f);
  Tensor n = gelu(tensor({NAN, INFINITY}));
  EXPECT_TRUE(std::isnan(n.to_vector<float>()[0]));
  EXPECT_EQ(n.to_vector<float>()[1], INFINITY);
  // float64 keeps the libm formula: the same function.
  Tensor xd = tensor({-3.0, -0.5, 0.0, 0.7, 2.5}).to(kFloat64);
  auto yd = gelu(xd).to_vector<double>();
  for (size_t i = 0; i < yd.size(); ++i) EXPECT_NEAR(yd[i], gelu_erf_ref(xd.to_vector<double>()[i]), 1e-15);
}

TEST(GptKernels, GeluIsTheSameAtAnyThreadCount) {
  for (const char* approx : {"tanh", "none"}) {
  Tensor x = gelu_inputs();
  Tensor g = randn(x.shape());
  const int before = get_num_threads();
  std::vector<std::vector<float>> runs;
  for (int t : {1, 2, 3}) {
    set_num_threads(t);
    Tensor xi = x.clone().requires_grad_();
    Tensor y = gelu(xi, approx);
    y.backward(g);
    auto a = y.to_vector<float>(), b = xi.grad().to_vector<float>();
    a.insert(a.end(), b.begin(), b.end());
    runs.push_back(a);
  }
  set_num_threads(before);
  EXPECT_EQ(runs[0], runs[1]) << approx;
  EXPECT_EQ(runs[0], runs[2]) << approx;
  }
}

// ---- linear_cross_entropy (golden cases: tests/golden/gen_gpt_ops.py) ----
EMBER_REGISTER_OP("linear_cross_entropy", [](const std::vector<Tensor>& in, const nlohmann::json& kw) {
  return linear_cross_entropy(in[0], in[1], in[2], test::kw_or<int64_t>(kw, "ignore_index", -100));
});

TEST(GptKernels, LinearCrossEntropyMatchesTheUnfusedFormAcrossChunks) {
  // 300 rows x 60,000 classes: more logits than one chunk holds (16M), so several chunks run and
  // the weight gradient accumulates across them.
  manual_seed(8);
  Tensor x = (randn({300, 16}) * 0.5).requires_grad_(), w = (randn({60000, 16}) * 0.5).requires_grad_();
  Tensor t = randint(0, 60000, {300});
  t.data_ptr<int64_t>()[7] = -100;
  Tensor fused = linear_cross_entropy(x, w, t);
  fused.backward(full({}, 0.5));
  Tensor gx = x.grad(), gw = w.grad();
  x.set_grad(Tensor()), w.set_grad(Tensor());
  Tensor ref = cross_entropy(linear(x, w), t);
  ref.backward(full({}, 0.5));
  EXPECT_NEAR(fused.item(), ref.item(), 1e-5 * ref.item());
  EXPECT_TRUE(allclose(gx, x.grad(), 1e-4, 1e-7));
  EXPECT_TRUE(allclose(gw, w.grad(), 1e-4, 1e-9));
  // Without gradients only the loss is computed.
  NoGradGuard ng;
  EXPECT_NEAR(linear_cross_entropy(x, w, t).item(), ref.item(), 1e-5 * ref.item());
}

TEST(GptKernels, LinearCrossEntropyEdgeCasesAndErrors) {
  Tensor x = randn({2, 3}), w = randn({4, 3});
  EXPECT_TRUE(std::isnan(linear_cross_entropy(x, w, full({2}, -100, kInt64)).item()));  // all ignored, as PyTorch
  EXPECT_EMBER_ERROR(linear_cross_entropy(x, w, tensor(std::vector<int64_t>{1, 4})), "linear_cross_entropy",
                     "target 4 at row 1", "4 classes");
  EXPECT_EMBER_ERROR(linear_cross_entropy(x, randn({4, 2}), zeros({2}, kInt64)), "[2, 3]", "[4, 2]", "same C");
  EXPECT_EMBER_ERROR(linear_cross_entropy(x, w, zeros({3}, kInt64)), "target", "[2]", "[3]");
  EXPECT_EMBER_ERROR(linear_cross_entropy(x, w.to(kFloat64), zeros({2}, kInt64)), "dtype", "float64");
  Tensor xg = randn({2, 3}).requires_grad_();
  Tensor l = linear_cross_entropy(xg, w, zeros({2}, kInt64));
  EXPECT_EMBER_ERROR(autograd::grad({l}, {xg}, {}, false, /*create_graph=*/true), "not differentiable", "create_graph");
  Tensor l2 = linear_cross_entropy(xg, w, zeros({2}, kInt64));
  l2.backward(Tensor(), /*retain_graph=*/true);
  EXPECT_EMBER_ERROR(l2.backward(), "linear_cross_entropy", "already ran", "retain_graph");
}

// ---- gelu_addmm (golden cases: tests/golden/gen_gpt_ops.py) ----
EMBER_REGISTER_OP("gelu_addmm", [](const std::vector<Tensor>& in, const nlohmann::json& kw) {
  const std::string approx = test::kw_or<std::string>(kw, "approximate", "none");
  if (test::kw_or<bool>(kw, "no_bias", false)) return gelu_addmm(Tensor(), in[0], in[1], approx);
  return gelu_addmm(in[0], in[1], in[2], approx);
});

TEST(GptKernels, GeluAddmmMatchesTheUnfusedFormBitForBit) {
  // GPT's MLP shapes in small: the fused op must give the unfused addmm(b, gelu(u), w) exactly,
  // forward and every gradient, so swapping it into the model changes nothing.
  manual_seed(5);
  Tensor b = randn({24}).requires_grad_(), u = randn({40, 96}).requires_grad_(), w = (randn({96, 24}) * 0.1).requires_grad_();
  Tensor g = randn({40, 24});
  Tensor fused = gelu_addmm(b, u, w, "tanh");
  fused.backward(g);
  std::vector<Tensor> fg = {b.grad(), u.grad(), w.grad()};
  for (Tensor* t : {&b, &u, &w}) t->set_grad(Tensor());
  Tensor ref = addmm(b, gelu(u, "tanh"), w);
  ref.backward(g);
  EXPECT_TRUE(equal(fused, ref));
  EXPECT_TRUE(equal(fg[0], b.grad()));
  EXPECT_TRUE(equal(fg[1], u.grad()));
  EXPECT_TRUE(equal(fg[2], w.grad()));
  // Only some inputs needing gradients, and create_graph (the gradient of a gradient).
  Tensor u2 = randn({3, 4}, kFloat64).requires_grad_(), w2 = randn({4, 2}, kFloat64);
  Tensor gu = autograd::grad({gelu_addmm(Tensor(), u2, w2, "none").sum()}, {u2}, {}, false, true)[0];
  Tensor gu_ref = autograd::grad({mm(gelu(u2), w2).sum()}, {u2}, {}, false, true)[0];
  EXPECT_TRUE(allclose(gu, gu_ref, 1e-12, 1e-12));
  Tensor gg = autograd::grad({(gu * gu).sum()}, {u2})[0], gg_ref = autograd::grad({(gu_ref * gu_ref).sum()}, {u2})[0];
  EXPECT_TRUE(allclose(gg, gg_ref, 1e-10, 1e-12));
}

TEST(GptKernels, GeluAddmmErrors) {
  Tensor u = randn({2, 3}), w = randn({3, 4}), b = randn({4});
  EXPECT_EMBER_ERROR(gelu_addmm(b, u, randn({2, 4})), "gelu_addmm", "[2, 3]", "[2, 4]", "same K");
  EXPECT_EMBER_ERROR(gelu_addmm(b, randn({6}), w), "gelu_addmm", "[6]", "(N, K)");
  EXPECT_EMBER_ERROR(gelu_addmm(b, u, w, "fast"), "gelu_addmm", "approximate", "fast");
  EXPECT_EMBER_ERROR(gelu_addmm(b, u, w.to(kFloat64)), "gelu_addmm", "dtype", "float64");
  EXPECT_EMBER_ERROR(gelu_addmm(randn({5}), u, w), "addmm", "[5]", "[2, 4]");
  EXPECT_EMBER_ERROR(gelu_addmm(b, zeros({2, 3}, kInt64), zeros({3, 4}, kInt64)), "gelu_addmm", "int64");
  EXPECT_EMBER_ERROR(gelu_addmm(b, u, Tensor()), "gelu_addmm", "defined");
}
