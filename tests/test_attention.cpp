// scaled_dot_product_attention: the golden harness's registry entry (tests/golden/gen_attention.py),
// bad input, dropout (statistics, seeding, the composite's mask stream), and the fused float32
// kernel held to the composite: values, gradients and double backward over several shapes.
#include <gtest/gtest.h>

#include <cmath>

#include "op_registry.h"
#include "ops/attention_internal.h"

using namespace ember;
using ember::test::kw_or;
using json = nlohmann::json;

namespace {

EMBER_REGISTER_OP("scaled_dot_product_attention", [](const std::vector<Tensor>& in, const json& kw) {
  std::optional<double> scale;
  if (kw.contains("scale")) scale = kw.at("scale").get<double>();
  return scaled_dot_product_attention(in[0], in[1], in[2], in.size() > 3 ? in[3] : Tensor(), 0.0,
                                      kw_or(kw, "is_causal", false), scale);
});

double max_abs_diff(const Tensor& a, const Tensor& b) {
  EXPECT_EQ(a.shape(), b.shape());
  auto d = (a.detach().to(kFloat64) - b.detach().to(kFloat64)).to_vector<double>();
  double m = 0;
  for (double v : d) m = std::max(m, std::isnan(v) ? INFINITY : std::abs(v));
  return m;
}

double max_abs(const Tensor& a) { return max_abs_diff(a, zeros_like(a)); }

const char* node_name(const Tensor& t) { return t.grad_fn() ? t.grad_fn()->name() : "none"; }

}  // namespace

// ---- bad input ----

TEST(Attention, BadInputNamesOpAndShapes) {
  Tensor q = randn({2, 3, 4}), k = randn({2, 5, 4}), v = randn({2, 5, 6});
  EXPECT_EMBER_ERROR(scaled_dot_product_attention(randn({4}), k, v), "scaled_dot_product_attention", "at least 2 dims",
                     "[4]");
  EXPECT_EMBER_ERROR(scaled_dot_product_attention(q, randn({2, 5, 3}), v), "scaled_dot_product_attention", "share E",
                     "[2, 3, 4]", "[2, 5, 3]");
  EXPECT_EMBER_ERROR(scaled_dot_product_attention(q, k, randn({2, 4, 6})), "scaled_dot_product_attention", "share S",
                     "[2, 5, 4]", "[2, 4, 6]");
  EXPECT_EMBER_ERROR(scaled_dot_product_attention(q, randn({3, 5, 4}), randn({3, 5, 6})),
                     "scaled_dot_product_attention", "batch dims", "do not broadcast", "[2, 3, 4]", "[3, 5, 4]");
  EXPECT_EMBER_ERROR(scaled_dot_product_attention(q, k.to(kFloat64), v), "scaled_dot_product_attention", "share a dtype",
                     "float64");
  EXPECT_EMBER_ERROR(scaled_dot_product_attention(ones({2, 3}, kInt64), ones({2, 3}, kInt64), ones({2, 3}, kInt64)),
                     "scaled_dot_product_attention", "int64");
  EXPECT_EMBER_ERROR(scaled_dot_product_attention(q, k, v, Tensor(), 1.5), "scaled_dot_product_attention", "dropout_p",
                     "1.5");
  EXPECT_EMBER_ERROR(scaled_dot_product_attention(q, k, v, Tensor(), 0.0, false, INFINITY),
                     "scaled_dot_product_attention", "scale must be finite");
}

