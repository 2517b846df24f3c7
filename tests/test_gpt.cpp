// GPT-2: values and gradients against an independent PyTorch implementation (weights loaded from a
// safetensors file with Hugging Face's names), finite differences, the KV cache, names and
// initialization, and errors.
#include <gtest/gtest.h>

#include <cmath>

#include "ember/io/safetensors.h"
#include "ember/models/gpt.h"
#include "model_test_util.h"
#include "op_registry.h"
#include "temp_dir.h"

using namespace ember;
using models::GPT;
using models::GPTConfig;

namespace {

GPTConfig tiny(double dropout = 0.0) {
  return {.vocab_size = 50, .block_size = 16, .n_layer = 2, .n_head = 2, .n_embd = 16, .dropout = dropout};
}

GPTConfig golden_config() {
  auto j = test::read_json(test::model_golden("gpt.json")).at("config");
  GPTConfig c;
  c.vocab_size = j.at("vocab_size");
  c.block_size = j.at("block_size");
  c.n_layer = j.at("n_layer");
  c.n_head = j.at("n_head");
  c.n_embd = j.at("n_embd");
  c.layer_norm_epsilon = j.at("layer_norm_epsilon");
  return c;
}

std::vector<std::string> keys(const nn::NamedTensors& v) {
  std::vector<std::string> k;
  for (auto& [n, t] : v) k.push_back(n);
  return k;
}

}  // namespace

TEST(GPT, MatchesPyTorchLogitsLossAndGradients) {
  auto j = test::read_json(test::model_golden("gpt.json"));
  GPT model(golden_config());
  model.load_safetensors(test::model_golden("gpt_hf.safetensors"));  // GPT2LMHeadModel's names
  Tensor idx = test::json_tensor(j.at("idx"), kInt64), targets = test::json_tensor(j.at("targets"), kInt64);
  auto out = model.forward(idx, targets);
  // float32 forward against a float64 reference from the same (float32) weights.
  test::expect_close(out.logits, test::json_tensor(j.at("logits"), kFloat64), 1e-5, 1e-5, "logits");
  EXPECT_NEAR(out.loss.item(), j.at("loss").get<double>(), 1e-5 * j.at("loss").get<double>());
  out.loss.backward();
  io::SafetensorsFile grads = io::load_safetensors(test::model_golden("gpt_grads.safetensors"));
  auto params = model.named_parameters();
  ASSERT_EQ(params.size(), grads.tensors.size());
  for (auto& [name, p] : params) test::expect_close(p.grad(), grads.at(name), 1e-4, 1e-6, "grad of " + name);
}

TEST(GPT, FusedLossMatchesPyTorchToo) {
  auto j = test::read_json(test::model_golden("gpt.json"));
  GPT model(golden_config());
  model.load_safetensors(test::model_golden("gpt_hf.safetensors"));
  Tensor loss = model.loss(test::json_tensor(j.at("idx"), kInt64), test::json_tensor(j.at("targets"), kInt64));
  EXPECT_NEAR(loss.item(), j.at("loss").get<double>(), 1e-5 * j.at("loss").get<double>());
  loss.backward();
  io::SafetensorsFile grads = io::load_safetensors(test::model_golden("gpt_grads.safetensors"));
  for (auto& [name, p] : model.named_parameters()) test::expect_close(p.grad(), grads.at(name), 1e-4, 1e-6, "grad of " + name);
  EXPECT_EMBER_ERROR(model.loss(zeros({1, 4}, kInt64), zeros({1, 3}, kInt64)), "GPT.loss", "[1, 4]", "[1, 3]");
}

TEST(GPT, FiniteDifferencesInFloat64) {
  manual_seed(3);
  GPT model(tiny());
  test::to_float64(model);
  Tensor idx = randint(0, 50, {2, 6}), targets = randint(0, 50, {2, 6});
  test::model_gradcheck(model, [&] { return model.forward(idx, targets).loss; });
  test::model_gradcheck(model, [&] { return model.loss(idx, targets); });  // the fused head, in float64 too
}

