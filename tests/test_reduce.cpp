// Reductions and softmax: registry entries for the golden harness, bad-input tests, and checks
// the golden files cannot express (threads, double backward, large inputs, the vectorized exp).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "backend/cpu/vec_math.h"
#include "op_registry.h"

using namespace ember;
using ember::test::kw_or;
using json = nlohmann::json;

namespace {

Shape dims_of(const json& kw) { return kw_or<Shape>(kw, "dims", {}); }
bool keep_of(const json& kw) { return kw_or(kw, "keepdim", false); }
double p_of(const json& kw) {
  if (!kw.contains("p")) return 2.0;
  if (kw["p"].is_string()) return kw["p"] == "inf" ? INFINITY : -INFINITY;
  return kw["p"].get<double>();
}
std::optional<int64_t> opt_dim(const json& kw) {
  return kw.contains("dim") ? std::optional<int64_t>(kw["dim"].get<int64_t>()) : std::nullopt;
}

EMBER_REGISTER_OP("var", [](const std::vector<Tensor>& in, const json& kw) {
  return ember::var(in[0], dims_of(kw), kw_or<int64_t>(kw, "correction", 1), keep_of(kw));
});
EMBER_REGISTER_OP("std", [](const std::vector<Tensor>& in, const json& kw) {
  return ember::std(in[0], dims_of(kw), kw_or<int64_t>(kw, "correction", 1), keep_of(kw));
});
EMBER_REGISTER_OP("amax", [](const std::vector<Tensor>& in, const json& kw) { return ember::amax(in[0], dims_of(kw), keep_of(kw)); });
EMBER_REGISTER_OP("amin", [](const std::vector<Tensor>& in, const json& kw) { return ember::amin(in[0], dims_of(kw), keep_of(kw)); });
EMBER_REGISTER_OP("max_all", [](const std::vector<Tensor>& in, const json&) { return in[0].max(); });
EMBER_REGISTER_OP("min_all", [](const std::vector<Tensor>& in, const json&) { return in[0].min(); });
EMBER_REGISTER_OP("max_dim_values", [](const std::vector<Tensor>& in, const json& kw) {
  return std::get<0>(ember::max(in[0], kw.at("dim").get<int64_t>(), keep_of(kw)));
});
EMBER_REGISTER_OP("max_dim_indices", [](const std::vector<Tensor>& in, const json& kw) {
  return std::get<1>(ember::max(in[0], kw.at("dim").get<int64_t>(), keep_of(kw)));
});
EMBER_REGISTER_OP("min_dim_values", [](const std::vector<Tensor>& in, const json& kw) {
  return std::get<0>(ember::min(in[0], kw.at("dim").get<int64_t>(), keep_of(kw)));
});
EMBER_REGISTER_OP("min_dim_indices", [](const std::vector<Tensor>& in, const json& kw) {
  return std::get<1>(ember::min(in[0], kw.at("dim").get<int64_t>(), keep_of(kw)));
});
EMBER_REGISTER_OP("argmax", [](const std::vector<Tensor>& in, const json& kw) { return in[0].argmax(opt_dim(kw), keep_of(kw)); });
EMBER_REGISTER_OP("argmin", [](const std::vector<Tensor>& in, const json& kw) {
  return ember::argmin(in[0], opt_dim(kw), keep_of(kw));
});
EMBER_REGISTER_OP("logsumexp", [](const std::vector<Tensor>& in, const json& kw) {
  return ember::logsumexp(in[0], dims_of(kw), keep_of(kw));
});
EMBER_REGISTER_OP("norm", [](const std::vector<Tensor>& in, const json& kw) {
  return ember::norm(in[0], p_of(kw), dims_of(kw), keep_of(kw));
});
EMBER_REGISTER_OP("prod", [](const std::vector<Tensor>& in, const json& kw) { return ember::prod(in[0], opt_dim(kw), keep_of(kw)); });
EMBER_REGISTER_OP("cumsum", [](const std::vector<Tensor>& in, const json& kw) { return ember::cumsum(in[0], kw.at("dim").get<int64_t>()); });
EMBER_REGISTER_OP("any", [](const std::vector<Tensor>& in, const json&) { return ember::any(in[0]); });
EMBER_REGISTER_OP("all", [](const std::vector<Tensor>& in, const json&) { return ember::all(in[0]); });
EMBER_REGISTER_OP("sum_dims", [](const std::vector<Tensor>& in, const json& kw) { return ember::sum(in[0], dims_of(kw), keep_of(kw)); });
EMBER_REGISTER_OP("softmax", [](const std::vector<Tensor>& in, const json& kw) { return in[0].softmax(kw.at("dim").get<int64_t>()); });
EMBER_REGISTER_OP("log_softmax", [](const std::vector<Tensor>& in, const json& kw) {
  return in[0].log_softmax(kw.at("dim").get<int64_t>());
});

// Restores the thread count when a test changes it.
struct ThreadGuard {
  int prev = get_num_threads();
  ~ThreadGuard() { set_num_threads(prev); }
};

}  // namespace