TEST(Attention, BadMaskNamesOpAndShapes) {
  Tensor q = randn({2, 3, 4}), k = randn({2, 5, 4}), v = randn({2, 5, 6});
  Tensor mask = ones({3, 5}, kBool);
  EXPECT_EMBER_ERROR(scaled_dot_product_attention(q, k, v, mask, 0.0, true), "scaled_dot_product_attention",
                     "either attn_mask or is_causal");
  EXPECT_EMBER_ERROR(scaled_dot_product_attention(q, k, v, ones({3, 4}, kBool)), "scaled_dot_product_attention",
                     "attn_mask must broadcast to (*, L, S) = [2, 3, 5]", "[3, 4]");
  EXPECT_EMBER_ERROR(scaled_dot_product_attention(q, k, v, ones({5}, kBool)), "scaled_dot_product_attention",
                     "attn_mask must broadcast", "[5]");
  EXPECT_EMBER_ERROR(scaled_dot_product_attention(q, k, v, ones({3, 2, 3, 5}, kBool)), "scaled_dot_product_attention",
                     "attn_mask must broadcast", "[3, 2, 3, 5]");
  EXPECT_EMBER_ERROR(scaled_dot_product_attention(q, k, v, ones({3, 3, 5}, kBool)), "scaled_dot_product_attention",
                     "attn_mask must broadcast", "[3, 3, 5]");
  EXPECT_EMBER_ERROR(scaled_dot_product_attention(q, k, v, ones({3, 5}, kInt64)), "scaled_dot_product_attention",
                     "bool", "int64");
  EXPECT_EMBER_ERROR(scaled_dot_product_attention(q, k, v, zeros({3, 5}, kFloat64)), "scaled_dot_product_attention",
                     "float32", "float64");
}

// ---- dropout ----

// With q = k = 0 every weight is 1/S; with v = I (S x S) the output row i is weight * keep mask, so
// out * S exposes the dropout mask itself.
TEST(Attention, DropoutKeepsAboutOneMinusPScaled) {
  const double p = 0.25;
  const int64_t S = 50;
  Tensor q = zeros({4, 2, 30, 8}), k = zeros({4, 2, S, 8}), v = eye(S).expand({4, 2, S, S}).contiguous();
  for (bool fused : {true, false}) {
    Generator gen(11);
    Tensor out = fused ? detail::sdpa_fused(q, k, v, p, false, 1.0, &gen)
                       : detail::sdpa_composite(q, k, v, Tensor(), p, false, 1.0, &gen);
    auto m = (out * static_cast<double>(S)).to_vector<float>();
    int64_t dropped = 0;
    for (float e : m) {
      if (e == 0.f) ++dropped;
      else ASSERT_NEAR(e, 1.0 / (1.0 - p), 1e-5);
    }
    double frac = static_cast<double>(dropped) / m.size();
    EXPECT_NEAR(frac, p, 6 * std::sqrt(p * (1 - p) / m.size())) << (fused ? "fused" : "composite");
  }
}

TEST(Attention, DropoutSeededAndSameMaskAsComposite) {
  Tensor q = randn({2, 3, 7, 4}), k = randn({2, 3, 9, 4}), v = randn({2, 3, 9, 5});
  for (bool causal : {false, true}) {
    Generator g1(5), g2(5), g3(6), g4(5);
    Tensor a = scaled_dot_product_attention(q, k, v, Tensor(), 0.4, causal, std::nullopt, &g1);
    Tensor b = scaled_dot_product_attention(q, k, v, Tensor(), 0.4, causal, std::nullopt, &g2);
    Tensor c = scaled_dot_product_attention(q, k, v, Tensor(), 0.4, causal, std::nullopt, &g3);
    EXPECT_TRUE(equal(a, b));
    EXPECT_GT(max_abs_diff(a, c), 1e-3);
    // The composite's dropout on the weights, from the same seed: the same mask (values agree to
    // rounding; a different mask would differ by O(1)).
    Tensor ref = detail::sdpa_composite(q, k, v, Tensor(), 0.4, causal, 0.5, &g4);
    EXPECT_LT(max_abs_diff(a, ref), 1e-5);
    // Both consumed the same number of draws: the generators continue in step.
    EXPECT_EQ(g1.engine()(), g4.engine()());
  }
  // Same mask whatever the thread count.
  int nt = get_num_threads();
  Generator g5(5), g6(5);
  Tensor a = scaled_dot_product_attention(q, k, v, Tensor(), 0.4, false, std::nullopt, &g5);
  set_num_threads(1);
  Tensor b = scaled_dot_product_attention(q, k, v, Tensor(), 0.4, false, std::nullopt, &g6);
  set_num_threads(nt);
  EXPECT_LT(max_abs_diff(a, b), 1e-6);
  // p = 1 drops everything.
  EXPECT_EQ(max_abs(scaled_dot_product_attention(q, k, v, Tensor(), 1.0)), 0.0);
}

