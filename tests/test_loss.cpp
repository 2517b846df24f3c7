// Losses: registry entries for the golden harness, bad-input tests, and gradients PyTorch cannot
// give (weights) checked by finite differences.
#include <gtest/gtest.h>

#include <cmath>

#include "op_registry.h"

using namespace ember;
using ember::test::kw_or;
using json = nlohmann::json;

namespace {

// A 1-D tensor from a kwargs list, in `like`'s dtype; undefined when absent.
Tensor kw_tensor(const json& kw, const char* key, const Tensor& like) {
  if (!kw.contains(key)) return Tensor();
  return tensor(kw.at(key).get<std::vector<double>>()).to(like.dtype());
}
std::string red_of(const json& kw) { return kw_or<std::string>(kw, "reduction", "mean"); }

EMBER_REGISTER_OP("cross_entropy", [](const std::vector<Tensor>& in, const json& kw) {
  return ember::cross_entropy(in[0], in[1], kw_tensor(kw, "weight", in[0]), kw_or<int64_t>(kw, "ignore_index", -100),
                              red_of(kw), kw_or(kw, "label_smoothing", 0.0));
});
EMBER_REGISTER_OP("nll_loss", [](const std::vector<Tensor>& in, const json& kw) {
  return ember::nll_loss(in[0], in[1], kw_tensor(kw, "weight", in[0]), kw_or<int64_t>(kw, "ignore_index", -100),
                         red_of(kw));
});
EMBER_REGISTER_OP("mse_loss", [](const std::vector<Tensor>& in, const json& kw) { return ember::mse_loss(in[0], in[1], red_of(kw)); });
EMBER_REGISTER_OP("l1_loss", [](const std::vector<Tensor>& in, const json& kw) { return ember::l1_loss(in[0], in[1], red_of(kw)); });
EMBER_REGISTER_OP("binary_cross_entropy", [](const std::vector<Tensor>& in, const json& kw) {
  return ember::binary_cross_entropy(in[0], in[1], kw_tensor(kw, "weight", in[0]), red_of(kw));
});
EMBER_REGISTER_OP("binary_cross_entropy_with_logits", [](const std::vector<Tensor>& in, const json& kw) {
  return ember::binary_cross_entropy_with_logits(in[0], in[1], kw_tensor(kw, "weight", in[0]), red_of(kw),
                                                 kw_tensor(kw, "pos_weight", in[0]));
});
EMBER_REGISTER_OP("kl_div", [](const std::vector<Tensor>& in, const json& kw) {
  return ember::kl_div(in[0], in[1], red_of(kw), kw_or(kw, "log_target", false));
});

Tensor logits() { return tensor({0.2f, -1.0f, 0.5f, 1.5f, 0.3f, -0.7f}, {2, 3}); }

}  // namespace

TEST(LossErrors, ClassTargets) {
  Tensor x = logits();
  EXPECT_EMBER_ERROR(ember::cross_entropy(x, tensor(std::vector<int32_t>{0, 1})), "cross_entropy", "int64", "int32",
                     "kInt64");
  EXPECT_EMBER_ERROR(ember::cross_entropy(x, tensor(std::vector<int64_t>{0, 3})), "cross_entropy", "target value 3",
                     "3 classes");
  EXPECT_EMBER_ERROR(ember::nll_loss(x, tensor(std::vector<int64_t>{-1, 0})), "nll_loss", "target value -1",
                     "ignore_index -100");
  EXPECT_EMBER_ERROR(ember::cross_entropy(x, tensor(std::vector<int64_t>{0, 1, 2})), "cross_entropy", "[2, 3]",
                     "must have shape [2]", "[3]");
  EXPECT_EMBER_ERROR(ember::nll_loss(ones({2, 3, 4}), zeros({2, 3}, kInt64)), "nll_loss", "[2, 4]", "[2, 3]");
  EXPECT_EMBER_ERROR(ember::cross_entropy(scalar_tensor(1.0f), zeros({}, kInt64)), "cross_entropy", "class dim");
  EXPECT_EMBER_ERROR(ember::cross_entropy(x, zeros({2}, kInt64), ones({4})), "cross_entropy", "weight", "3", "[4]");
  EXPECT_EMBER_ERROR(ember::cross_entropy(x, zeros({2}, kInt64), Tensor(), -100, "avg"), "cross_entropy",
                     "unknown reduction 'avg'", "'mean', 'sum' or 'none'");
  EXPECT_EMBER_ERROR(ember::cross_entropy(x, zeros({2}, kInt64), Tensor(), -100, "mean", 1.5), "cross_entropy",
                     "label_smoothing", "1.5");
  EXPECT_EMBER_ERROR(ember::cross_entropy(x, zeros({3, 2})), "cross_entropy", "probability targets", "[2, 3]", "[3, 2]");
  EXPECT_EMBER_ERROR(ember::cross_entropy(x, zeros({2, 3}), Tensor(), 1), "cross_entropy", "ignore_index");
  EXPECT_EMBER_ERROR(ember::nll_loss(x.to(kInt64), zeros({2}, kInt64)), "nll_loss", "input", "int64");
  Tensor w = ones({3}).requires_grad_();
  EXPECT_EMBER_ERROR(ember::cross_entropy(x, zeros({2}, kInt64), w), "cross_entropy", "weight.detach()");
}

