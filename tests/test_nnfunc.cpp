// dropout, batch_norm, layer_norm, embedding, one_hot: registry entries for the golden harness,
// bad-input tests, dropout's statistics and determinism, and the fused kernels held to the
// composite (Ember-op) formulas, including sizes that take the threaded paths.
#include <gtest/gtest.h>

#include <cmath>

#include "op_registry.h"

using namespace ember;
using ember::test::kw_or;
using json = nlohmann::json;

namespace {

Tensor running_stat(const json& kw, const char* key, DType dt) {
  if (!kw.contains(key)) return Tensor();
  return tensor(kw.at(key).get<std::vector<double>>()).to(dt);
}

Tensor run_batch_norm(const std::vector<Tensor>& in, const json& kw, Tensor rm, Tensor rv) {
  Tensor w = in.size() > 1 ? in[1] : Tensor(), b = in.size() > 2 ? in[2] : Tensor();
  return batch_norm(in[0], rm, rv, w, b, kw.at("training").get<bool>(), kw_or(kw, "momentum", 0.1),
                    kw_or(kw, "eps", 1e-5));
}

EMBER_REGISTER_OP("dropout", [](const std::vector<Tensor>& in, const json& kw) {
  return dropout(in[0], kw.at("p").get<double>(), kw.at("training").get<bool>());
});
EMBER_REGISTER_OP("batch_norm", [](const std::vector<Tensor>& in, const json& kw) {
  DType dt = in[0].dtype();
  return run_batch_norm(in, kw, running_stat(kw, "running_mean", dt), running_stat(kw, "running_var", dt));
});
EMBER_REGISTER_OP("batch_norm_running_stats", [](const std::vector<Tensor>& in, const json& kw) {
  DType dt = in[0].dtype();
  Tensor rm = running_stat(kw, "running_mean", dt), rv = running_stat(kw, "running_var", dt);
  run_batch_norm({in[0]}, kw, rm, rv);
  return cat({rm, rv}, 0);
});
EMBER_REGISTER_OP("layer_norm", [](const std::vector<Tensor>& in, const json& kw) {
  return layer_norm(in[0], kw.at("normalized_shape").get<Shape>(), in.size() > 1 ? in[1] : Tensor(),
                    in.size() > 2 ? in[2] : Tensor(), kw_or(kw, "eps", 1e-5));
});
EMBER_REGISTER_OP("embedding", [](const std::vector<Tensor>& in, const json& kw) {
  std::optional<int64_t> pad;
  if (kw.contains("padding_idx")) pad = kw.at("padding_idx").get<int64_t>();
  return embedding(in[0], in[1], pad);
});
EMBER_REGISTER_OP("one_hot", [](const std::vector<Tensor>& in, const json& kw) {
  return one_hot(in[0], kw_or<int64_t>(kw, "num_classes", -1));
});

double max_abs_diff(const Tensor& a, const Tensor& b) {
  EXPECT_EQ(a.shape(), b.shape());
  auto d = (a.detach().to(kFloat64) - b.detach().to(kFloat64)).to_vector<double>();
  double m = 0;
  for (double v : d) m = std::max(m, std::isnan(v) ? INFINITY : std::abs(v));
  return m;
}

// Gradients of sum(f(inputs) * go) through the fused backward (create_graph = false) and the
// composite one (create_graph = true), compared.
void expect_fused_matches_composite(const std::function<Tensor(const std::vector<Tensor>&)>& f,
                                    std::vector<Tensor> inputs, double tol) {
  for (auto& t : inputs) t.requires_grad_();
  Tensor out = f(inputs);
  Tensor go = randn(out.shape(), out.dtype());
  auto fused = autograd::grad({out}, inputs, {go}, true, false);
  auto composite = autograd::grad({out}, inputs, {go}, false, true);
  for (size_t k = 0; k < inputs.size(); ++k) {
    // x's gradient depends on x again (a bias gradient, sum(g), legitimately does not)
    if (k == 0) ASSERT_TRUE(composite[k].requires_grad()) << "the composite gradient of x is not differentiable";
    EXPECT_LT(max_abs_diff(fused[k], composite[k]), tol) << "input " << k;
  }
}

}  // namespace

// ---- dropout ----