TEST(Attention, DropoutGradientsMatchCompositeAndFiniteDifferences) {
  Tensor q = randn({2, 2, 5, 3}), k = randn({2, 2, 6, 3}), v = randn({2, 2, 6, 4});
  Tensor go = randn({2, 2, 5, 4});
  for (bool causal : {false, true}) {
    std::vector<Tensor> fused_in{q.clone().requires_grad_(), k.clone().requires_grad_(), v.clone().requires_grad_()};
    std::vector<Tensor> comp_in{q.clone().requires_grad_(), k.clone().requires_grad_(), v.clone().requires_grad_()};
    Generator g1(3), g2(3);
    Tensor a = detail::sdpa_fused(fused_in[0], fused_in[1], fused_in[2], 0.3, causal, 0.6, &g1);
    Tensor b = detail::sdpa_composite(comp_in[0], comp_in[1], comp_in[2], Tensor(), 0.3, causal, 0.6, &g2);
    a.backward(go);
    b.backward(go);
    for (int i = 0; i < 3; ++i) EXPECT_LT(max_abs_diff(fused_in[i].grad(), comp_in[i].grad()), 1e-5) << i;
    // Finite differences in float64 (the composite path), re-seeding so every call draws one mask.
    test::OpFn f = [causal](const std::vector<Tensor>& in, const json&) {
      Generator g(3);
      return scaled_dot_product_attention(in[0], in[1], in[2], Tensor(), 0.3, causal, 0.6, &g);
    };
    std::vector<Tensor> in64{q.to(kFloat64).requires_grad_(), k.to(kFloat64).requires_grad_(),
                             v.to(kFloat64).requires_grad_()};
    EXPECT_LT(test::gradcheck_error(f, in64, json::object(), go), 1e-6);
  }
}

// ---- fused kernel vs composite ----

namespace {

struct FusedCase {
  Shape q, k, v;
  bool causal;
};

// Values and all three gradients of the fused kernel against the composite (float32), relative to
// the size of each tensor: both sum up to S products, in different orders.
// out_tol: of the output, relative to its largest value; large scores (scale 3) lose more to
// float32's exp, |score| * 2^-24 relative, and the two sum in different orders.
void expect_fused_matches_composite(const Tensor& q0, const Tensor& k0, const Tensor& v0, bool causal,
                                    double scale, const std::string& what, double out_tol = 2e-6) {
  ASSERT_TRUE(detail::sdpa_fused_supported(q0, k0, v0, Tensor())) << what;
  std::vector<Tensor> a{q0.detach().requires_grad_(), k0.detach().requires_grad_(), v0.detach().requires_grad_()};
  std::vector<Tensor> b{q0.detach().clone().requires_grad_(), k0.detach().clone().requires_grad_(),
                        v0.detach().clone().requires_grad_()};
  Tensor fa = detail::sdpa_fused(a[0], a[1], a[2], 0.0, causal, scale, nullptr);
  Tensor fb = detail::sdpa_composite(b[0], b[1], b[2], Tensor(), 0.0, causal, scale, nullptr);
  EXPECT_STREQ(node_name(fa), "ScaledDotProductAttentionBackward");
  EXPECT_LT(max_abs_diff(fa, fb), out_tol * (1 + max_abs(fb))) << what << " output";
  Tensor go = randn(fb.shape());
  fa.backward(go);
  fb.backward(go);
  const char* names[] = {"q", "k", "v"};
  for (int i = 0; i < 3; ++i)
    EXPECT_LT(max_abs_diff(a[i].grad(), b[i].grad()), 1e-5 * (1 + max_abs(b[i].grad())))
        << what << " grad of " << names[i];
}

}  // namespace