TEST(ReduceErrors, BadDimsAndDtypes) {
  Tensor x = ones({2, 3});
  EXPECT_EMBER_ERROR(ember::var(x, {2}), "var", "dimension 2", "[-2, 1]");
  EXPECT_EMBER_ERROR(ember::amax(x, {0, -2}), "amax", "more than once");
  EXPECT_EMBER_ERROR(ember::var(ones({3}, kInt64)), "var", "int64", "kFloat32");
  EXPECT_EMBER_ERROR(ember::std(x, {}, -1), "std", "correction");
  EXPECT_EMBER_ERROR(ember::norm(ones({3}, kInt32)), "norm", "int32");
  EXPECT_EMBER_ERROR(ember::norm(x, NAN), "norm", "nan");
  EXPECT_EMBER_ERROR(ember::softmax(ones({3}, kInt64), 0), "softmax", "int64", "floating");
  EXPECT_EMBER_ERROR(ember::log_softmax(x, 2), "log_softmax", "dimension 2");
  EXPECT_EMBER_ERROR(ember::cumsum(x, -3), "cumsum", "dimension -3");
  EXPECT_EMBER_ERROR(ember::argmax(x, 5), "argmax", "dimension 5");
  EXPECT_EMBER_ERROR(ember::prod(ones({2}).to(kFloat16)), "prod", "float16");
  EXPECT_EMBER_ERROR(ember::any(ones({2}).to(kBFloat16)), "any", "bfloat16");
}

TEST(ReduceErrors, EmptyReductionsWithoutIdentity) {
  Tensor e = zeros({2, 0});
  EXPECT_EMBER_ERROR(e.max(), "max", "[2, 0]", "empty");
  EXPECT_EMBER_ERROR(e.min(), "min", "[2, 0]");
  EXPECT_EMBER_ERROR(ember::amax(e, {1}), "amax", "dim 1", "size 0", "[2, 0]");
  EXPECT_EMBER_ERROR(ember::max(e, 1), "max", "size 0");
  EXPECT_EMBER_ERROR(ember::argmin(e), "argmin", "size 0");
  EXPECT_EMBER_ERROR(ember::norm(e, INFINITY, {1}), "norm", "size 0");
  // Reductions with an identity are fine on empty input, as PyTorch.
  EXPECT_EQ(ember::amax(e, {0}).shape(), Shape({0}));
  EXPECT_EQ(ember::prod(e).item<float>(), 1.0f);
  EXPECT_EQ(ember::norm(e).item<float>(), 0.0f);
  EXPECT_TRUE(std::isinf(ember::logsumexp(e, {1}).to_vector<float>()[0]));
  EXPECT_TRUE(std::isnan(ember::var(e).item<float>()));
  EXPECT_FALSE(ember::any(e).item<bool>());
  EXPECT_TRUE(ember::all(e).item<bool>());
}

TEST(Reduce, NanPropagatesLikePyTorch) {
  Tensor x = tensor({1.0f, NAN, 3.0f, NAN}, {1, 4});
  EXPECT_TRUE(std::isnan(x.max().item<float>()));
  auto [v, i] = ember::max(x, 1);
  EXPECT_TRUE(std::isnan(v.item<float>()));
  EXPECT_EQ(i.item<int64_t>(), 1);  // the first NaN
  EXPECT_EQ(ember::argmin(x).item<int64_t>(), 1);
  EXPECT_TRUE(ember::any(tensor({0.0f, NAN})).item<bool>());
  Tensor s = ember::softmax(x, 1);
  for (float f : s.to_vector<float>()) EXPECT_TRUE(std::isnan(f));
}