TEST(Dropout, KeepsAboutOneMinusPAndScalesSurvivors) {
  const double p = 0.3;
  Generator gen(123);
  Tensor x = ones({200000});
  auto v = dropout(x, p, true, &gen).to_vector<float>();
  int64_t zeros_n = 0;
  for (float e : v) {
    if (e == 0.f) ++zeros_n;
    else ASSERT_FLOAT_EQ(e, static_cast<float>(1.0 / (1.0 - p)));
  }
  // The zero fraction is within 6 standard deviations of p (sd = sqrt(p(1-p)/n) ~ 0.001).
  double frac = static_cast<double>(zeros_n) / v.size();
  EXPECT_NEAR(frac, p, 6 * std::sqrt(p * (1 - p) / v.size()));
  // Neighbouring elements (the two halves of one random draw) are independent: P(both zero) ~ p^2.
  int64_t both = 0;
  for (size_t i = 0; i + 1 < v.size(); i += 2) both += v[i] == 0.f && v[i + 1] == 0.f;
  EXPECT_NEAR(static_cast<double>(both) / (v.size() / 2), p * p, 0.01);
}

TEST(Dropout, SameSeedSameMask) {
  Tensor x = randn({1001});
  Generator g1(7), g2(7), g3(8);
  Tensor a = dropout(x, 0.5, true, &g1), b = dropout(x, 0.5, true, &g2), c = dropout(x, 0.5, true, &g3);
  EXPECT_TRUE(equal(a, b));
  EXPECT_FALSE(equal(a, c));
  manual_seed(99);
  Tensor d = dropout(x, 0.5);
  manual_seed(99);
  EXPECT_TRUE(equal(d, dropout(x, 0.5)));
  // Not threaded: the same mask whatever the thread count.
  int nt = get_num_threads();
  set_num_threads(1);
  Generator g4(7);
  EXPECT_TRUE(equal(dropout(x, 0.5, true, &g4), a));
  set_num_threads(nt);
}

TEST(Dropout, GradientIsMaskTimesScale) {
  const double p = 0.25;
  Tensor x = randn({4, 50}, kFloat64).requires_grad_();
  Generator gen(5);
  Tensor y = dropout(x, p, true, &gen);
  Tensor go = randn({4, 50}, kFloat64);
  y.backward(go);
  // mask*scale, read back from the output: kept elements are x / (1-p), dropped ones 0.
  Tensor kept = ne(y, 0.0).to(kFloat64);
  EXPECT_LT(max_abs_diff(x.grad(), go * kept * (1.0 / (1.0 - p))), 1e-12);
  EXPECT_LT(max_abs_diff(y, x * kept * (1.0 / (1.0 - p))), 1e-12);
}

TEST(Dropout, EdgeCasesAndErrors) {
  Tensor x = randn({3, 4});
  EXPECT_TRUE(dropout(x, 0.5, false).is_same(x));
  EXPECT_TRUE(dropout(x, 0.0, true).is_same(x));
  EXPECT_EQ(max_abs_diff(dropout(x, 1.0, true), zeros({3, 4})), 0.0);
  Tensor nc = randn({4, 6}).t();  // non-contiguous input
  Generator g1(3), g2(3);
  EXPECT_TRUE(equal(dropout(nc, 0.5, true, &g1), dropout(nc.contiguous(), 0.5, true, &g2)));
  EXPECT_EMBER_ERROR(dropout(x, 1.5), "dropout", "[0, 1]", "1.5");
  EXPECT_EMBER_ERROR(dropout(x, -0.1), "dropout", "-0.1");
  EXPECT_EMBER_ERROR(dropout(x, std::nan("")), "dropout", "nan");
  EXPECT_EMBER_ERROR(dropout(ones({3}, kInt64), 0.5), "dropout", "int64");
}

// ---- batch_norm ----

TEST(BatchNormErrors, BadShapesAndModes) {
  Tensor x = randn({4, 3, 2});
  EXPECT_EMBER_ERROR(batch_norm(x, zeros({4}), ones({4}), Tensor(), Tensor(), true), "batch_norm", "running_mean",
                     "[3]", "[4, 3, 2]", "[4]");
  EXPECT_EMBER_ERROR(batch_norm(x, zeros({3}), ones({2}), Tensor(), Tensor(), true), "batch_norm", "running_var", "[2]");
  EXPECT_EMBER_ERROR(batch_norm(x, Tensor(), Tensor(), ones({5}), Tensor(), true), "batch_norm", "weight", "[5]");
  EXPECT_EMBER_ERROR(batch_norm(x, Tensor(), Tensor(), Tensor(), zeros({2}), true), "batch_norm", "bias", "[2]");
  EXPECT_EMBER_ERROR(batch_norm(x, Tensor(), Tensor(), Tensor(), Tensor(), false), "batch_norm", "evaluation mode");
  EXPECT_EMBER_ERROR(batch_norm(x, zeros({3}), Tensor(), Tensor(), Tensor(), true), "batch_norm", "both");
  EXPECT_EMBER_ERROR(batch_norm(randn({1, 3}), zeros({3}), ones({3}), Tensor(), Tensor(), true), "batch_norm",
                     "more than 1 value per channel", "[1, 3]");
  EXPECT_EMBER_ERROR(batch_norm(randn({3}), Tensor(), Tensor(), Tensor(), Tensor(), true), "batch_norm", "(N, C, *)");
  EXPECT_EMBER_ERROR(batch_norm(ones({2, 3}, kInt64), Tensor(), Tensor(), Tensor(), Tensor(), true), "batch_norm",
                     "int64");
  EXPECT_EMBER_ERROR(batch_norm(x, zeros({3}, kInt64), ones({3}), Tensor(), Tensor(), true), "batch_norm",
                     "running_mean", "int64");
}

