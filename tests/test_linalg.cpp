// Matrix products: registry entries for the golden harness (tests/golden/linalg.json), bad-input
// errors, strided/broadcast/threaded paths against a plain reference, and double backward.
#include <gtest/gtest.h>

#include "gradgrad.h"
#include "op_registry.h"

using namespace ember;
using ember::test::kw_or;
using json = nlohmann::json;

namespace {

Tensor tr(const Tensor& t, const json& kw, const char* key) { return kw_or(kw, key, false) ? t.transpose(-1, -2) : t; }

EMBER_REGISTER_OP("mm", [](const std::vector<Tensor>& in, const json&) { return ember::mm(in[0], in[1]); });
EMBER_REGISTER_OP("mm_t", [](const std::vector<Tensor>& in, const json& kw) {
  return ember::mm(tr(in[0], kw, "ta"), tr(in[1], kw, "tb"));
});
EMBER_REGISTER_OP("bmm", [](const std::vector<Tensor>& in, const json&) { return ember::bmm(in[0], in[1]); });
EMBER_REGISTER_OP("bmm_t", [](const std::vector<Tensor>& in, const json& kw) {
  return ember::bmm(tr(in[0], kw, "ta"), tr(in[1], kw, "tb"));
});
EMBER_REGISTER_OP("dot", [](const std::vector<Tensor>& in, const json&) { return ember::dot(in[0], in[1]); });
EMBER_REGISTER_OP("matmul", [](const std::vector<Tensor>& in, const json&) { return ember::matmul(in[0], in[1]); });
EMBER_REGISTER_OP("matmul_t", [](const std::vector<Tensor>& in, const json& kw) {
  return ember::matmul(tr(in[0], kw, "ta"), tr(in[1], kw, "tb"));
});
EMBER_REGISTER_OP("matmul_method", [](const std::vector<Tensor>& in, const json&) { return in[0].matmul(in[1]); });
EMBER_REGISTER_OP("linear", [](const std::vector<Tensor>& in, const json&) {
  return in.size() == 3 ? ember::linear(in[0], in[1], in[2]) : ember::linear(in[0], in[1]);
});
EMBER_REGISTER_OP("addmm", [](const std::vector<Tensor>& in, const json& kw) {
  return ember::addmm(in[0], in[1], in[2], kw_or(kw, "beta", 1.0), kw_or(kw, "alpha", 1.0));
});

// out[i, j] = sum_k a[i, k] b[k, j] in double, from logical values (any strides).
std::vector<double> reference_mm(const Tensor& a, const Tensor& b) {
  auto av = a.to(kFloat64).contiguous().to_vector<double>(), bv = b.to(kFloat64).contiguous().to_vector<double>();
  int64_t n = a.shape()[0], k = a.shape()[1], m = b.shape()[1];
  std::vector<double> out(n * m, 0.0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t p = 0; p < k; ++p)
      for (int64_t j = 0; j < m; ++j) out[i * m + j] += av[i * k + p] * bv[p * m + j];
  return out;
}

void expect_near_all(const Tensor& got, const std::vector<double>& want, double tol) {
  auto g = got.to(kFloat64).contiguous().to_vector<double>();
  ASSERT_EQ(g.size(), want.size());
  for (size_t i = 0; i < g.size(); ++i) ASSERT_NEAR(g[i], want[i], tol * (1 + std::abs(want[i]))) << "at " << i;
}

}  // namespace

TEST(LinalgErrors, MmNamesOpAndShapes) {
  EXPECT_EMBER_ERROR(ember::mm(ones({2, 3}), ones({4, 5})), "mm: mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)");
  EXPECT_EMBER_ERROR(ember::mm(ones({3}), ones({3, 2})), "mm", "[3]", "[3, 2]", "2-D");
  EXPECT_EMBER_ERROR(ember::mm(ones({2, 3}), ones({3, 2}, kFloat64)), "mm", "float32", "float64");
  EXPECT_EMBER_ERROR(ember::mm(ones({2, 3}, kBool), ones({3, 2}, kBool)), "mm", "bool");
  EXPECT_EMBER_ERROR(ember::mm(ones({2, 3}).to(kFloat16), ones({3, 2}).to(kFloat16)), "mm", "float16");
  EXPECT_EMBER_ERROR(ones({2, 3}).mm(ones({2, 3})), "mm", "2x3 and 2x3");
}

