// Elementwise ops: registry entries for the golden harness, plus bad-input and in-place tests.
#include <gtest/gtest.h>

#include "gradgrad.h"
#include "op_registry.h"

using namespace ember;
using ember::test::kw_or;
using json = nlohmann::json;

namespace {
#define UNARY(name, fn) EMBER_REGISTER_OP(name, [](const std::vector<Tensor>& in, const json&) { return fn(in[0]); })
#define BINARY(name, fn) EMBER_REGISTER_OP(name, [](const std::vector<Tensor>& in, const json&) { return fn(in[0], in[1]); })
EMBER_REGISTER_OP("add", [](const std::vector<Tensor>& in, const json& kw) { return ember::add(in[0], in[1], kw_or(kw, "alpha", 1.0)); });
BINARY("sub", [](const Tensor& a, const Tensor& b) { return a - b; });
BINARY("mul", [](const Tensor& a, const Tensor& b) { return a * b; });
BINARY("div", [](const Tensor& a, const Tensor& b) { return a / b; });
BINARY("pow", [](const Tensor& a, const Tensor& b) { return ember::pow(a, b); });
BINARY("maximum", ember::maximum);
BINARY("minimum", ember::minimum);
BINARY("eq", [](const Tensor& a, const Tensor& b) { return ember::eq(a, b); });
BINARY("lt", [](const Tensor& a, const Tensor& b) { return ember::lt(a, b); });
BINARY("ge", [](const Tensor& a, const Tensor& b) { return ember::ge(a, b); });
UNARY("neg", ember::neg);
UNARY("exp", ember::exp);
UNARY("log", ember::log);
UNARY("log1p", ember::log1p);
UNARY("sqrt", ember::sqrt);
UNARY("rsqrt", ember::rsqrt);
UNARY("erf", ember::erf);
UNARY("square", ember::square);
UNARY("abs", ember::abs);
UNARY("sin", ember::sin);
UNARY("cos", ember::cos);
UNARY("tanh", ember::tanh);
UNARY("sigmoid", ember::sigmoid);
UNARY("relu", ember::relu);
UNARY("silu", ember::silu);
EMBER_REGISTER_OP("add_alpha_kw", [](const std::vector<Tensor>& in, const json& kw) {
  return ember::add(in[0], in[1], kw_or(kw, "alpha", 1.0));
});
EMBER_REGISTER_OP("pow_scalar", [](const std::vector<Tensor>& in, const json& kw) {
  return ember::pow(in[0], kw.at("exponent").get<double>());
});
EMBER_REGISTER_OP("mul_scalar", [](const std::vector<Tensor>& in, const json& kw) { return in[0] * kw.at("value").get<double>(); });
EMBER_REGISTER_OP("rsub_scalar", [](const std::vector<Tensor>& in, const json& kw) { return kw.at("value").get<double>() - in[0]; });
EMBER_REGISTER_OP("leaky_relu", [](const std::vector<Tensor>& in, const json& kw) {
  return ember::leaky_relu(in[0], kw_or(kw, "negative_slope", 0.01));
});
EMBER_REGISTER_OP("gelu", [](const std::vector<Tensor>& in, const json& kw) {
  return ember::gelu(in[0], kw_or<std::string>(kw, "approximate", "none"));
});
EMBER_REGISTER_OP("clamp", [](const std::vector<Tensor>& in, const json& kw) {
  std::optional<Scalar> lo, hi;
  if (kw.contains("min")) lo = kw["min"].get<double>();
  if (kw.contains("max")) hi = kw["max"].get<double>();
  return ember::clamp(in[0], lo, hi);
});
EMBER_REGISTER_OP("where", [](const std::vector<Tensor>& in, const json&) { return ember::where(in[0], in[1], in[2]); });
EMBER_REGISTER_OP("masked_fill", [](const std::vector<Tensor>& in, const json& kw) {
  return ember::masked_fill(in[0], in[1], kw.at("value").get<double>());
});

}  // namespace

TEST(ElementwiseErrors, BroadcastMismatchNamesOpAndShapes) {
  EXPECT_EMBER_ERROR(ones({2, 3}) + ones({4}), "add", "[2, 3]", "[4]");
  EXPECT_EMBER_ERROR(ones({2, 3}) * ones({3, 2}), "mul", "[2, 3]", "[3, 2]");
  EXPECT_EMBER_ERROR(ember::where(ones({2}), ones({2}), ones({2})), "where", "bool");
}

TEST(ElementwiseErrors, HalfTypesAreStorageOnly) {
  Tensor h = ones({3}).to(kFloat16);
  EXPECT_EMBER_ERROR(h + h, "add", "float16");
  EXPECT_FLOAT_EQ(h.to(kFloat32).to_vector<float>()[0], 1.0f);
}

