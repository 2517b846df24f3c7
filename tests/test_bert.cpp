// BERT: values and gradients against an independent PyTorch implementation (weights loaded from a
// safetensors file with Hugging Face's names), finite differences, padding, names, errors.
#include <gtest/gtest.h>

#include "ember/io/safetensors.h"
#include "ember/models/bert.h"
#include "model_test_util.h"
#include "op_registry.h"
#include "temp_dir.h"

using namespace ember;
using models::BertConfig;
using models::BertModel;

namespace {

BertConfig tiny() {
  BertConfig c;
  c.vocab_size = 40, c.hidden_size = 16, c.num_hidden_layers = 2, c.num_attention_heads = 2;
  c.intermediate_size = 32, c.max_position_embeddings = 12;
  c.hidden_dropout_prob = 0.0, c.attention_probs_dropout_prob = 0.0;
  return c;
}

}  // namespace

TEST(Bert, MatchesPyTorchOutputsAndGradients) {
  auto j = test::read_json(test::model_golden("bert.json"));
  BertModel model(tiny());  // the golden config (checked below), without dropout
  auto jc = j.at("config");
  ASSERT_EQ(jc.at("hidden_size").get<int64_t>(), model.config.hidden_size);
  ASSERT_EQ(jc.at("vocab_size").get<int64_t>(), model.config.vocab_size);
  ASSERT_EQ(jc.at("max_position_embeddings").get<int64_t>(), model.config.max_position_embeddings);
  model.load_safetensors(test::model_golden("bert_hf.safetensors"));  // "bert." prefix, position_ids, cls.*
  Tensor ids = test::json_tensor(j.at("input_ids"), kInt64);
  Tensor mask = test::json_tensor(j.at("attention_mask"), kInt64);
  Tensor types = test::json_tensor(j.at("token_type_ids"), kInt64);
  auto out = model.forward(ids, mask, types);
  // float32 forward against a float64 reference from the same (float32) weights; the 1e-12
  // LayerNorm eps makes the normalization sensitive, hence atol 2e-5 on values of order 1.
  test::expect_close(out.sequence_output, test::json_tensor(j.at("sequence_output"), kFloat64), 1e-5, 2e-5,
                     "sequence_output");
  test::expect_close(out.pooled_output, test::json_tensor(j.at("pooled_output"), kFloat64), 1e-5, 2e-5,
                     "pooled_output");
  Tensor loss = (out.sequence_output * test::json_tensor(j.at("g_seq"), kFloat32)).sum() +
                (out.pooled_output * test::json_tensor(j.at("g_pooled"), kFloat32)).sum();
  loss.backward();
  io::SafetensorsFile grads = io::load_safetensors(test::model_golden("bert_grads.safetensors"));
  auto params = model.named_parameters();
  ASSERT_EQ(params.size(), grads.tensors.size());
  for (auto& [name, p] : params) test::expect_close(p.grad(), grads.at(name), 1e-4, 1e-5, "grad of " + name);
  // The pad token's embedding gets no gradient even where it occurs inside a sequence.
  EXPECT_EQ(ember::abs(model.embeddings->word_embeddings->weight.grad().select(0, 0)).sum().item(), 0.0);
}

TEST(Bert, FiniteDifferencesInFloat64) {
  manual_seed(4);
  BertConfig c = tiny();
  c.pad_token_id = 39;  // keep every row used below differentiable
  BertModel model(c);
  test::to_float64(model);
  Tensor ids = randint(0, 39, {2, 5}), types = randint(0, 2, {2, 5});
  Tensor mask = ones({2, 5}, kInt64);
  mask.data_ptr<int64_t>()[8] = 0, mask.data_ptr<int64_t>()[9] = 0;
  Tensor gs = randn({2, 5, 16}, kFloat64), gp = randn({2, 16}, kFloat64);
  test::model_gradcheck(model, [&] {
    auto o = model.forward(ids, mask, types);
    return (o.sequence_output * gs).sum() + (o.pooled_output * gp).sum();
  });
}

