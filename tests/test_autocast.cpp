// The GEMM paths and bf16 autocast. Every float32 GEMM library gives the float64 product within
// float32 tolerance; under AutocastGuard the listed ops equal float32 math on bf16-rounded operands
// (so bf16 really ran: they differ from plain float32 by more than float32 rounding, and stay
// within bf16's 1%); their backward keeps the forward's precision after the guard closes; ops off
// the list are untouched.
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <vector>

#include "backend/cpu/gemm.h"
#include "backend/cpu/gemm_bf16.h"
#include "ember/autocast.h"
#include "ember/cpu_info.h"
#include "ember/ember.h"
#include "ember/io/safetensors.h"
#include "ember/nn/linear.h"
#include "temp_dir.h"

using namespace ember;

namespace {

Tensor rounded(const Tensor& t) { return t.to(kBFloat16).to(kFloat32); }  // float32 holding bf16 values

// max |a - b| / max |b|: a scale-free distance for products of random matrices.
double rel_dist(const Tensor& a, const Tensor& b) {
  return ember::abs(a - b).max().item() / std::max(ember::abs(b).max().item(), 1e-30);
}

// op(A)(M, K) @ op(B)(K, N) in float64 for stored row-major A, B.
std::vector<double> gemm_ref(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const std::vector<float>& A,
                             int64_t lda, const std::vector<float>& B, int64_t ldb) {
  std::vector<double> C(static_cast<size_t>(M * N), 0.0);
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j) {
      double s = 0;
      for (int64_t k = 0; k < K; ++k)
        s += static_cast<double>(ta ? A[k * lda + i] : A[i * lda + k]) * (tb ? B[j * ldb + k] : B[k * ldb + j]);
      C[i * N + j] = s;
    }
  return C;
}

std::vector<float> random_floats(int64_t n, uint64_t seed) {
  manual_seed(seed);
  Tensor t = randn({n});
  return std::vector<float>(t.data_ptr<float>(), t.data_ptr<float>() + n);
}

float bf16_value(float f) { return static_cast<float>(BFloat16(f)); }

}  // namespace

TEST(GemmPaths, EveryFloat32LibraryMatchesFloat64) {
  const int64_t M = 37, N = 53, K = 71, pad = 5;
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      const int64_t lda = (ta ? M : K) + pad, ldb = (tb ? K : N) + pad;
      std::vector<float> A = random_floats((ta ? K : M) * lda, 1), B = random_floats((tb ? N : K) * ldb, 2);
      std::vector<double> ref = gemm_ref(ta, tb, M, N, K, A, lda, B, ldb);
      for (cpu::GemmLib lib : {cpu::GemmLib::OpenBLAS, cpu::GemmLib::OneDNN, cpu::GemmLib::Auto}) {
        std::vector<float> C(static_cast<size_t>(M * N), 1.0f);
        // beta = 0.5 reads C: 0.5 * 1 added to the product.
        cpu::gemm<float>(ta, tb, M, N, K, 1.0f, A.data(), lda, B.data(), ldb, 0.5f, C.data(), N, lib);
        for (size_t i = 0; i < C.size(); ++i)
          ASSERT_NEAR(C[i], ref[i] + 0.5, 1e-4 * (1 + std::abs(ref[i]))) << cpu::gemm_lib_name(lib) << " ta=" << ta
                                                                          << " tb=" << tb << " at " << i;
      }
    }
}

TEST(GemmPaths, Bf16GemmIsTheProductOfRoundedOperands) {
  const int64_t M = 29, N = 45, K = 67;
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      const int64_t lda = ta ? M : K, ldb = tb ? K : N;
      std::vector<float> A = random_floats(M * K, 3), B = random_floats(K * N, 4);
      std::vector<float> Ar(A.size()), Br(B.size());
      for (size_t i = 0; i < A.size(); ++i) Ar[i] = bf16_value(A[i]);
      for (size_t i = 0; i < B.size(); ++i) Br[i] = bf16_value(B[i]);
      std::vector<double> ref = gemm_ref(ta, tb, M, N, K, Ar, lda, Br, ldb);
      for (bool emulated : {false, true}) {
        std::vector<float> C(static_cast<size_t>(M * N), 2.0f);  // 0.5 AB + C
        if (emulated)
          cpu::gemm_bf16_emulated(ta, tb, M, N, K, 0.5f, {A.data(), false, lda}, {B.data(), false, ldb}, 1.0f, C.data(), N);
        else cpu::gemm_bf16(ta, tb, M, N, K, 0.5f, A.data(), lda, B.data(), ldb, 1.0f, C.data(), N);
        for (size_t i = 0; i < C.size(); ++i)
          ASSERT_NEAR(C[i], 0.5 * ref[i] + 2.0, 1e-5 * (1 + std::abs(ref[i])))
              << "ta=" << ta << " tb=" << tb << " emulated=" << emulated;
      }
    }
}

