// Positional encodings (sinusoidal table: golden in tests/golden/gen_attention.py; learned
// embedding), weight tying (shared parameters listed once, gradients from both uses), Module::to.
#include <gtest/gtest.h>

#include "ember/nn/positional.h"
#include "ember/optim.h"
#include "ember/train/checkpoint.h"
#include "op_registry.h"
#include "temp_dir.h"

using namespace ember;
using json = nlohmann::json;

namespace {

EMBER_REGISTER_OP("sinusoidal_positional_encoding", [](const std::vector<Tensor>&, const json& kw) {
  return nn::sinusoidal_positional_encoding(kw.at("max_len").get<int64_t>(), kw.at("d_model").get<int64_t>());
});

double max_abs_diff(const Tensor& a, const Tensor& b) {
  return (a.detach().to(kFloat64) - b.detach().to(kFloat64)).abs().max().item();
}

// A tiny language-model head: embedding -> linear back to the vocabulary, weights tied.
struct TiedLM : nn::Module {
  std::shared_ptr<nn::Embedding> wte;
  std::shared_ptr<nn::Linear> lm_head;
  TiedLM(int64_t vocab, int64_t d) {
    wte = register_module("wte", std::make_shared<nn::Embedding>(vocab, d));
    lm_head = register_module("lm_head", std::make_shared<nn::Linear>(d, vocab, false));
    nn::tie_weights(*lm_head, *wte);
  }
  Tensor forward(const Tensor& idx) override { return lm_head->forward(wte->forward(idx)); }
};

}  // namespace

TEST(Positional, SinusoidalTableShapeDtypeAndErrors) {
  Tensor pe = nn::sinusoidal_positional_encoding(10, 6, kFloat64);
  EXPECT_EQ(pe.shape(), (Shape{10, 6}));
  EXPECT_EQ(pe.dtype(), kFloat64);
  // Position 0 is sin 0 = 0 and cos 0 = 1 alternating.
  EXPECT_EQ(max_abs_diff(pe[0], tensor({0.f, 1.f, 0.f, 1.f, 0.f, 1.f})), 0.0);
  EXPECT_FALSE(pe.requires_grad());
  EXPECT_EMBER_ERROR(nn::sinusoidal_positional_encoding(4, 0), "sinusoidal_positional_encoding", "d_model=0");
  EXPECT_EMBER_ERROR(nn::sinusoidal_positional_encoding(-1, 4), "sinusoidal_positional_encoding", "max_len=-1");
  EXPECT_EMBER_ERROR(nn::sinusoidal_positional_encoding(4, 4, kInt64), "sinusoidal_positional_encoding", "int64");
}

TEST(Positional, LearnedEmbeddingLooksUpRowsAndRejectsLongSequences) {
  nn::LearnedPositionalEmbedding wpe(8, 3);
  EXPECT_EQ(wpe.state_dict().front().first, "weight");
  EXPECT_EQ(wpe.max_len(), 8);
  Tensor r = wpe.forward_range(5, 2);  // rows 2..6
  EXPECT_EQ(r.shape(), (Shape{5, 3}));
  EXPECT_EQ(max_abs_diff(r, wpe.weight.narrow(0, 2, 5)), 0.0);
  EXPECT_EQ(max_abs_diff(wpe.forward(tensor(std::vector<int64_t>{7, 0}, {2})), index_select(wpe.weight, 0, tensor(std::vector<int64_t>{7, 0}, {2}))), 0.0);
  // Gradient: one per use of each row.
  wpe.forward_range(3).sum().backward();
  Tensor want = zeros({8, 3});
  want.narrow(0, 0, 3).fill_(1.0);
  EXPECT_EQ(max_abs_diff(wpe.weight.grad(), want), 0.0);
  EXPECT_EMBER_ERROR(wpe.forward_range(9), "LearnedPositionalEmbedding", "0..8", "maximum length 8");
  EXPECT_EMBER_ERROR(wpe.forward_range(4, 5), "LearnedPositionalEmbedding", "5..8", "maximum length 8");
  EXPECT_EMBER_ERROR(wpe.forward(tensor(std::vector<int64_t>{3, 8}, {2})), "LearnedPositionalEmbedding",
                     "position 8", "maximum length 8");
  EXPECT_EMBER_ERROR(wpe.forward(tensor(std::vector<int64_t>{-1}, {1})), "LearnedPositionalEmbedding", "-1");
  EXPECT_EMBER_ERROR(wpe.forward(ones({2})), "LearnedPositionalEmbedding", "int64", "float32");
}