TEST(GPT, StateDictHasHuggingFaceNamesAndTiedHead) {
  GPT model(tiny());
  auto k = keys(model.state_dict());
  std::vector<std::string> want = {"wte.weight", "wpe.weight"};
  for (int i = 0; i < 2; ++i)
    for (const char* s : {"ln_1.weight", "ln_1.bias", "attn.c_attn.weight", "attn.c_attn.bias", "attn.c_proj.weight",
                          "attn.c_proj.bias", "ln_2.weight", "ln_2.bias", "mlp.c_fc.weight", "mlp.c_fc.bias",
                          "mlp.c_proj.weight", "mlp.c_proj.bias"})
      want.push_back("h." + std::to_string(i) + "." + s);
  want.push_back("ln_f.weight");
  want.push_back("ln_f.bias");
  EXPECT_EQ(k, want);
  auto sd = model.state_dict();
  EXPECT_EQ(sd[2 + 2].second.shape(), (Shape{16, 48}));  // c_attn (in, out), as GPT-2's Conv1D
  // bias=false drops every bias (nanoGPT's option) but keeps the LayerNorm weights.
  GPTConfig nb = tiny();
  nb.bias = false;
  GPT no_bias(nb);
  for (auto& name : keys(no_bias.state_dict())) EXPECT_EQ(name.find(".bias"), std::string::npos) << name;
  EXPECT_EQ(no_bias.state_dict().size(), 2u + 2 * 6 + 1);
  Tensor idx = randint(0, 50, {1, 4});
  EXPECT_EQ(no_bias.forward(idx).logits.shape(), (Shape{1, 4, 50}));
}

TEST(GPT, Gpt2PresetHas124MParameters) {
  GPTConfig c = GPTConfig::gpt2();
  EXPECT_EQ(c.n_layer, 12);
  EXPECT_EQ(c.block_size, 1024);
  // Computed from the shapes (the model itself is 500 MB): Hugging Face's GPT-2 has 124,439,808.
  const int64_t C = c.n_embd, L = c.n_layer;
  const int64_t per_layer = 2 * 2 * C + (C * 3 * C + 3 * C) + (C * C + C) + (C * 4 * C + 4 * C) + (4 * C * C + C);
  EXPECT_EQ(c.vocab_size * C + c.block_size * C + L * per_layer + 2 * C, 124439808);
  GPTConfig small = tiny();
  GPT m(small);
  const int64_t Cs = small.n_embd;
  const int64_t per = 2 * 2 * Cs + (Cs * 3 * Cs + 3 * Cs) + (Cs * Cs + Cs) + (Cs * 4 * Cs + 4 * Cs) + (4 * Cs * Cs + Cs);
  EXPECT_EQ(m.num_parameters(), small.vocab_size * Cs + small.block_size * Cs + small.n_layer * per + 2 * Cs);
  EXPECT_EQ(GPTConfig::baby().n_embd, 384);
  EXPECT_EQ(GPTConfig::shakespeare().block_size, 64);
}

TEST(GPT, InitializationFollowsGpt2AndIsSeeded) {
  GPTConfig c = tiny();
  c.n_embd = 64;
  c.n_layer = 8;
  Generator g1(7), g2(7);
  GPT a(c, &g1), b(c, &g2);
  for (size_t i = 0; i < a.parameters().size(); ++i) EXPECT_TRUE(ember::equal(a.parameters()[i], b.parameters()[i]));
  auto stdev = [](const Tensor& t) { return ember::std(t).item(); };
  EXPECT_NEAR(stdev(a.wte->weight), 0.02, 0.002);
  EXPECT_NEAR(stdev(a.blocks[0]->attn->c_attn->weight), 0.02, 0.002);
  EXPECT_NEAR(stdev(a.blocks[0]->mlp->c_proj->weight), 0.02 / std::sqrt(16.0), 0.0005);  // 1/sqrt(2 n_layer)
  EXPECT_NEAR(stdev(a.blocks[0]->attn->c_proj->weight), 0.02 / std::sqrt(16.0), 0.0005);
  EXPECT_EQ(ember::abs(a.blocks[0]->mlp->c_fc->bias).sum().item(), 0.0);
  EXPECT_TRUE(ember::equal(a.ln_f->weight, ones({64})));
  auto [decay, no_decay] = a.decay_groups();
  EXPECT_EQ(decay.size(), 2u + 4 * 8);       // wte, wpe and 4 matrices a layer
  EXPECT_EQ(no_decay.size(), 2u + 8 * 8);    // ln_f's two, and 4 biases + 4 LayerNorm tensors a layer
}