TEST(Attention, FusedMatchesCompositeAcrossShapes) {
  // Tiles are 64 queries x 256 keys: these cover partial tiles, several key tiles (S > 256, where
  // the online softmax rescales), L != S both ways with the causal mask, Ev != E and unbatched input.
  manual_seed(11);  // the same inputs whatever ran before (shards, filters)
  const std::vector<FusedCase> cases = {
      {{2, 3, 16, 8}, {2, 3, 16, 8}, {2, 3, 16, 8}, false},
      {{2, 3, 16, 8}, {2, 3, 16, 8}, {2, 3, 16, 8}, true},
      {{1, 2, 70, 16}, {1, 2, 70, 16}, {1, 2, 70, 16}, true},
      {{2, 1, 130, 8}, {2, 1, 300, 8}, {2, 1, 300, 5}, false},
      {{1, 2, 100, 8}, {1, 2, 300, 8}, {1, 2, 300, 8}, true},
      {{1, 1, 300, 4}, {1, 1, 40, 4}, {1, 1, 40, 6}, true},
      {{3, 65, 8}, {3, 257, 8}, {3, 257, 8}, true},
      {{5, 3}, {7, 3}, {7, 2}, false},
      {{1, 1, 1, 4}, {1, 1, 1, 4}, {1, 1, 1, 4}, true},
  };
  for (auto& c : cases) {
    std::string what = shape_str(c.q) + " x " + shape_str(c.k) + (c.causal ? " causal" : "");
    Tensor q = randn(c.q), k = randn(c.k), v = randn(c.v);
    expect_fused_matches_composite(q, k, v, c.causal, 1.0 / std::sqrt(static_cast<double>(c.q.back())), what);
  }
  // Large scores (scale 3 on unit-variance inputs): the online softmax must still be stable.
  Tensor q = randn({1, 2, 90, 16}), k = randn({1, 2, 280, 16}), v = randn({1, 2, 280, 16});
  expect_fused_matches_composite(q, k, v, false, 3.0, "scale 3", 1e-5);
}

// GPT code makes q, k, v as transposed views of (B, T, 3, H, D): rows strided, columns contiguous.
TEST(Attention, FusedTakesStridedHeadsViews) {
  const int64_t B = 2, T = 33, H = 3, D = 8;
  Tensor qkv = randn({B, T, 3, H, D});
  Tensor q = qkv.select(2, 0).transpose(1, 2), k = qkv.select(2, 1).transpose(1, 2), v = qkv.select(2, 2).transpose(1, 2);
  ASSERT_FALSE(q.is_contiguous());
  expect_fused_matches_composite(q, k, v, true, 0.35, "strided views");
  // Through the public function: the fused node is chosen for float32 without mask, not otherwise.
  Tensor qr = q.detach().requires_grad_();
  EXPECT_STREQ(node_name(scaled_dot_product_attention(qr, k, v, Tensor(), 0.0, true)),
               "ScaledDotProductAttentionBackward");
  EXPECT_STRNE(node_name(scaled_dot_product_attention(qr, k, v, ones({T, T}, kBool))),
               "ScaledDotProductAttentionBackward");
  EXPECT_STRNE(node_name(scaled_dot_product_attention(qr.to(kFloat64), k.to(kFloat64), v.to(kFloat64))),
               "ScaledDotProductAttentionBackward");
  // Column-strided operands fall back to the composite.
  EXPECT_FALSE(detail::sdpa_fused_supported(q.transpose(-2, -1), k.transpose(-2, -1), v, Tensor()));
  // Broadcast batch dims too.
  EXPECT_FALSE(detail::sdpa_fused_supported(q, k.narrow(0, 0, 1), v.narrow(0, 0, 1), Tensor()));
}

