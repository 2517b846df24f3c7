// Convolution and pooling: registry entries for the golden harness (tests/golden/conv.json),
// bad-input errors, the threaded per-sample path against a direct reference, and double backward.
#include <gtest/gtest.h>

#include "backend/cpu/winograd.h"
#include "gradgrad.h"
#include "op_registry.h"

using namespace ember;
using ember::test::kw_or;
using json = nlohmann::json;

namespace {

// A kwarg given as one int or as a list.
Shape shape_kw(const json& kw, const char* key, Shape def) {
  if (!kw.contains(key)) return def;
  const json& v = kw.at(key);
  return v.is_array() ? v.get<Shape>() : Shape{v.get<int64_t>()};
}

Tensor bias_of(const std::vector<Tensor>& in) { return in.size() > 2 ? in[2] : Tensor(); }

EMBER_REGISTER_OP("conv2d", [](const std::vector<Tensor>& in, const json& kw) {
  return ember::conv2d(in[0], in[1], bias_of(in), shape_kw(kw, "stride", {1}), shape_kw(kw, "padding", {0}),
                       shape_kw(kw, "dilation", {1}), kw_or<int64_t>(kw, "groups", 1));
});
EMBER_REGISTER_OP("conv1d", [](const std::vector<Tensor>& in, const json& kw) {
  return ember::conv1d(in[0], in[1], bias_of(in), kw_or<int64_t>(kw, "stride", 1), kw_or<int64_t>(kw, "padding", 0),
                       kw_or<int64_t>(kw, "dilation", 1), kw_or<int64_t>(kw, "groups", 1));
});
EMBER_REGISTER_OP("conv_transpose2d", [](const std::vector<Tensor>& in, const json& kw) {
  return ember::conv_transpose2d(in[0], in[1], bias_of(in), shape_kw(kw, "stride", {1}), shape_kw(kw, "padding", {0}),
                                 shape_kw(kw, "output_padding", {0}), kw_or<int64_t>(kw, "groups", 1),
                                 shape_kw(kw, "dilation", {1}));
});
EMBER_REGISTER_OP("max_pool2d", [](const std::vector<Tensor>& in, const json& kw) {
  return ember::max_pool2d(in[0], shape_kw(kw, "kernel_size", {}), shape_kw(kw, "stride", {}),
                           shape_kw(kw, "padding", {0}), shape_kw(kw, "dilation", {1}), kw_or(kw, "ceil_mode", false));
});
EMBER_REGISTER_OP("avg_pool2d", [](const std::vector<Tensor>& in, const json& kw) {
  return ember::avg_pool2d(in[0], shape_kw(kw, "kernel_size", {}), shape_kw(kw, "stride", {}),
                           shape_kw(kw, "padding", {0}), kw_or(kw, "ceil_mode", false),
                           kw_or(kw, "count_include_pad", true));
});
EMBER_REGISTER_OP("adaptive_avg_pool2d", [](const std::vector<Tensor>& in, const json& kw) {
  return ember::adaptive_avg_pool2d(in[0], shape_kw(kw, "output_size", {}));
});

// Direct convolution in double from the definition (groups = 1).
std::vector<double> reference_conv2d(const Tensor& x, const Tensor& w, const Tensor& b, int64_t s, int64_t p) {
  auto xv = x.to(kFloat64).contiguous().to_vector<double>(), wv = w.to(kFloat64).contiguous().to_vector<double>();
  auto bv = b.to(kFloat64).to_vector<double>();
  int64_t N = x.shape()[0], C = x.shape()[1], H = x.shape()[2], W = x.shape()[3];
  int64_t Co = w.shape()[0], kh = w.shape()[2], kw = w.shape()[3];
  int64_t OH = (H + 2 * p - kh) / s + 1, OW = (W + 2 * p - kw) / s + 1;
  std::vector<double> y(N * Co * OH * OW);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t o = 0; o < Co; ++o)
      for (int64_t oh = 0; oh < OH; ++oh)
        for (int64_t ow = 0; ow < OW; ++ow) {
          double acc = bv[o];
          for (int64_t c = 0; c < C; ++c)
            for (int64_t i = 0; i < kh; ++i)
              for (int64_t j = 0; j < kw; ++j) {
                int64_t ih = oh * s - p + i, iw = ow * s - p + j;
                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                acc += xv[((n * C + c) * H + ih) * W + iw] * wv[((o * C + c) * kh + i) * kw + j];
              }
          y[((n * Co + o) * OH + oh) * OW + ow] = acc;
        }
  return y;
}

}  // namespace