TEST(GPT, KVCacheGivesTheFullForwardLogits) {
  manual_seed(5);
  GPT model(tiny());
  model.eval();
  NoGradGuard ng;
  Tensor idx = randint(0, 50, {2, 12});
  Tensor full = model.forward(idx).logits;  // (2, 12, 50)
  models::KVCache cache;
  std::vector<Tensor> parts;
  int64_t at = 0;
  for (int64_t n : {5, 1, 3, 3}) {
    parts.push_back(model.forward(idx.narrow(1, at, n), Tensor(), &cache).logits);
    at += n;
    EXPECT_EQ(cache.length(), at);
  }
  test::expect_close(cat(parts, 1), full, 1e-5, 1e-5, "cached logits");
  models::KVCache c2;
  model.forward(idx.narrow(1, 0, 11), Tensor(), &c2);
  test::expect_close(model.next_token_logits(idx.narrow(1, 11, 1), &c2), full.select(1, 11), 1e-5, 1e-5,
                     "next_token_logits");
  // The cache is full at block_size: one more token is an error naming both counts.
  models::KVCache c3;
  model.forward(randint(0, 50, {2, 16}), Tensor(), &c3);
  EXPECT_EMBER_ERROR(model.forward(idx.narrow(1, 0, 1), Tensor(), &c3), "GPT", "17 (16 cached + 1 new)",
                     "block_size is only 16");
  EXPECT_EMBER_ERROR(model.forward(randint(0, 50, {1, 1}), Tensor(), &c2), "batch size 2", "[1, 1]");
}

TEST(GPT, DropoutOnlyWhenTraining) {
  manual_seed(2);
  GPT model(tiny(0.5));
  Tensor idx = randint(0, 50, {2, 8});
  model.eval();
  Tensor a = model.forward(idx).logits, b = model.forward(idx).logits;
  EXPECT_TRUE(ember::equal(a, b));
  model.train();
  Tensor c = model.forward(idx).logits;
  EXPECT_FALSE(ember::allclose(a, c));
}

TEST(GPT, BadInputNamesTheProblem) {
  GPT model(tiny());
  EXPECT_EMBER_ERROR(model.forward(randint(0, 50, {1, 17})), "GPT", "length 17", "block_size is only 16",
                     "crop");
  Tensor bad = zeros({1, 4}, kInt64);
  bad.data_ptr<int64_t>()[2] = 50;
  EXPECT_EMBER_ERROR(model.forward(bad), "token id 50", "position (0, 2)", "vocab_size 50");
  bad.data_ptr<int64_t>()[2] = -3;
  EXPECT_EMBER_ERROR(model.forward(bad), "token id -3");
  EXPECT_EMBER_ERROR(model.forward(zeros({4}, kInt64)), "(B, T)", "[4]");
  EXPECT_EMBER_ERROR(model.forward(zeros({1, 4})), "int64", "float32");
  EXPECT_EMBER_ERROR(model.forward(zeros({1, 4}, kInt64), zeros({1, 3}, kInt64)), "targets", "[1, 4]", "[1, 3]");
  GPTConfig c = tiny();
  c.n_head = 3;
  EXPECT_EMBER_ERROR(GPT{c}, "GPTConfig", "n_embd (16)", "n_head (3)");
  c = tiny();
  c.dropout = 1.0;
  EXPECT_EMBER_ERROR(GPT{c}, "dropout");
}

TEST(GPT, LoadSafetensorsAcceptsPlainNamesAndRejectsForeignFiles) {
  test::TempDir d;
  GPT a(tiny()), b(tiny());
  // GPT2Model's names (no prefix, no lm_head) load too.
  io::save_safetensors(d.file("plain.safetensors"), a.state_dict());
  b.load_safetensors(d.file("plain.safetensors"));
  for (size_t i = 0; i < a.parameters().size(); ++i) EXPECT_TRUE(ember::equal(a.parameters()[i], b.parameters()[i]));
  // Missing keys, wrong shapes, an untied head: errors naming the file and the key.
  auto sd = a.state_dict();
  nn::NamedTensors partial(sd.begin() + 1, sd.end());
  io::save_safetensors(d.file("partial.safetensors"), partial);
  EXPECT_EMBER_ERROR(b.load_safetensors(d.file("partial.safetensors")), "partial.safetensors", "missing key(s)",
                     "wte.weight");
  GPTConfig big = tiny();
  big.n_embd = 32;
  EXPECT_EMBER_ERROR(GPT(big).load_safetensors(d.file("plain.safetensors")), "plain.safetensors", "size mismatch",
                     "wte.weight");
  nn::NamedTensors untied = sd;
  untied.emplace_back("lm_head.weight", randn({50, 16}));
  io::save_safetensors(d.file("untied.safetensors"), untied);
  EXPECT_EMBER_ERROR(b.load_safetensors(d.file("untied.safetensors")), "untied.safetensors", "lm_head.weight", "ties");
}