TEST(Attention, FusedIsDeterministicAndThreadCountIndependentToRounding) {
  // 8 heads x 80 x 80 scores: above the kernel's serial threshold, so the heads are threaded.
  Tensor q = randn({4, 2, 80, 8}), k = randn({4, 2, 80, 8}), v = randn({4, 2, 80, 8});
  Tensor go = randn({4, 2, 80, 8});
  auto run = [&] {
    Tensor qr = q.detach().requires_grad_();
    Tensor out = scaled_dot_product_attention(qr, k, v, Tensor(), 0.0, true);
    out.backward(go);
    return std::pair{out, qr.grad()};
  };
  auto [o1, g1] = run();
  auto [o2, g2] = run();
  EXPECT_TRUE(equal(o1, o2));
  EXPECT_TRUE(equal(g1, g2));
  int nt = get_num_threads();
  set_num_threads(1);
  auto [o3, g3] = run();
  set_num_threads(nt);
  EXPECT_LT(max_abs_diff(o1, o3), 1e-6);
  EXPECT_LT(max_abs_diff(g1, g3), 1e-5);
}

// create_graph through the fused node: its backward is rebuilt from differentiable ops, so second
// derivatives agree with the composite's.
TEST(Attention, FusedDoubleBackwardMatchesComposite) {
  Tensor q = randn({2, 2, 6, 4}), k = randn({2, 2, 7, 4}), v = randn({2, 2, 7, 3});
  Tensor go = randn({2, 2, 6, 3});
  for (bool causal : {false, true}) {
    std::vector<Tensor> results[2];
    for (int fused = 0; fused < 2; ++fused) {
      std::vector<Tensor> x{q.clone().requires_grad_(), k.clone().requires_grad_(), v.clone().requires_grad_()};
      Generator gen(9);
      Tensor out = fused ? detail::sdpa_fused(x[0], x[1], x[2], 0.2, causal, 0.5, &gen)
                         : detail::sdpa_composite(x[0], x[1], x[2], Tensor(), 0.2, causal, 0.5, &gen);
      auto g = autograd::grad({out}, x, {go}, true, true);
      Tensor s = (g[0] * g[0]).sum() + (g[1] * g[2].sum()).sum() + (g[2] * g[2]).sum();
      results[fused] = autograd::grad({s}, x);
    }
    for (int i = 0; i < 3; ++i)
      EXPECT_LT(max_abs_diff(results[1][i], results[0][i]), 1e-4 * (1 + max_abs(results[0][i]))) << i;
  }
}

