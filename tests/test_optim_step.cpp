// The public seams that layers above ops use instead of kernels or private headers: the fused
// optimizer steps and clipping's norm / scale (ops/optim_step.h), div_out (DDP's bucket copy)
// and autograd::increment_version (collectives writing tensors). The steps' values are held to
// PyTorch by the optimizer golden tests (test_optim.cpp), which run through them.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "ember/ember.h"
#include "op_registry.h"

using namespace ember;

namespace {

bool same(const Tensor& a, const Tensor& b) { return a.to_vector<double>() == b.to_vector<double>(); }

}  // namespace

TEST(OptimStep, NonContiguousParameterGetsTheContiguousUpdate) {
  manual_seed(3);
  Tensor base = randn({4, 6});
  Tensor grad = randn({6, 4});
  Tensor p1 = base.t().contiguous(), p2 = base.clone().t();  // the same (6, 4) values; p2 is strided
  ASSERT_FALSE(p2.is_contiguous());
  AdamStepOptions o{.lr = 0.1, .weight_decay = 0.01, .step = 2};
  Tensor m1 = zeros_like(p1), v1 = zeros_like(p1), m2 = zeros_like(p1), v2 = zeros_like(p1);
  const uint64_t version = p2.version();
  adam_step_(p1, grad, m1, v1, Tensor(), o);
  adam_step_(p2, grad.t().contiguous().t(), m2, v2, Tensor(), o);  // a strided gradient too
  EXPECT_TRUE(same(p1, p2));
  EXPECT_TRUE(same(m1, m2));
  EXPECT_GT(p2.version(), version);
  EXPECT_FALSE(same(p1, base.t()));  // it moved
}

TEST(OptimStep, SgdMomentumBufferStartsAsTheGradient) {
  Tensor p = full({3}, 1.0), g = full({3}, 0.5), buf = zeros({3});
  sgd_step_(p, g, buf, /*first_step=*/true, {.lr = 0.1, .momentum = 0.9});
  EXPECT_EQ(buf.to_vector<float>(), std::vector<float>(3, 0.5f));  // buf = g
  EXPECT_EQ(p.to_vector<float>(), std::vector<float>(3, 1.0f - 0.1f * 0.5f));
  sgd_step_(p, g, buf, /*first_step=*/false, {.lr = 0.1, .momentum = 0.9});
  EXPECT_FLOAT_EQ(buf.to_vector<float>()[0], 0.9f * 0.5f + 0.5f);  // buf = momentum * buf + g
}

TEST(OptimStep, BadArgumentsNameTheOpAndTheTensor) {
  Tensor p = zeros({2, 3}), g = zeros({2, 3});
  EXPECT_EMBER_ERROR(sgd_step_(p, zeros({3, 2}), Tensor(), false, {.lr = 0.1}), "sgd_step_", "gradient of shape [3, 2]",
                     "[2, 3]");
  EXPECT_EMBER_ERROR(sgd_step_(p, g, Tensor(), false, {.lr = 0.1, .momentum = 0.9}), "sgd_step_",
                     "momentum_buffer is undefined");
  Tensor ip = zeros({2, 3}, kInt64);
  EXPECT_EMBER_ERROR(sgd_step_(ip, g, Tensor(), false, {.lr = 0.1}), "sgd_step_", "float32 or float64", "int64");
  EXPECT_EMBER_ERROR(adam_step_(p, g, zeros({2, 3}, kFloat64), zeros({2, 3}), Tensor(), {}), "adam_step_", "exp_avg",
                     "float64", "expected a contiguous float32 tensor of shape [2, 3]");
  EXPECT_EMBER_ERROR(adam_step_(p, g, zeros({2, 3}), zeros({3, 2}).t(), Tensor(), {}), "adam_step_", "exp_avg_sq",
                     "non-contiguous");
  EXPECT_EMBER_ERROR(adam_step_(p, g, zeros({2, 3}), zeros({2, 3}), Tensor(), {.step = 0}), "adam_step_",
                     "step must be >= 1");
  EXPECT_EMBER_ERROR(rmsprop_step_(p, g, zeros({2, 3}), Tensor(), Tensor(), {.centered = true}), "rmsprop_step_",
                     "grad_avg is undefined");
  EXPECT_EMBER_ERROR(adagrad_step_(p, g, Tensor(), {}), "adagrad_step_", "sum is undefined");
  EXPECT_EMBER_ERROR(adagrad_step_(p, zeros({2, 3}, kInt32), zeros({2, 3}), {}), "adagrad_step_",
                     "expected floating point");
}