TEST(LinalgErrors, BmmMatmulDot) {
  EXPECT_EMBER_ERROR(ember::bmm(ones({2, 3}), ones({2, 3, 4})), "bmm", "[2, 3]", "3-D");
  EXPECT_EMBER_ERROR(ember::bmm(ones({2, 3, 4}), ones({3, 4, 5})), "bmm", "[2, 3, 4]", "[3, 4, 5]", "2 vs 3");
  EXPECT_EMBER_ERROR(ember::bmm(ones({2, 3, 4}), ones({2, 5, 5})), "bmm", "2x3x4 and 2x5x5");
  EXPECT_EMBER_ERROR(ember::matmul(ones({2, 3}), ones({4, 5})), "matmul", "[2, 3]", "[4, 5]", "3 != 4");
  EXPECT_EMBER_ERROR(ember::matmul(ones({3}), ones({4})), "matmul", "[3]", "[4]");
  EXPECT_EMBER_ERROR(ember::matmul(scalar_tensor(1.0), ones({3})), "matmul", "[]", "at least 1 dimension");
  EXPECT_EMBER_ERROR(ember::matmul(ones({2, 3, 4}), ones({3, 4, 5})), "matmul", "[2, 3, 4]", "[3, 4, 5]", "broadcast");
  EXPECT_EMBER_ERROR(ones({2, 3}).matmul(ones({2})), "matmul", "[2, 3]", "[2]");
  EXPECT_EMBER_ERROR(ember::dot(ones({2, 2}), ones({4})), "dot", "[2, 2]", "1-D");
  EXPECT_EMBER_ERROR(ember::dot(ones({3}), ones({4})), "dot", "[3]", "[4]");
}

TEST(LinalgErrors, LinearAndAddmm) {
  EXPECT_EMBER_ERROR(ember::linear(ones({4, 3}), ones({5, 2})), "linear", "[4, 3]", "[5, 2]", "in_features");
  EXPECT_EMBER_ERROR(ember::linear(ones({4, 3}), ones({3})), "linear", "[3]", "2-D");
  EXPECT_EMBER_ERROR(ember::linear(ones({4, 3}), ones({5, 3}), ones({4})), "linear", "bias", "[4]", "[5, 3]");
  EXPECT_EMBER_ERROR(ember::linear(scalar_tensor(1.0), ones({5, 3})), "linear", "scalar");
  EXPECT_EMBER_ERROR(ember::linear(ones({4, 3}), ones({5, 3}), ones({5}, kFloat64)), "linear", "bias", "float64");
  EXPECT_EMBER_ERROR(ember::linear(ones({4, 3}), ones({5, 3}, kFloat64)), "linear", "float32", "float64");
  EXPECT_EMBER_ERROR(ember::addmm(ones({3}), ones({2, 4}), ones({4, 5})), "addmm", "[3]", "[2, 5]");
  EXPECT_EMBER_ERROR(ember::addmm(ones({5}), ones({2, 4}), ones({3, 5})), "addmm", "2x4 and 3x5");
  EXPECT_EMBER_ERROR(ember::addmm(ones({5}, kFloat64), ones({2, 4}), ones({4, 5})), "addmm", "float64", "float32");
}