TEST(GemmPaths, Bf16GemmInsideParallelRegionsEqualsSerial) {
  const int64_t M = 64, N = 48, K = 96;
  std::vector<float> A = random_floats(4 * M * K, 5), B = random_floats(K * N, 6);
  std::vector<float> serial(4 * M * N), par(4 * M * N);
  for (int i = 0; i < 4; ++i)
    cpu::gemm_bf16(false, false, M, N, K, 1.f, A.data() + i * M * K, K, B.data(), N, 0.f, serial.data() + i * M * N, N);
#pragma omp parallel for num_threads(2)
  for (int i = 0; i < 4; ++i)
    cpu::gemm_bf16(false, false, M, N, K, 1.f, A.data() + i * M * K, K, B.data(), N, 0.f, par.data() + i * M * N, N);
  EXPECT_EQ(serial, par);
}

TEST(GemmPaths, InfoNamesThePaths) {
  EXPECT_FALSE(cpu_isa().empty());
  const std::string f32 = gemm_float32_path(), bf16 = gemm_bf16_path();
  EXPECT_TRUE(f32.find("sgemm") != std::string::npos) << f32;
  EXPECT_TRUE(bf16.find("bf16") != std::string::npos) << bf16;
  EXPECT_EQ(autocast_native(), bf16.find("emulated") == std::string::npos);
}

TEST(Autocast, GuardNestsAndRestores) {
  EXPECT_FALSE(is_autocast_enabled());
  {
    AutocastGuard on;
    EXPECT_TRUE(is_autocast_enabled());
    EXPECT_EQ(get_autocast_dtype(), kBFloat16);
    {
      AutocastGuard off(false);
      EXPECT_FALSE(is_autocast_enabled());
    }
    EXPECT_TRUE(is_autocast_enabled());
  }
  EXPECT_FALSE(is_autocast_enabled());
}