TEST(ElementwiseErrors, BadArguments) {
  EXPECT_EMBER_ERROR(ember::gelu(ones({2}), "fast"), "gelu", "approximate");
  EXPECT_EMBER_ERROR(ember::clamp(ones({2}), std::nullopt, std::nullopt), "clamp");
  EXPECT_EMBER_ERROR(ember::masked_fill(ones({2, 3}), ones({3}), 0.0), "masked_fill", "bool");
  EXPECT_EMBER_ERROR(ember::masked_fill(ones({2, 3}), ones({4}).to(kBool), 0.0), "masked_fill", "[4]");
}

TEST(Inplace, UpdatesValuesAndVersion) {
  Tensor a = ones({2, 3});
  uint64_t v0 = a.version();
  a.add_(ones({3}), 2.0);
  EXPECT_FLOAT_EQ(a.to_vector<float>()[4], 3.0f);
  EXPECT_GT(a.version(), v0);
  a.mul_(2.0).sub_(1.0).div_(5.0);
  EXPECT_FLOAT_EQ(a.to_vector<float>()[0], 1.0f);
  a.zero_();
  EXPECT_FLOAT_EQ(a.sum().item<float>(), 0.0f);
  EXPECT_EMBER_ERROR(a.add_(ones({4, 3})), "add_", "[2, 3]");
}

TEST(Inplace, LeafRequiringGradIsRejected) {
  Tensor w = ones({3}).requires_grad_();
  EXPECT_EMBER_ERROR(w.add_(1.0), "add_", "leaf");
  {
    NoGradGuard ng;
    w.add_(1.0);  // allowed, as optimizers do
  }
  EXPECT_FLOAT_EQ(w.to_vector<float>()[0], 2.0f);
}

TEST(Inplace, NonLeafInplaceKeepsGradientsRight) {
  Tensor x = tensor({1, 2, 3}).requires_grad_();
  Tensor y = x * 2.0;
  Tensor z = x * 3.0;
  y.mul_(z);  // y = 6x^2
  y.sum().backward();
  auto g = x.grad().to_vector<float>();  // 12x
  EXPECT_FLOAT_EQ(g[0], 12.0f);
  EXPECT_FLOAT_EQ(g[2], 36.0f);
  // y.mul_(y) overwrites a tensor MulBackward saved: rejected at backward, as in PyTorch.
  Tensor w = x * 2.0;
  w.mul_(w);
  EXPECT_EMBER_ERROR(w.sum().backward(), "modified by an in-place operation");
}

TEST(TypePromotion, FollowsPyTorch) {
  Tensor f = ones({2});
  Tensor i = ones({2}, kInt64);
  EXPECT_EQ((f + i).dtype(), kFloat32);
  EXPECT_EQ((i + 2).dtype(), kInt64);
  EXPECT_EQ((i * 2.5).dtype(), kFloat32);
  EXPECT_EQ((f * 2.5).dtype(), kFloat32);
  EXPECT_EQ((f + ones({2}, kFloat64)).dtype(), kFloat64);
  EXPECT_EQ((f + scalar_tensor(1.0, kFloat64)).dtype(), kFloat32);  // 0-dim of same category
  EXPECT_EQ((i + scalar_tensor(1.0, kFloat64)).dtype(), kFloat64);  // 0-dim of higher category
  EXPECT_EQ((ones({2}, kBool) + ones({2}, kBool)).dtype(), kBool);
  EXPECT_EQ((i / i).dtype(), kFloat32);
  EXPECT_EQ(ember::exp(i).dtype(), kFloat32);
}

TEST(Elementwise, LargeParallelMatchesSerial) {
  Tensor a = randn({1 << 20});
  Tensor b = randn({1 << 20});
  set_num_threads(1);
  Tensor s1 = a * b + a;
  set_num_threads(2);
  Tensor s2 = a * b + a;
  EXPECT_TRUE(ember::equal(s1, s2));
}

// Ops that save their output (exp, tanh, sigmoid, pow's exponent gradient) must hand the second
// derivative the output's own history, or create_graph misses the path through it.
TEST(Elementwise, DoubleBackwardThroughSavedOutputs) {
  manual_seed(11);
  using V = std::vector<Tensor>;
  EXPECT_LT(test::gradgrad_error([](const V& x) { return ember::exp(x[0]); }, {randn({3, 2})}), 1e-6);
  EXPECT_LT(test::gradgrad_error([](const V& x) { return ember::tanh(x[0]); }, {randn({3, 2})}), 1e-6);
  EXPECT_LT(test::gradgrad_error([](const V& x) { return ember::sigmoid(x[0]); }, {randn({3, 2})}), 1e-6);
  EXPECT_LT(test::gradgrad_error([](const V& x) { return ember::pow(x[0], x[1]); },
                                 {rand({3, 2}) + 0.5, randn({3, 2})}),
            1e-6);
}