TEST(BatchNorm, RunningStatsUpdateInPlaceOnlyWhenTraining) {
  Tensor x = randn({8, 2, 3});
  Tensor rm = zeros({2}), rv = ones({2});
  uint64_t v0 = rm.version();
  batch_norm(x, rm, rv, Tensor(), Tensor(), true, 0.5);
  EXPECT_GT(rm.version(), v0);
  // By hand: momentum 0.5 toward the batch mean and unbiased variance of each channel.
  Tensor xc = x.transpose(0, 1).reshape({2, -1});
  Tensor m = mean(xc, {1});
  Tensor var_unbiased = sum(square(xc - m.unsqueeze(1)), {1}) / 23.0;
  EXPECT_LT(max_abs_diff(rm, m * 0.5), 1e-6);
  EXPECT_LT(max_abs_diff(rv, var_unbiased * 0.5 + 0.5), 1e-6);
  Tensor before = rm.clone();
  batch_norm(x, rm, rv, Tensor(), Tensor(), false);
  EXPECT_TRUE(equal(rm, before));
  // Non-contiguous float64 running stats are written through their strides.
  Tensor buf = zeros({2, 2}, kFloat64);
  Tensor rm_nc = buf.select(1, 0), rv_nc = ones({2, 2}, kFloat64).select(1, 1);
  batch_norm(x, rm_nc, rv_nc, Tensor(), Tensor(), true, 0.5);
  EXPECT_LT(max_abs_diff(rm_nc, rm), 1e-6);
  EXPECT_EQ(buf.select(1, 1).sum().item<double>(), 0.0);
}

TEST(BatchNorm, LargeFusedMatchesComposite) {
  // (8, 16, 24, 24): 73K elements, enough for the threaded kernels.
  Tensor x = randn({8, 16, 24, 24}) * 3.0 + 5.0;
  Tensor w = rand({16}) + 0.5, b = randn({16});
  Shape red{0, 2, 3}, cs{1, 16, 1, 1};
  Tensor y = batch_norm(x, Tensor(), Tensor(), w, b, true);
  Tensor mu = mean(x.to(kFloat64), red, true);
  Tensor var = mean(square(x.to(kFloat64) - mu), red, true);
  Tensor ref = (x.to(kFloat64) - mu) * rsqrt(var + 1e-5) * w.to(kFloat64).reshape(cs) + b.to(kFloat64).reshape(cs);
  EXPECT_LT(max_abs_diff(y, ref), 2e-5);
  // Same result on every run with this thread count, and with one thread (channels are never split).
  EXPECT_TRUE(equal(y, batch_norm(x, Tensor(), Tensor(), w, b, true)));
  int nt = get_num_threads();
  set_num_threads(1);
  EXPECT_TRUE(equal(y, batch_norm(x, Tensor(), Tensor(), w, b, true)));
  set_num_threads(nt);
  expect_fused_matches_composite([&](const std::vector<Tensor>& in) {
    return batch_norm(in[0], Tensor(), Tensor(), in[1], in[2], true);
  }, {x, w, b}, 2e-3);  // weight/bias grads sum 4608 terms each: float32 summation error in the composite
}