TEST(Bert, PaddedPositionsDoNotChangeTheRealOnes) {
  manual_seed(6);
  BertModel model(tiny());
  model.eval();
  NoGradGuard ng;
  Tensor ids = randint(1, 40, {1, 8});
  Tensor mask = ones({1, 8}, kBool);
  for (int i = 5; i < 8; ++i) mask.data_ptr<bool>()[i] = false;
  auto a = model.forward(ids, mask);
  Tensor ids2 = ids.clone();
  for (int i = 5; i < 8; ++i) ids2.data_ptr<int64_t>()[i] = 7;
  auto b = model.forward(ids2, mask);
  test::expect_close(b.sequence_output.narrow(1, 0, 5), a.sequence_output.narrow(1, 0, 5), 1e-6, 1e-6, "real tokens");
  test::expect_close(b.pooled_output, a.pooled_output, 1e-6, 1e-6, "pooled");
  // Without the padding, the same 5 tokens give the same outputs.
  auto c = model.forward(ids.narrow(1, 0, 5).contiguous());
  test::expect_close(c.sequence_output, a.sequence_output.narrow(1, 0, 5), 1e-5, 1e-5, "unpadded");
  EXPECT_EQ(a.pooled_output.shape(), (Shape{1, 16}));
}

TEST(Bert, StateDictHasHuggingFaceNames) {
  BertModel model(tiny());
  auto sd = model.state_dict();
  std::vector<std::string> k;
  for (auto& [n, t] : sd) k.push_back(n);
  ASSERT_EQ(k.size(), 5u + 2 * 16 + 2);
  EXPECT_EQ(k[0], "embeddings.word_embeddings.weight");
  EXPECT_EQ(k[3], "embeddings.LayerNorm.weight");
  EXPECT_EQ(k[5], "encoder.layer.0.attention.self.query.weight");
  EXPECT_EQ(k[11], "encoder.layer.0.attention.output.dense.weight");
  EXPECT_EQ(k[13], "encoder.layer.0.attention.output.LayerNorm.weight");
  EXPECT_EQ(k[15], "encoder.layer.0.intermediate.dense.weight");
  EXPECT_EQ(k[17], "encoder.layer.0.output.dense.weight");
  EXPECT_EQ(k[19], "encoder.layer.0.output.LayerNorm.weight");
  EXPECT_EQ(k.back(), "pooler.dense.bias");
  EXPECT_EQ(sd[15].second.shape(), (Shape{32, 16}));  // nn::Linear layout (out, in)
  // bert-base's size, from the shapes: 109,482,240 parameters with the pooler.
  BertConfig b = BertConfig::base();
  const int64_t H = b.hidden_size, I = b.intermediate_size;
  const int64_t layer = 4 * (H * H + H) + 2 * 2 * H + (H * I + I) + (I * H + H);
  EXPECT_EQ((b.vocab_size + b.max_position_embeddings + b.type_vocab_size) * H + 2 * H + b.num_hidden_layers * layer +
                H * H + H,
            109482240);
  EXPECT_EQ(ember::abs(model.embeddings->word_embeddings->weight.select(0, 0)).sum().item(), 0.0);  // padding row
}

TEST(Bert, BadInputNamesTheProblem) {
  BertModel model(tiny());
  Tensor ids = randint(1, 40, {2, 4});
  EXPECT_EMBER_ERROR(model.forward(randint(1, 40, {1, 13})), "BertModel", "13", "max_position_embeddings 12");
  EXPECT_EMBER_ERROR(model.forward(ids, ones({2, 5}, kInt64)), "attention_mask", "[2, 4]", "[2, 5]");
  Tensor mask = ones({2, 4}, kInt64);
  for (int i = 4; i < 8; ++i) mask.data_ptr<int64_t>()[i] = 0;
  EXPECT_EMBER_ERROR(model.forward(ids, mask), "attention_mask row 1", "all 4 tokens", "padding");
  EXPECT_EMBER_ERROR(model.forward(ids, Tensor(), full({2, 4}, 2, kInt64)), "token type id 2", "type_vocab_size 2");
  Tensor bad = ids.clone();
  bad.data_ptr<int64_t>()[5] = 40;
  EXPECT_EMBER_ERROR(model.forward(bad), "token id 40", "position (1, 1)", "vocab_size 40");
  EXPECT_EMBER_ERROR(model.forward(zeros({2, 4})), "input_ids", "int64", "float32");
  BertConfig c = tiny();
  c.num_attention_heads = 5;
  EXPECT_EMBER_ERROR(BertModel{c}, "BertConfig", "hidden_size (16)", "num_attention_heads (5)");
  test::TempDir d;
  io::save_safetensors(d.file("gpt.safetensors"), {{"wte.weight", zeros({4, 4})}});
  EXPECT_EMBER_ERROR(model.load_safetensors(d.file("gpt.safetensors")), "gpt.safetensors", "missing key(s)",
                     "unexpected key(s)", "wte.weight");
}