TEST(LossErrors, ElementwiseLosses) {
  Tensor a = ones({2, 3}) * 0.5, b = ones({3, 2}) * 0.5;
  EXPECT_EMBER_ERROR(ember::mse_loss(a, b), "mse_loss", "[2, 3]", "[3, 2]", "same shape");
  EXPECT_EMBER_ERROR(ember::l1_loss(a, ones({2, 3}), "batchmean"), "l1_loss", "unknown reduction 'batchmean'");
  EXPECT_EMBER_ERROR(ember::mse_loss(a, ones({2, 3}, kInt64)), "mse_loss", "target", "int64");
  EXPECT_EMBER_ERROR(ember::binary_cross_entropy(a * 3.0, a), "binary_cross_entropy", "[0, 1]", "1.5", "with_logits");
  EXPECT_EMBER_ERROR(ember::binary_cross_entropy(a, a, ones({4})), "binary_cross_entropy", "weight", "[4]", "[2, 3]");
  EXPECT_EMBER_ERROR(ember::binary_cross_entropy_with_logits(a, a, Tensor(), "mean", ones({2})),
                     "binary_cross_entropy_with_logits", "pos_weight", "[2]");
  EXPECT_EMBER_ERROR(ember::binary_cross_entropy_with_logits(a, b), "binary_cross_entropy_with_logits", "same shape");
  EXPECT_EMBER_ERROR(ember::kl_div(a, b), "kl_div", "[2, 3]", "[3, 2]");
  EXPECT_EMBER_ERROR(ember::kl_div(a, a, "avg"), "kl_div", "'avg'", "batchmean");
}

TEST(Loss, AllTargetsIgnoredGivesNanMeanLikePyTorch) {
  Tensor x = logits().requires_grad_();
  Tensor t = tensor(std::vector<int64_t>{-100, -100});
  Tensor l = ember::nll_loss(x, t);
  EXPECT_TRUE(std::isnan(l.item<float>()));  // 0 / 0 total weight, as PyTorch
  EXPECT_EQ(ember::nll_loss(x, t, Tensor(), -100, "sum").item<float>(), 0.0f);
  ember::cross_entropy(x, t, Tensor(), -100, "sum").backward();
  EXPECT_EQ(x.grad().to_vector<float>(), std::vector<float>(6, 0.0f));
}

TEST(Loss, WeightGradientsByFiniteDifferences) {
  // PyTorch gives weight / pos_weight no gradient; Ember does, checked here numerically.
  Tensor x = tensor({0.3f, -1.2f, 0.0f, 2.0f, 0.7f, -0.1f}, {2, 3});
  Tensor t = tensor({1.0f, 0.0f, 0.4f, 1.0f, 0.2f, 0.0f}, {2, 3});
  Tensor w = tensor({0.5f, 1.5f, 2.0f}).requires_grad_();
  Tensor pw = tensor({1.7f, 0.3f, 1.0f}).requires_grad_();
  test::OpFn logits_fn = [](const std::vector<Tensor>& in, const json&) {
    return ember::binary_cross_entropy_with_logits(in[0], in[1], in[2], "mean", in[3]);
  };
  Tensor xr = x.clone().requires_grad_(), tr = t.clone().requires_grad_();
  EXPECT_LT(test::gradcheck_error(logits_fn, {xr, tr, w, pw}, json::object(), scalar_tensor(1.3f)), 1e-6);
  test::OpFn bce_fn = [](const std::vector<Tensor>& in, const json&) {
    return ember::binary_cross_entropy(ember::sigmoid(in[0]), in[1], in[2], "sum");
  };
  EXPECT_LT(test::gradcheck_error(bce_fn, {xr, tr, w}, json::object(), scalar_tensor(0.7f)), 1e-6);
}

TEST(Loss, KlDivZeroTargetsStayFinite) {
  Tensor x = tensor({-1.0f, -0.5f, -2.0f}).requires_grad_();
  Tensor t = tensor({0.0f, 0.5f, 0.5f}).requires_grad_();
  Tensor l = ember::kl_div(x, t, "sum");
  l.backward();
  EXPECT_EQ(x.grad().to_vector<float>(), std::vector<float>({-0.0f, -0.5f, -0.5f}));
  // d/dt of t log t - t x at t = 0 is -inf mathematically (PyTorch gives nan); Ember keeps the
  // finite -x so one zero target does not poison a whole batch's target gradient.
  auto gt = t.grad().to_vector<float>();
  EXPECT_FLOAT_EQ(gt[0], 1.0f);
  EXPECT_NEAR(gt[1], std::log(0.5f) + 1.0f + 0.5f, 1e-6);
}

TEST(Loss, CrossEntropyDoubleBackward) {
  // Gradient penalty style: d/dx |d CE / dx|^2 by create_graph, against finite differences.
  Tensor target = tensor(std::vector<int64_t>{2, 0});
  auto sq_grad = [&](const Tensor& x0, bool create) {
    Tensor x = x0.clone().requires_grad_();
    Tensor l = ember::cross_entropy(x, target, Tensor(), -100, "mean", 0.1);
    Tensor g = autograd::grad({l}, {x}, {}, create, create)[0];
    return std::make_pair(x, (g * g).sum());
  };
  Tensor x0 = logits().to(kFloat64);
  auto [x, s] = sq_grad(x0, true);
  s.backward();
  for (int64_t i = 0; i < 6; ++i) {
    Tensor xp = x0.clone(), xm = x0.clone();
    xp.view({-1})[i].fill_(x0.view({-1})[i].item() + 1e-6);
    xm.view({-1})[i].fill_(x0.view({-1})[i].item() - 1e-6);
    double numeric = (sq_grad(xp, false).second.item() - sq_grad(xm, false).second.item()) / 2e-6;
    EXPECT_NEAR(x.grad().view({-1})[i].item(), numeric, 1e-6 * (1 + std::abs(numeric)));
  }
}