TEST(BatchNorm, FusedBackwardMatchesCompositeSmall) {
  for (bool training : {true, false}) {
    Tensor x = randn({3, 4, 5}, kFloat64);
    Tensor rm = randn({4}, kFloat64), rv = rand({4}, kFloat64) + 0.5;
    expect_fused_matches_composite([&](const std::vector<Tensor>& in) {
      return batch_norm(in[0], rm.clone(), rv.clone(), in[1], in[2], training);
    }, {x, rand({4}, kFloat64) + 0.5, randn({4}, kFloat64)}, 1e-12);
  }
  // Second order: d/dx of sum(grad_x * v) through the composite backward agrees with finite differences.
  Tensor x = randn({4, 2}, kFloat64).requires_grad_();
  Tensor v = randn({4, 2}, kFloat64), go = randn({4, 2}, kFloat64);
  auto scalar_of = [&](const Tensor& xin, bool create) {
    Tensor y = batch_norm(xin, Tensor(), Tensor(), Tensor(), Tensor(), true);
    return (autograd::grad({y}, {xin}, {go}, create, create)[0] * v).sum();
  };
  Tensor s = scalar_of(x, true);
  Tensor hv = autograd::grad({s}, {x})[0];
  const double eps = 1e-6;
  for (int64_t k = 0; k < x.numel(); ++k) {
    Tensor xp = x.detach().clone(), xm = x.detach().clone();
    {
      NoGradGuard ng;
      xp.view({-1})[k].add_(eps);
      xm.view({-1})[k].sub_(eps);
    }
    double num = (scalar_of(xp.requires_grad_(), false).item() - scalar_of(xm.requires_grad_(), false).item()) / (2 * eps);
    EXPECT_NEAR(hv.view({-1})[k].item(), num, 1e-5 * (1 + std::abs(num))) << k;
  }
}

// ---- layer_norm ----

TEST(LayerNormErrors, BadShapes) {
  Tensor x = randn({2, 3});
  EXPECT_EMBER_ERROR(layer_norm(x, {4}), "layer_norm", "normalized_shape [4]", "[2, 3]");
  EXPECT_EMBER_ERROR(layer_norm(x, {2, 3, 1}), "layer_norm", "[2, 3, 1]", "[2, 3]");
  EXPECT_EMBER_ERROR(layer_norm(x, {}), "layer_norm", "at least one dim");
  EXPECT_EMBER_ERROR(layer_norm(x, {3}, ones({4})), "layer_norm", "weight", "[3]", "[4]");
  EXPECT_EMBER_ERROR(layer_norm(x, {3}, ones({3}), ones({2, 3})), "layer_norm", "bias", "[2, 3]");
  EXPECT_EMBER_ERROR(layer_norm(ones({2, 3}, kInt64), {3}), "layer_norm", "int64");
}

TEST(LayerNorm, LargeFusedMatchesComposite) {
  // (256, 384): 98K elements, threaded rows and per-thread weight/bias partial sums.
  Tensor x = randn({4, 64, 384}) * 2.0 - 1.0;
  Tensor w = rand({384}) + 0.5, b = randn({384});
  Tensor y = layer_norm(x, {384}, w, b);
  Tensor xd = x.to(kFloat64);
  Tensor mu = mean(xd, {2}, true);
  Tensor ref = (xd - mu) * rsqrt(mean(square(xd - mu), {2}, true) + 1e-5) * w.to(kFloat64) + b.to(kFloat64);
  EXPECT_LT(max_abs_diff(y, ref), 2e-5);
  EXPECT_TRUE(equal(y, layer_norm(x, {384}, w, b)));
  expect_fused_matches_composite([&](const std::vector<Tensor>& in) { return layer_norm(in[0], {384}, in[1], in[2]); },
                                 {x, w, b}, 1e-3);  // weight/bias grads sum 256 float32 terms in the composite
  // Run twice with the same thread count: bit-identical gradients.
  auto grads = [&] {
    Tensor xi = x.detach().requires_grad_(), wi = w.detach().requires_grad_();
    layer_norm(xi, {384}, wi).backward(ones({4, 64, 384}));
    return std::make_pair(xi.grad(), wi.grad());
  };
  auto g1 = grads(), g2 = grads();
  EXPECT_TRUE(equal(g1.first, g2.first));
  EXPECT_TRUE(equal(g1.second, g2.second));
}

TEST(LayerNorm, FusedBackwardMatchesCompositeSmall) {
  expect_fused_matches_composite([](const std::vector<Tensor>& in) { return layer_norm(in[0], {3, 4}, in[1], in[2]); },
                                 {randn({2, 3, 4}, kFloat64), randn({3, 4}, kFloat64), randn({3, 4}, kFloat64)}, 1e-12);
  expect_fused_matches_composite([](const std::vector<Tensor>& in) { return layer_norm(in[0], {5}); },
                                 {randn({3, 5}, kFloat64)}, 1e-12);
}

// ---- embedding / one_hot ----