TEST(NormPowerSum, MatchesTheComposite) {
  manual_seed(5);
  Tensor x = randn({50, 40}, kFloat64);
  EXPECT_NEAR(norm_power_sum(x, 2), (x * x).sum().item(), 1e-9);
  EXPECT_NEAR(norm_power_sum(x, 1), abs(x).sum().item(), 1e-9);
  EXPECT_NEAR(norm_power_sum(x, 3), ember::pow(abs(x), 3.0).sum().item(), 1e-9);
  EXPECT_EQ(norm_power_sum(x, std::numeric_limits<double>::infinity()), abs(x).max().item());
  EXPECT_EQ(norm_power_sum(x.t(), 2), norm_power_sum(x.t().contiguous(), 2));  // strides do not matter
  EXPECT_NEAR(norm_power_sum(x.to(kFloat32), 2), (x * x).sum().item(), 1e-3);
}

TEST(NormPowerSum, BadArguments) {
  EXPECT_EMBER_ERROR(norm_power_sum(zeros({3}, kInt64), 2), "norm_power_sum", "floating-point", "int64");
  EXPECT_EMBER_ERROR(norm_power_sum(zeros({3}), 0), "norm_power_sum", "p must be positive");
  EXPECT_EMBER_ERROR(norm_power_sum(Tensor(), 2), "norm_power_sum", "undefined");
}

TEST(ForeachMul, ScalesEveryTensorInPlace) {
  Tensor a = full({4}, 2.0), b = full({3, 2}, 3.0, kFloat64).t();  // b is strided
  const uint64_t va = a.version();
  foreach_mul_({a, b}, 0.5);
  EXPECT_EQ(a.to_vector<float>(), std::vector<float>(4, 1.0f));
  EXPECT_EQ(b.to_vector<double>(), std::vector<double>(6, 1.5));
  EXPECT_GT(a.version(), va);
  EXPECT_EMBER_ERROR(foreach_mul_({a, Tensor()}, 2.0), "foreach_mul_", "undefined");
}

TEST(DivOut, EqualsDivAndWritesInPlace) {
  manual_seed(7);
  Tensor a = randn({3, 4}), b = randn({4}).abs().add_(0.5);
  Tensor out = empty({3, 4});
  div_out(out, a, b);
  EXPECT_TRUE(same(out, a / b));
  Tensor ia = arange(0, 6, 1, kInt64).view({2, 3}), ib = full({1}, 4, kInt64);  // true division, as div
  Tensor fout = empty({2, 3});
  div_out(fout, ia, ib);
  EXPECT_TRUE(same(fout, ia / ib));
  Tensor self = a.clone();
  const uint64_t v = self.version();
  div_out(self, self, full({}, 2.0));  // out may be an input
  EXPECT_TRUE(same(self, a / 2.0));
  EXPECT_GT(self.version(), v);
}

TEST(DivOut, BadArguments) {
  Tensor a = randn({3, 4});
  Tensor wrong_shape = empty({4, 3}), wrong_dtype = empty({3, 4}, kFloat64);
  EXPECT_EMBER_ERROR(div_out(wrong_shape, a, a), "div_out", "out has shape [4, 3]", "[3, 4]");
  EXPECT_EMBER_ERROR(div_out(wrong_dtype, a, a), "div_out", "out has dtype float64", "float32");
  Tensor out = empty({3, 4});
  EXPECT_EMBER_ERROR(div_out(out, a, randn({5})), "div_out", "[3, 4]", "[5]");
  Tensor w = randn({3, 4}).requires_grad_();
  EXPECT_EMBER_ERROR(div_out(out, w, a), "div_out", "do not support autograd", "NoGradGuard");
  NoGradGuard ng;
  div_out(out, w, a);  // fine without grad mode
}

TEST(IncrementVersion, SavedTensorsSeeTheWrite) {
  Tensor w = randn({3}).requires_grad_();
  Tensor x = randn({3});
  Tensor y = (w * x).sum();  // saves x for w's gradient
  autograd::increment_version(x);
  EXPECT_EMBER_ERROR(y.backward(), "modified by an in-place operation");
}