TEST(ConvErrors, RanksAndChannels) {
  EXPECT_EMBER_ERROR(ember::conv2d(ones({3, 4}), ones({2, 3, 3, 3})), "conv2d", "[3, 4]", "4-D");
  EXPECT_EMBER_ERROR(ember::conv2d(ones({1, 3, 5, 5}), ones({2, 3, 3})), "conv2d", "weight", "[2, 3, 3]");
  EXPECT_EMBER_ERROR(ember::conv2d(ones({1, 3, 5, 5}), ones({4, 2, 3, 3})), "conv2d", "[1, 3, 5, 5]", "[4, 2, 3, 3]",
                     "3 channels", "expects 2");
  EXPECT_EMBER_ERROR(ember::conv2d(ones({1, 6, 5, 5}), ones({4, 2, 3, 3}), Tensor(), {1, 1}, {0, 0}, {1, 1}, 4),
                     "conv2d", "groups=4", "6 channels");
  EXPECT_EMBER_ERROR(ember::conv2d(ones({1, 4, 5, 5}), ones({3, 2, 3, 3}), Tensor(), {1, 1}, {0, 0}, {1, 1}, 2),
                     "conv2d", "groups=2", "3 output channels");
  EXPECT_EMBER_ERROR(ember::conv2d(ones({1, 4, 5, 5}), ones({4, 4, 3, 3}), Tensor(), {1}, {0}, {1}, 0), "conv2d",
                     "groups must be positive");
  EXPECT_EMBER_ERROR(ember::conv2d(ones({1, 3, 5, 5}), ones({2, 3, 3, 3}), ones({3})), "conv2d", "bias", "[3]");
  EXPECT_EMBER_ERROR(ember::conv2d(ones({1, 3, 5, 5}, kInt64), ones({2, 3, 3, 3}, kInt64)), "conv2d", "int64");
  EXPECT_EMBER_ERROR(ember::conv2d(ones({1, 3, 5, 5}), ones({2, 3, 3, 3}, kFloat64)), "conv2d", "float32", "float64");
  EXPECT_EMBER_ERROR(ember::conv1d(ones({2, 3, 4, 5}), ones({2, 3, 3})), "conv1d", "[2, 3, 4, 5]");
  EXPECT_EMBER_ERROR(ember::conv1d(ones({2, 3, 8}), ones({2, 4, 3})), "conv1d", "[2, 3, 8]", "[2, 4, 3]");
}

TEST(ConvErrors, GeometryArguments) {
  Tensor x = ones({1, 1, 4, 4}), w = ones({1, 1, 3, 3});
  EXPECT_EMBER_ERROR(ember::conv2d(ones({1, 1, 2, 2}), w), "conv2d", "kernel size 3x3", "padded input size 2x2");
  EXPECT_EMBER_ERROR(ember::conv2d(x, ones({1, 1, 2, 2}), Tensor(), {1, 1}, {0, 0}, {4, 4}), "conv2d", "5x5", "4x4");
  EXPECT_EMBER_ERROR(ember::conv2d(x, w, Tensor(), {0, 1}), "conv2d", "stride must be positive", "[0, 1]");
  EXPECT_EMBER_ERROR(ember::conv2d(x, w, Tensor(), {-1}), "conv2d", "stride must be positive");
  EXPECT_EMBER_ERROR(ember::conv2d(x, w, Tensor(), {1, 1}, {-1, 0}), "conv2d", "padding", "[-1, 0]");
  EXPECT_EMBER_ERROR(ember::conv2d(x, w, Tensor(), {1, 1}, {0, 0}, {0, 1}), "conv2d", "dilation", "[0, 1]");
  EXPECT_EMBER_ERROR(ember::conv2d(x, w, Tensor(), {1, 1, 1}), "conv2d", "stride", "1 or 2 entries");
  EXPECT_EMBER_ERROR(ember::conv1d(ones({1, 1, 2}), ones({1, 1, 3})), "conv1d", "kernel size 3", "padded input size 2");
  EXPECT_EMBER_ERROR(ember::conv1d(ones({1, 1, 5}), ones({1, 1, 3}), Tensor(), 0), "conv1d", "stride");
}