TEST(EmbeddingErrors, BadIndices) {
  Tensor w = randn({10, 4});
  EXPECT_EMBER_ERROR(embedding(tensor(std::vector<int64_t>{1, 12}), w), "embedding", "index 12", "10 embeddings",
                     "[10, 4]");
  EXPECT_EMBER_ERROR(embedding(tensor(std::vector<int64_t>{-1}), w), "embedding", "index -1");
  EXPECT_EMBER_ERROR(embedding(tensor({1.0f}), w), "embedding", "int64", "float32");
  EXPECT_EMBER_ERROR(embedding(tensor(std::vector<int64_t>{1}), randn({10})), "embedding", "2-D", "[10]");
  EXPECT_EMBER_ERROR(embedding(tensor(std::vector<int64_t>{1}), w, 10), "embedding", "padding_idx 10", "10 embeddings");
  EXPECT_EMBER_ERROR(one_hot(tensor(std::vector<int64_t>{-1}), 3), "one_hot", "non-negative", "-1");
  EXPECT_EMBER_ERROR(one_hot(tensor(std::vector<int64_t>{3}), 3), "one_hot", "class value 3", "num_classes 3");
  EXPECT_EMBER_ERROR(one_hot(zeros({0}, kInt64)), "one_hot", "empty", "num_classes");
  EXPECT_EMBER_ERROR(one_hot(tensor(std::vector<int32_t>{1})), "one_hot", "int64", "int32");
}

TEST(Embedding, PaddingRowAndRepeatsLarge) {
  // 4096 lookups into (1000, 64) take the threaded copy and accumulation paths.
  Tensor w = randn({1000, 64}).requires_grad_();
  Tensor ids = randint(0, 1000, {64, 64});
  {
    NoGradGuard ng;
    ids.view({-1}).narrow(0, 0, 10).fill_(7);  // padding index, used many times
  }
  Tensor out = embedding(ids, w, 7);
  EXPECT_EQ(out.shape(), (Shape{64, 64, 64}));
  EXPECT_TRUE(equal(out.reshape({-1, 64}), index_select(w.detach(), 0, ids.reshape({-1}))));
  out.backward(ones({64, 64, 64}));
  // Each row's gradient counts its uses, except the padding row.
  Tensor counts = scatter_add(zeros({1000}), 0, ids.reshape({-1}), ones({4096}));
  {
    NoGradGuard ng;
    counts.select(0, 7).zero_();
  }
  EXPECT_TRUE(equal(w.grad(), counts.unsqueeze(1).expand({1000, 64})));
  EXPECT_EQ(one_hot(tensor(std::vector<int64_t>{2}), 4).dtype(), kInt64);
  // The create_graph backward (masking instead of zeroing the row afterwards) agrees.
  Tensor small_ids = tensor(std::vector<int64_t>{1, 3, 1, 0}, {2, 2});
  Tensor ws = randn({4, 3}).requires_grad_();
  Tensor o = embedding(small_ids, ws, 1), go = randn({2, 2, 3}).requires_grad_();
  auto fused = autograd::grad({o}, {ws}, {go}, true, false)[0];
  auto composite = autograd::grad({o}, {ws}, {go}, false, true)[0];
  EXPECT_TRUE(composite.requires_grad());  // differentiable in go (double backward)
  EXPECT_LT(max_abs_diff(fused, composite), 1e-6);
  EXPECT_EQ(max_abs_diff(fused.select(0, 1), zeros({3})), 0.0);
}

TEST(NNFunc, EmptyInputs) {
  EXPECT_EQ(layer_norm(zeros({0, 4}), {4}, ones({4}), zeros({4})).shape(), (Shape{0, 4}));
  EXPECT_EQ(batch_norm(zeros({2, 0, 3}), Tensor(), Tensor(), Tensor(), Tensor(), true).shape(), (Shape{2, 0, 3}));
  EXPECT_EQ(batch_norm(zeros({0, 2}), zeros({2}), ones({2}), Tensor(), Tensor(), false).shape(), (Shape{0, 2}));
  EXPECT_EQ(embedding(zeros({0}, kInt64), ones({3, 2})).shape(), (Shape{0, 2}));
  EXPECT_EQ(one_hot(zeros({0}, kInt64), 3).shape(), (Shape{0, 3}));
  EXPECT_EQ(dropout(zeros({0}), 0.5).shape(), (Shape{0}));
  // Gradients through empty inputs are empty (or zero for the parameters).
  Tensor w = ones({4}).requires_grad_();
  layer_norm(zeros({0, 4}), {4}, w).backward(zeros({0, 4}));
  EXPECT_EQ(w.grad().sum().item<float>(), 0.f);
}