TEST(Reduce, SoftmaxExtremeLogits) {
  // Stable: no overflow for huge logits, exact 0 probabilities for hugely negative ones.
  Tensor x = tensor({1000.0f, 0.0f, -1000.0f, 999.0f}, {1, 4});
  auto p = ember::softmax(x, 1).to_vector<float>();
  EXPECT_NEAR(p[0], 1.0f / (1.0f + std::exp(-1.0f)), 1e-6);
  EXPECT_EQ(p[1], 0.0f);
  EXPECT_EQ(p[2], 0.0f);
  auto lp = ember::log_softmax(x, 1).to_vector<float>();
  EXPECT_NEAR(lp[2], -2000.0f - std::log1p(std::exp(-1.0f)), 1e-3);
  EXPECT_NEAR(ember::logsumexp(x, {1}).item<float>(), 1000.0f + std::log1p(std::exp(-1.0f)), 1e-3);
  // All -inf: logsumexp is -inf (no NaN from -inf - -inf).
  Tensor ninf = full({2, 3}, -INFINITY);
  for (float f : ember::logsumexp(ninf, {1}).to_vector<float>()) EXPECT_EQ(f, -INFINITY);
}

TEST(Reduce, VectorizedExpIsAccurate) {
  // Every 251st float bit pattern over the whole input range: at most 2 ulp from the correctly
  // rounded result (denormal results: within 2 units of the smallest denormal).
  double worst = 0;
  float xs[8], ys[8];
  int k = 0;
  auto check = [&] {
    cpu::vec::exp_array(xs, ys, k);
    for (int j = 0; j < k; ++j) {
      float ref = static_cast<float>(std::exp(static_cast<double>(xs[j])));
      float ulp = std::max(std::nextafter(ref, INFINITY) - ref, std::numeric_limits<float>::denorm_min());
      worst = std::max(worst, std::abs(static_cast<double>(ys[j]) - ref) / ulp);
      EXPECT_EQ(cpu::vec::exp_scalar(xs[j]), ys[j]) << "scalar and vector paths differ at " << xs[j];
    }
    k = 0;
  };
  constexpr uint32_t kStep = 251;
  for (uint32_t bits = 0; bits < 0xFF800000u; bits += kStep) {
    float x;
    std::memcpy(&x, &bits, 4);
    if (std::abs(x) > 104.0f) {
      if (bits < 0x80000000u) bits = 0x80000000u - kStep;  // on to the negative floats
      else break;
      continue;
    }
    xs[k++] = x;
    if (k == 8) check();
  }
  check();
  EXPECT_LE(worst, 2.0);
  float specials[8] = {NAN, INFINITY, -INFINITY, 89.0f, -110.0f, 0.0f, -0.0f, 88.7f};
  float out[8];
  cpu::vec::exp_array(specials, out, 8);
  EXPECT_TRUE(std::isnan(out[0]));
  EXPECT_EQ(out[1], INFINITY);
  EXPECT_EQ(out[2], 0.0f);
  EXPECT_EQ(out[3], INFINITY);
  EXPECT_EQ(out[4], 0.0f);
  EXPECT_EQ(out[5], 1.0f);
  EXPECT_EQ(out[6], 1.0f);
  EXPECT_NEAR(out[7], std::exp(static_cast<double>(88.7f)), 3e38 * 2.4e-7);  // 2 ulp
}