TEST(ConvErrors, TransposedConv) {
  Tensor x = ones({1, 2, 3, 3});
  EXPECT_EMBER_ERROR(ember::conv_transpose2d(x, ones({3, 2, 3, 3})), "conv_transpose2d", "[1, 2, 3, 3]",
                     "[3, 2, 3, 3]");
  EXPECT_EMBER_ERROR(ember::conv_transpose2d(x, ones({2, 2, 3, 3}), Tensor(), {2, 2}, {0, 0}, {2, 2}),
                     "conv_transpose2d", "output_padding", "[2, 2]");
  EXPECT_EMBER_ERROR(ember::conv_transpose2d(ones({1, 3, 3, 3}), ones({3, 1, 3, 3}), Tensor(), {1}, {0}, {0}, 2),
                     "conv_transpose2d", "groups=2", "3 channels");
  EXPECT_EMBER_ERROR(ember::conv_transpose2d(ones({1, 2, 1, 1}), ones({2, 1, 1, 1}), Tensor(), {1}, {1}),
                     "conv_transpose2d", "output size", "not positive");
  EXPECT_EMBER_ERROR(ember::conv_transpose2d(x, ones({2, 2, 3, 3}), ones({3})), "conv_transpose2d", "bias", "[3]");
  EXPECT_EMBER_ERROR(ember::conv_transpose2d(x, ones({2, 2, 3, 3}), Tensor(), {0}), "conv_transpose2d", "stride");
}

TEST(PoolErrors, BadArguments) {
  Tensor x = ones({1, 1, 4, 4});
  EXPECT_EMBER_ERROR(ember::max_pool2d(ones({4, 4}), {2}), "max_pool2d", "[4, 4]");
  EXPECT_EMBER_ERROR(ember::max_pool2d(x, {0, 2}), "max_pool2d", "kernel_size", "[0, 2]");
  EXPECT_EMBER_ERROR(ember::max_pool2d(x, {2}, {0}), "max_pool2d", "stride must be positive");
  EXPECT_EMBER_ERROR(ember::max_pool2d(x, {2}, {2}, {2}), "max_pool2d", "padding", "half");
  EXPECT_EMBER_ERROR(ember::max_pool2d(x, {2}, {2}, {0}, {0}), "max_pool2d", "dilation");
  EXPECT_EMBER_ERROR(ember::max_pool2d(ones({1, 1, 2, 2}), {3}), "max_pool2d", "too small", "[1, 1, 2, 2]");
  EXPECT_EMBER_ERROR(ember::max_pool2d(ones({1, 1, 4, 4}, kInt64), {2}), "max_pool2d", "int64");
  EXPECT_EMBER_ERROR(ember::avg_pool2d(x, {3}, {1}, {2}), "avg_pool2d", "padding", "half");
  EXPECT_EMBER_ERROR(ember::avg_pool2d(ones({1, 1, 2, 5}), {3}), "avg_pool2d", "too small");
  EXPECT_EMBER_ERROR(ember::avg_pool2d(x, {2, 2, 2}), "avg_pool2d", "kernel_size", "1 or 2 entries");
  EXPECT_EMBER_ERROR(ember::adaptive_avg_pool2d(x, {0, 2}), "adaptive_avg_pool2d", "output_size", "[0, 2]");
  EXPECT_EMBER_ERROR(ember::adaptive_avg_pool2d(ones({1, 1, 0, 3}), {1}), "adaptive_avg_pool2d", "non-empty");
  EXPECT_EMBER_ERROR(ember::adaptive_avg_pool2d(ones({5}), {1}), "adaptive_avg_pool2d", "[5]");
}