TEST(Autocast, RejectsTypesOtherThanBfloat16) {
  try {
    AutocastGuard g(kFloat16);
    FAIL() << "float16 autocast on the CPU was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("autocast"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("bfloat16"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(is_autocast_enabled());
}

// Each listed op: equal to float32 math on bf16-rounded operands (tolerance: float32 accumulation
// order), off from plain float32 by more than float32 noise, and within bf16's 1% of it.
TEST(Autocast, MatrixProductsRunInBf16) {
  manual_seed(7);
  Tensor a = randn({3, 40, 72}), b = randn({3, 72, 56}), x = randn({24, 72}), w = randn({56, 72}), bias = randn({56});
  Tensor img = randn({4, 6, 12, 12}), kern = randn({8, 6, 3, 3}), kb = randn({8});
  struct Case {
    const char* name;
    std::function<Tensor()> run, on_rounded;
  };
  std::vector<Case> cases = {
      {"matmul", [&] { return matmul(a, b); }, [&] { return matmul(rounded(a), rounded(b)); }},
      {"bmm", [&] { return bmm(a, b); }, [&] { return bmm(rounded(a), rounded(b)); }},
      {"mm", [&] { return mm(x, w.t()); }, [&] { return mm(rounded(x), rounded(w).t()); }},
      {"linear", [&] { return linear(x, w, bias); }, [&] { return linear(rounded(x), rounded(w), bias); }},
      {"linear 3-d", [&] { return linear(a, w, bias); }, [&] { return linear(rounded(a), rounded(w), bias); }},
      {"linear no bias", [&] { return linear(x, w); }, [&] { return linear(rounded(x), rounded(w)); }},
      {"addmm", [&] { return addmm(bias, x, w.t()); }, [&] { return addmm(bias, rounded(x), rounded(w).t()); }},
      {"conv2d", [&] { return conv2d(img, kern, kb); }, [&] { return conv2d(rounded(img), rounded(kern), kb); }},
  };
  for (auto& c : cases) {
    Tensor fp32 = c.run(), ref = c.on_rounded(), ac;
    {
      AutocastGuard guard;
      ac = c.run();
    }
    EXPECT_EQ(ac.dtype(), kFloat32) << c.name;
    EXPECT_LT(rel_dist(ac, ref), 2e-6) << c.name;
    EXPECT_GT(rel_dist(ac, fp32), 1e-5) << c.name << ": no bf16 rounding happened";
    EXPECT_LT(rel_dist(ac, fp32), 1e-2) << c.name;
  }
}

TEST(Autocast, AttentionRunsInBf16) {
  manual_seed(8);
  Tensor q = randn({2, 3, 70, 32}), k = randn({2, 3, 70, 32}), v = randn({2, 3, 70, 32});
  for (bool causal : {false, true}) {
    Tensor fp32 = scaled_dot_product_attention(q, k, v, Tensor(), 0.0, causal), ac;
    {
      AutocastGuard guard;
      ac = scaled_dot_product_attention(q, k, v, Tensor(), 0.0, causal);
    }
    EXPECT_GT(rel_dist(ac, fp32), 1e-5) << "causal=" << causal;
    EXPECT_LT(rel_dist(ac, fp32), 2e-2) << "causal=" << causal;
  }
}

TEST(Autocast, BackwardKeepsTheForwardPrecisionAfterTheGuardCloses) {
  manual_seed(9);
  Tensor x = randn({16, 48}).requires_grad_(), w = randn({40, 48}).requires_grad_(), g = randn({16, 40});
  Tensor y;
  {
    AutocastGuard guard;
    y = linear(x, w);
  }
  (y * g).sum().backward();  // dy = g
  Tensor gx_ref = matmul(rounded(g), rounded(w.detach()));        // (16, 40) @ (40, 48)
  Tensor gw_ref = matmul(rounded(g).t(), rounded(x.detach()));    // (40, 16) @ (16, 48)
  EXPECT_LT(rel_dist(x.grad(), gx_ref), 2e-6);
  EXPECT_LT(rel_dist(w.grad(), gw_ref), 2e-6);
  EXPECT_GT(rel_dist(x.grad(), matmul(g, w.detach())), 1e-5);
  // And a float32 forward keeps float32 gradients even when backward runs under the guard.
  x.set_grad(Tensor());
  Tensor y32 = linear(x, w);
  {
    AutocastGuard guard;
    (y32 * g).sum().backward();
  }
  EXPECT_LT(rel_dist(x.grad(), matmul(g, w.detach())), 1e-6);
}

TEST(Autocast, DoubleBackwardThroughAnAutocastLinearIsAClearError) {
  manual_seed(12);
  Tensor x = randn({4, 8}).requires_grad_(), w = randn({3, 8}).requires_grad_();
  Tensor y;
  {
    AutocastGuard guard;
    y = linear(x, w);
  }
  try {
    (y * y).sum().backward(Tensor(), /*retain_graph=*/true, /*create_graph=*/true);
    FAIL() << "double backward through an autocast linear was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("linear"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("autocast"), std::string::npos) << e.what();
  }
}

TEST(Autocast, OpsOffTheListStayFloat32) {
  manual_seed(10);
  Tensor x = randn({8, 33}), gamma = randn({33}), beta = randn({33});
  Tensor s32 = softmax(x, 1), ln32 = layer_norm(x, {33}, gamma, beta), sum32 = x.sum({1});
  AutocastGuard guard;
  EXPECT_TRUE(allclose(softmax(x, 1), s32, 0, 0));
  EXPECT_TRUE(allclose(layer_norm(x, {33}, gamma, beta), ln32, 0, 0));
  EXPECT_TRUE(allclose(x.sum({1}), sum32, 0, 0));
}

TEST(Autocast, RepeatsBitForBit) {
  manual_seed(11);
  Tensor a = randn({96, 130}), b = randn({130, 70});
  AutocastGuard guard;
  Tensor r1 = matmul(a, b), r2 = matmul(a, b);
  EXPECT_TRUE(allclose(r1, r2, 0, 0));
}

// bf16 checkpoints (as a bf16 run or a Hugging Face bf16 release writes them) load into float32
// models: each value is the bf16 one, exactly.
TEST(Autocast, Bf16CheckpointLoadsIntoAFloat32Model) {
  manual_seed(13);
  nn::Linear a(6, 5), b(6, 5);
  io::NamedTensors half;
  for (auto& [k, v] : a.state_dict()) half.emplace_back(k, v.to(kBFloat16));
  test::TempDir d;
  io::save_safetensors(d.file("half.safetensors"), half);
  b.load_state_dict(io::load_safetensors(d.file("half.safetensors")).tensors);
  EXPECT_EQ(b.weight.dtype(), kFloat32);
  EXPECT_TRUE(allclose(b.weight, rounded(a.weight), 0, 0));
  EXPECT_TRUE(allclose(b.bias, rounded(a.bias), 0, 0));
}