TEST(WeightTying, SharedParameterListedOnceAndGetsBothGradients) {
  TiedLM m(7, 4);
  EXPECT_TRUE(m.lm_head->weight.is_same(m.wte->weight));
  auto named = m.named_parameters();
  ASSERT_EQ(named.size(), 1u);
  EXPECT_EQ(named[0].first, "wte.weight");
  EXPECT_EQ(m.num_parameters(), 28);
  // state_dict keeps both names (PyTorch does too), and loading it round-trips.
  auto sd = m.state_dict();
  ASSERT_EQ(sd.size(), 2u);
  EXPECT_EQ(sd[1].first, "lm_head.weight");
  TiedLM other(7, 4);
  other.load_state_dict(sd);
  EXPECT_EQ(max_abs_diff(other.wte->weight, m.wte->weight), 0.0);
  EXPECT_TRUE(other.lm_head->weight.is_same(other.wte->weight));
  // The gradient sums the embedding lookup's and the output projection's contributions.
  Tensor idx = tensor(std::vector<int64_t>{1, 3, 3, 6}, {4});
  Tensor go = randn({4, 7});
  m.forward(idx).backward(go);
  Tensor w = m.wte->weight.detach().clone().requires_grad_();
  Tensor w2 = m.wte->weight.detach().clone().requires_grad_();
  (linear(embedding(idx, w), w2) * go).sum().backward();
  EXPECT_LT(max_abs_diff(m.wte->weight.grad(), w.grad() + w2.grad()), 1e-6);
  // An optimizer built from parameters() steps the shared tensor once.
  Tensor before = m.wte->weight.detach().clone();
  optim::SGD opt(m.parameters(), optim::SGDOptions(0.1));
  opt.step();
  EXPECT_LT(max_abs_diff(m.wte->weight, before - 0.1 * (w.grad() + w2.grad())), 1e-6);
  nn::Linear wrong(4, 6, false);
  nn::Embedding emb(7, 4);
  EXPECT_EMBER_ERROR(nn::tie_weights(wrong, emb), "tie_weights", "[6, 4]", "[7, 4]", "Linear(embedding_dim=4, num_embeddings=7)");
}

TEST(WeightTying, CheckpointRoundTripKeepsTheTie) {
  TiedLM m(6, 3);
  optim::Adam opt(m.parameters(), optim::AdamOptions(0.01));
  m.forward(tensor(std::vector<int64_t>{0, 5}, {2})).sum().backward();
  opt.step();
  test::TempDir dir;
  train::save_checkpoint(dir.file("tied.safetensors"), m, &opt, {});
  TiedLM back(6, 3);
  optim::Adam opt2(back.parameters(), optim::AdamOptions(0.01));
  train::load_checkpoint(dir.file("tied.safetensors"), back, &opt2);
  EXPECT_EQ(max_abs_diff(back.wte->weight, m.wte->weight), 0.0);
  EXPECT_TRUE(back.lm_head->weight.is_same(back.wte->weight));
}

TEST(ModuleTo, ConvertsInPlaceKeepingIdentityAndTies) {
  TiedLM m(5, 3);
  Tensor handle = m.wte->weight;  // a handle taken before the conversion sees the new dtype
  Tensor before = handle.detach().clone();
  m.to(kFloat64);
  EXPECT_EQ(handle.dtype(), kFloat64);
  EXPECT_EQ(m.lm_head->weight.dtype(), kFloat64);
  EXPECT_TRUE(m.lm_head->weight.is_same(m.wte->weight));
  EXPECT_EQ(max_abs_diff(handle, before), 0.0);
  EXPECT_TRUE(handle.requires_grad());
  Tensor out = m.forward(tensor(std::vector<int64_t>{0, 4}, {2}));
  EXPECT_EQ(out.dtype(), kFloat64);
  nn::BatchNorm1d bn(3);
  bn.to(kFloat64);
  EXPECT_EQ(bn.running_mean.dtype(), kFloat64);
  EXPECT_EQ(bn.num_batches_tracked.dtype(), kInt64);  // integer buffers stay
  EXPECT_EMBER_ERROR(bn.to(kInt32), "BatchNorm1d", "floating", "int32");
}