// Batches that split over threads (per-sample GEMMs inside a parallel region) and ones that do
// not (threaded GEMM per sample), float32 and float64, against a direct convolution.
TEST(Conv, ThreadedPathsMatchDirectConvolution) {
  manual_seed(21);
  for (int64_t N : {1, 3, 4}) {
    Tensor x = randn({N, 3, 9, 8}), w = randn({5, 3, 3, 3}), b = randn({5});
    for (int threads : {1, 2}) {
      set_num_threads(threads);
      for (DType dt : {kFloat32, kFloat64}) {
        Tensor y = ember::conv2d(x.to(dt), w.to(dt), b.to(dt), {2, 2}, {1, 1});
        auto want = reference_conv2d(x, w, b, 2, 1);
        auto got = y.to(kFloat64).to_vector<double>();
        ASSERT_EQ(got.size(), want.size());
        for (size_t i = 0; i < got.size(); ++i) ASSERT_NEAR(got[i], want[i], 1e-4 * (1 + std::abs(want[i])));
      }
    }
  }
}

TEST(Conv, GradientsAreDeterministicAndMatchFloat64) {
  manual_seed(8);
  Tensor x = randn({6, 4, 10, 10}), w = randn({8, 4, 3, 3}), b = randn({8});
  Tensor go = randn({6, 8, 8, 8});
  auto grads = [&](DType dt) {
    auto leaf = [dt](const Tensor& t) { return t.to(dt).clone().requires_grad_(); };
    Tensor xx = leaf(x), ww = leaf(w), bb = leaf(b);
    ember::conv2d(xx, ww, bb).backward(go.to(dt));
    return std::vector<std::vector<double>>{xx.grad().to(kFloat64).to_vector<double>(),
                                            ww.grad().to(kFloat64).to_vector<double>(),
                                            bb.grad().to(kFloat64).to_vector<double>()};
  };
  auto a = grads(kFloat32), b2 = grads(kFloat32), ref = grads(kFloat64);
  for (size_t k = 0; k < a.size(); ++k) {
    EXPECT_EQ(a[k], b2[k]) << "gradient " << k << " differs between identical runs";
    for (size_t i = 0; i < a[k].size(); ++i) ASSERT_NEAR(a[k][i], ref[k][i], 1e-3 * (1 + std::abs(ref[k][i])));
  }
}

// The Winograd backward (float32, 3x3, stride 1, >= 32 channels, both gradients) against float64
// im2col, at one and two threads, with padding and odd output sizes (partial edge tiles).
TEST(Conv, WinogradBackwardMatchesFloat64) {
  manual_seed(12);
  struct Case { int64_t N, C, Co, H, W, ph, pw; };
  for (Case c : {Case{4, 32, 32, 6, 6, 1, 1}, Case{3, 32, 40, 5, 8, 0, 0}, Case{1, 48, 32, 4, 5, 2, 1},
                 Case{2, 32, 36, 7, 7, 0, 2}}) {
    cpu::ConvGeom geom;
    geom.C = c.C, geom.Co = c.Co, geom.kh = geom.kw = 3, geom.OH = geom.OW = 1;
    ASSERT_TRUE(cpu::winograd_backward_applicable(geom)) << "the case does not exercise Winograd";
    Tensor x = randn({c.N, c.C, c.H, c.W}), w = randn({c.Co, c.C, 3, 3}), b = randn({c.Co});
    Tensor go = randn({c.N, c.Co, c.H + 2 * c.ph - 2, c.W + 2 * c.pw - 2});
    auto run = [&](DType dt) {
      Tensor xx = x.to(dt).clone().requires_grad_(), ww = w.to(dt).clone().requires_grad_();
      ember::conv2d(xx, ww, b.to(dt), {1, 1}, {c.ph, c.pw}).backward(go.to(dt));
      return std::vector<Tensor>{xx.grad().to(kFloat64), ww.grad().to(kFloat64)};
    };
    auto ref = run(kFloat64);
    for (int threads : {1, 2}) {
      set_num_threads(threads);
      auto got = run(kFloat32);
      for (int k = 0; k < 2; ++k) {
        auto gv = got[k].to_vector<double>(), rv = ref[k].to_vector<double>();
        double scale = 0;
        for (double v : rv) scale = std::max(scale, std::abs(v));
        for (size_t i = 0; i < gv.size(); ++i)
          ASSERT_NEAR(gv[i], rv[i], 1e-5 * scale + 1e-5 * std::abs(rv[i])) << (k ? "weight" : "input") << " grad at " << i;
      }
    }
  }
}