TEST(Reduce, LargeInputsMatchAcrossThreadsAndReferences) {
  ThreadGuard tg;
  Tensor x = randn({300, 700});  // large enough for the parallel paths
  Tensor big = randn({1 << 20});
  std::vector<Tensor> results[2];
  for (int nt : {1, 2}) {
    set_num_threads(nt);
    auto& r = results[nt - 1];
    r = {ember::softmax(x, 1), ember::log_softmax(x, 0), ember::logsumexp(x, {1}), ember::amax(x, {0}),
         std::get<1>(ember::max(x, 1)), ember::var(x, {0}), ember::norm(big), ember::sum(big), big.max(),
         ember::argmax(big), ember::std(x, {1})};
  }
  // Same values regardless of thread count for these (each output computed in one fixed order),
  // and results close to a double-precision reference.
  for (size_t i = 0; i < results[0].size(); ++i) {
    if (i == 6 || i == 7) continue;  // full reductions combine per-thread partials: close, not identical
    EXPECT_TRUE(ember::equal(results[0][i], results[1][i])) << "result " << i;
  }
  EXPECT_NEAR(results[0][6].item<double>(), results[1][6].item<double>(), 1e-3);
  EXPECT_NEAR(results[0][7].item<double>(), results[1][7].item<double>(), 1e-2);
  double ref = 0;
  for (float v : big.to_vector<float>()) ref += v;
  EXPECT_NEAR(results[1][7].item<double>(), ref, 1e-6 * std::sqrt(static_cast<double>(big.numel())) + 1e-3);
  // softmax over dim 0 (column strips) agrees with the transpose's row softmax.
  Tensor cols = ember::log_softmax(x, 0);
  Tensor rows = ember::log_softmax(x.t().contiguous(), 1).t();
  EXPECT_TRUE(ember::allclose(cols, rows, 1e-5, 1e-5));
}

TEST(Reduce, DoubleBackwardThroughSoftmaxAndLogsumexp) {
  // d/dx of sum(d softmax(x)·w / dx · v) computed twice: by create_graph and by finite differences.
  auto grad_of_grad = [](const std::function<Tensor(const Tensor&)>& f, const Tensor& x0) {
    Tensor x = x0.clone().requires_grad_();
    Tensor w = tensor({0.3, -1.2, 0.7, 2.0, 0.1, -0.4}, {2, 3}).to(kFloat64);
    Tensor y = (f(x) * w).sum();
    Tensor gx = autograd::grad({y}, {x}, {}, true, true)[0];
    (gx * gx).sum().backward();
    return x.grad();
  };
  Tensor x0 = tensor({0.5, -0.3, 1.1, 0.2, 0.9, -1.5}, {2, 3}).to(kFloat64);
  std::vector<std::function<Tensor(const Tensor&)>> fns = {
      [](const Tensor& x) { return ember::softmax(x, 1); },
      [](const Tensor& x) { return ember::log_softmax(x, 0); },
      [](const Tensor& x) { return ember::logsumexp(x, {1}, true).expand({2, 3}); },
      [](const Tensor& x) { return ember::std(x, {1}, 1, true).expand({2, 3}); },
      [](const Tensor& x) { return ember::norm(x, 3.0, {0}, true).expand({2, 3}); },
      [](const Tensor& x) { return ember::prod(x, 1, true).expand({2, 3}); },
  };
  for (size_t k = 0; k < fns.size(); ++k) {
    Tensor analytic = grad_of_grad(fns[k], x0);
    // numeric: derivative of |grad|^2 by central differences of the first-order gradient
    auto sq = [&](const Tensor& x) {
      Tensor xr = x.clone().requires_grad_();
      Tensor w = tensor({0.3, -1.2, 0.7, 2.0, 0.1, -0.4}, {2, 3}).to(kFloat64);
      (fns[k](xr) * w).sum().backward();
      return (xr.grad() * xr.grad()).sum().item<double>();
    };
    for (int64_t i = 0; i < 6; ++i) {
      Tensor xp = x0.clone(), xm = x0.clone();
      xp.view({-1})[i].fill_(x0.view({-1})[i].item() + 1e-6);
      xm.view({-1})[i].fill_(x0.view({-1})[i].item() - 1e-6);
      double numeric = (sq(xp) - sq(xm)) / 2e-6;
      EXPECT_NEAR(analytic.view({-1})[i].item(), numeric, 1e-5 * (1 + std::abs(numeric))) << "fn " << k << " elem " << i;
    }
  }
}

TEST(Reduce, ProdDoubleBackwardWithZerosIsAnError) {
  Tensor x = tensor({2.0f, 0.0f, 3.0f}).requires_grad_();
  Tensor p = ember::prod(x);
  EXPECT_EMBER_ERROR(autograd::grad({p}, {x}, {}, true, true), "prod", "zeros", "create_graph");
  // First-order gradients with zeros are exact.
  Tensor y = tensor({2.0f, 0.0f, 3.0f}).requires_grad_();
  ember::prod(y).backward();
  EXPECT_EQ(y.grad().to_vector<float>(), std::vector<float>({0.0f, 6.0f, 0.0f}));
}