// BERT's padding mask, (B, 1, 1, S) bool with each row true...true false...false, runs on the fused
// kernel (which stops at each matrix's last visible key) and agrees with the composite: values,
// gradients (zero for the hidden keys), dropout's mask stream and double backward.
TEST(Attention, PaddingMaskRunsFusedAndMatchesComposite) {
  const std::vector<int64_t> lens = {9, 4, 1};
  Tensor mask = lt(arange(9).view({1, 1, 1, 9}), tensor(lens, {3, 1, 1, 1}));  // (3, 1, 1, 9)
  auto kv = detail::key_padding_lengths(mask, {3, 2}, 9);
  ASSERT_TRUE(kv);
  EXPECT_EQ(*kv, (std::vector<int64_t>{9, 9, 4, 4, 1, 1}));
  Tensor q = randn({3, 2, 6, 4}), k = randn({3, 2, 9, 4}), v = randn({3, 2, 9, 5});
  Tensor go = randn({3, 2, 6, 5});
  for (double p : {0.0, 0.3}) {
    std::vector<Tensor> a{q.clone().requires_grad_(), k.clone().requires_grad_(), v.clone().requires_grad_()};
    std::vector<Tensor> b{q.clone().requires_grad_(), k.clone().requires_grad_(), v.clone().requires_grad_()};
    Generator g1(4), g2(4);
    Tensor fa = scaled_dot_product_attention(a[0], a[1], a[2], mask, p, false, std::nullopt, &g1);
    Tensor fb = detail::sdpa_composite(b[0], b[1], b[2], mask, p, false, 0.5, &g2);
    EXPECT_STREQ(node_name(fa), "ScaledDotProductAttentionBackward");
    EXPECT_LT(max_abs_diff(fa, fb), 2e-6 * (1 + max_abs(fb))) << "dropout " << p;
    EXPECT_EQ(g1.engine()(), g2.engine()());
    fa.backward(go);
    fb.backward(go);
    for (int i = 0; i < 3; ++i)
      EXPECT_LT(max_abs_diff(a[i].grad(), b[i].grad()), 1e-5 * (1 + max_abs(b[i].grad()))) << i << " dropout " << p;
    EXPECT_EQ(max_abs(a[1].grad().narrow(0, 1, 1).narrow(2, 4, 5)), 0.0);  // keys 4.. of batch 1 are hidden
    EXPECT_EQ(max_abs(a[2].grad().narrow(0, 2, 1).narrow(2, 1, 8)), 0.0);
  }
  // Double backward takes the composite's formula with the same mask.
  std::vector<Tensor> results[2];
  for (int fused = 0; fused < 2; ++fused) {
    std::vector<Tensor> x{q.clone().requires_grad_(), k.clone().requires_grad_(), v.clone().requires_grad_()};
    Tensor out = fused ? detail::sdpa_fused(x[0], x[1], x[2], 0.0, false, 0.5, nullptr, kv)
                       : detail::sdpa_composite(x[0], x[1], x[2], mask, 0.0, false, 0.5, nullptr);
    auto g = autograd::grad({out}, x, {go}, true, true);
    Tensor s = (g[0] * g[0]).sum() + (g[1] * g[2].sum()).sum() + (g[2] * g[2]).sum();
    results[fused] = autograd::grad({s}, x);
  }
  for (int i = 0; i < 3; ++i)
    EXPECT_LT(max_abs_diff(results[1][i], results[0][i]), 1e-4 * (1 + max_abs(results[0][i]))) << i;
}

TEST(Attention, OtherMasksStayOnTheComposite) {
  Tensor hole = tensor(std::vector<int64_t>{1, 0, 1, 1}, {1, 1, 1, 4}).to(DType::Bool);  // a hidden key inside
  Tensor none = zeros({2, 1, 1, 4}, DType::Bool);  // no visible key: NaN rows, as PyTorch
  Tensor per_query = ones({1, 1, 3, 4}, DType::Bool);  // varies by query row: not a padding mask
  EXPECT_FALSE(detail::key_padding_lengths(hole, {2, 1}, 4));
  EXPECT_FALSE(detail::key_padding_lengths(none, {2, 1}, 4));
  EXPECT_FALSE(detail::key_padding_lengths(per_query, {2, 1}, 4));
  EXPECT_FALSE(detail::key_padding_lengths(ones({1, 1, 1, 4}), {2, 1}, 4));  // a float mask adds to scores
  Tensor q = randn({2, 1, 3, 4}), k = randn({2, 1, 4, 4}), v = randn({2, 1, 4, 4});
  Tensor out = scaled_dot_product_attention(q, k, v, none);
  EXPECT_TRUE(std::isnan(out.to_vector<float>()[0]));
  Tensor h = scaled_dot_product_attention(q, k, v, hole);
  EXPECT_LT(max_abs_diff(h, detail::sdpa_composite(q, k, v, hole, 0.0, false, 0.5, nullptr)), 1e-6);
}