TEST(Conv, DoubleBackward) {
  manual_seed(9);
  using V = std::vector<Tensor>;
  EXPECT_LT(test::gradgrad_error([](const V& x) { return ember::conv2d(x[0], x[1], x[2], {2, 1}, {1, 0}); },
                                 {randn({2, 2, 4, 3}), randn({2, 2, 2, 2}), randn({2})}),
            1e-6);
  EXPECT_LT(test::gradgrad_error(
                [](const V& x) { return ember::conv2d(x[0], x[1], Tensor(), {1}, {1}, {2}, 2); },
                {randn({1, 4, 4, 4}), randn({2, 2, 2, 2})}),
            1e-6);
  EXPECT_LT(test::gradgrad_error(
                [](const V& x) { return ember::conv_transpose2d(x[0], x[1], x[2], {2}, {1}, {1}); },
                {randn({1, 2, 2, 2}), randn({2, 2, 3, 3}), randn({2})}),
            1e-6);
  EXPECT_LT(test::gradgrad_error([](const V& x) { return ember::conv1d(x[0], x[1], Tensor(), 2, 1); },
                                 {randn({1, 2, 5}), randn({2, 2, 3})}),
            1e-6);
}

TEST(Pool, DoubleBackward) {
  manual_seed(10);
  using V = std::vector<Tensor>;
  EXPECT_LT(test::gradgrad_error([](const V& x) { return ember::max_pool2d(x[0], {2}, {1}, {1}, {1}, true); },
                                 {randn({1, 2, 3, 3})}),
            1e-6);
  EXPECT_LT(test::gradgrad_error([](const V& x) { return ember::avg_pool2d(x[0], {3}, {2}, {1}, true, false); },
                                 {randn({1, 1, 5, 5})}),
            1e-6);
  EXPECT_LT(test::gradgrad_error([](const V& x) { return ember::adaptive_avg_pool2d(x[0], {2, 3}); },
                                 {randn({1, 1, 3, 5})}),
            1e-6);
}

TEST(Pool, MaxPoolRoutesGradientToArgmaxAndPropagatesNaN) {
  Tensor x = tensor({1, 5, 2, 3, 7, 7, 0, 1, 4}, {1, 1, 3, 3}).requires_grad_();
  Tensor y = ember::max_pool2d(x, {2}, {1});  // windows over a 3x3 plane: 2x2 output
  EXPECT_EQ(y.to_vector<float>(), (std::vector<float>{7, 7, 7, 7}));
  y.sum().backward();
  // Every window holds the 7 at flat index 4; where the 7 at index 5 ties it, the first one wins.
  EXPECT_EQ(x.grad().to_vector<float>(), (std::vector<float>{0, 0, 0, 0, 4, 0, 0, 0, 0}));
  Tensor n = tensor({1, NAN, 2, 3}, {1, 1, 2, 2});
  EXPECT_TRUE(std::isnan(ember::max_pool2d(n, {2}).item<float>()));
}