// Layouts the GEMM takes directly (row/column-major with padding), layouts it must copy (both
// strides > 1, zero-stride rows) and sizes large enough for OpenBLAS to thread.
TEST(Linalg, StridedLayoutsMatchReference) {
  manual_seed(7);
  Tensor big = randn({140, 200});
  std::vector<std::pair<Tensor, Tensor>> cases = {
      {big.narrow(1, 0, 70), randn({70, 90})},                           // row-major, ld 200
      {randn({70, 130}).t(), randn({90, 70}).t()},                       // both column-major
      {big.slice(0, 0, 140, 2).slice(1, 0, 200, 2), randn({100, 33})},  // both strides 2: copied
      {ones({1, 50}).expand({64, 50}), randn({50, 8})},                  // zero row stride: copied
      {randn({1, 40}), randn({40, 1})},                                  // 1x1 result
  };
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    for (auto& [a, b] : cases) expect_near_all(ember::mm(a, b), reference_mm(a, b), 1e-4);
  }
}

TEST(Linalg, BatchedPathsMatchPerMatrixProducts) {
  manual_seed(3);
  // Many small float32 products run one per thread; a few large ones thread inside the GEMM.
  for (Shape s : {Shape{12, 5, 7}, Shape{3, 80, 70}}) {
    Tensor a = randn(s), b = randn({s[0], s[2], 6}).transpose(1, 2).contiguous().transpose(1, 2);
    for (int threads : {1, 2}) {
      set_num_threads(threads);
      Tensor c = ember::bmm(a, b);
      for (int64_t i = 0; i < s[0]; ++i) expect_near_all(c[i], reference_mm(a[i], b[i]), 1e-4);
    }
  }
  Tensor a64 = randn({4, 3, 5}, kFloat64), b64 = randn({5, 2}, kFloat64);
  Tensor c64 = ember::matmul(a64, b64.expand({4, 5, 2}));  // stride-0 batch, float64
  for (int64_t i = 0; i < 4; ++i) expect_near_all(c64[i], reference_mm(a64[i], b64), 1e-12);
}

TEST(Linalg, SameThreadsSameBits) {
  manual_seed(11);
  Tensor a = randn({96, 64}, TensorOptions().with_requires_grad()), b = randn({64, 48}, TensorOptions().with_requires_grad());
  auto run = [&] {
    a.set_grad(Tensor());
    b.set_grad(Tensor());
    Tensor y = ember::matmul(a, b);
    (y * y).sum().backward();
    return std::make_pair(y.to_vector<float>(), a.grad().to_vector<float>());
  };
  auto r1 = run(), r2 = run();
  EXPECT_EQ(r1.first, r2.first);
  EXPECT_EQ(r1.second, r2.second);
}

TEST(Linalg, TransposedOperandGradientsKeepTheirLayout) {
  Tensor w = randn({5, 3}, TensorOptions().with_requires_grad());
  Tensor x = randn({4, 3});
  ember::linear(x, w).sum().backward();
  ASSERT_TRUE(w.grad().defined());
  EXPECT_EQ(w.grad().shape(), (Shape{5, 3}));
  // d/dW sum(x W^T) = ones(4, 5)^T @ x = column sums of x, repeated per output row.
  auto gx = x.sum({0}).to_vector<float>(), gw = w.grad().to_vector<float>();
  for (int o = 0; o < 5; ++o)
    for (int i = 0; i < 3; ++i) EXPECT_NEAR(gw[o * 3 + i], gx[i], 1e-5);
}

TEST(Linalg, DoubleBackward) {
  manual_seed(5);
  EXPECT_LT(test::gradgrad_error([](const std::vector<Tensor>& x) { return ember::mm(x[0], x[1]); },
                                 {randn({2, 3}), randn({3, 2})}),
            1e-6);
  EXPECT_LT(test::gradgrad_error([](const std::vector<Tensor>& x) { return ember::matmul(x[0], x[1]); },
                                 {randn({2, 2, 3}), randn({3})}),
            1e-6);
  EXPECT_LT(test::gradgrad_error([](const std::vector<Tensor>& x) { return ember::addmm(x[0], x[1], x[2], 0.5, 2.0); },
                                 {randn({2}), randn({3, 2}), randn({2, 2})}),
            1e-6);
}
