// Hugging Face model folders: from_pretrained against transformers' outputs on the tiny fixtures
// (tests/fixtures/make_tiny_models.py) and on all-MiniLM-L6-v2 from the data folder, configs from
// and to config.json, save_pretrained round trips, and the errors bad folders raise.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "ember/data/data_root.h"
#include "ember/io/safetensors.h"
#include "ember/models/bert.h"
#include "ember/models/bert_classifier.h"
#include "ember/models/generate.h"
#include "ember/models/gpt.h"
#include "ember/models/pretrained.h"
#include "model_test_util.h"
#include "op_registry.h"
#include "released_models.h"
#include "temp_dir.h"

using namespace ember;
using namespace ember::models;
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

std::string fixture(const std::string& name) { return std::string(EMBER_FIXTURES_DIR) + "/" + name; }

// max |got - want| over all elements (want from a golden {"shape", "data"} entry).
double max_abs_diff(const Tensor& got, const json& want) {
  Tensor w = test::json_tensor(want, kFloat64);
  EXPECT_EQ(got.shape(), w.shape());
  if (got.shape() != w.shape()) return INFINITY;
  auto g = got.to(kFloat64).contiguous().to_vector<double>();
  auto v = w.contiguous().to_vector<double>();
  double worst = 0;
  for (size_t i = 0; i < g.size(); ++i) worst = std::max(worst, std::abs(g[i] - v[i]));
  return worst;
}

Tensor ids_of(const json& j) { return test::json_tensor(j, kInt64); }

// A copy of a fixture folder to break in a test.
void copy_folder(const std::string& from, const std::string& to) {
  fs::create_directories(to);
  for (auto& e : fs::directory_iterator(from)) fs::copy_file(e.path(), fs::path(to) / e.path().filename());
}

json read_json_file(const std::string& path) { return test::read_json(path); }
void write_json_file(const std::string& path, const json& j) { std::ofstream(path) << j.dump(2); }

void expect_same_state(nn::Module& a, nn::Module& b) {
  auto sa = a.state_dict(), sb = b.state_dict();
  ASSERT_EQ(sa.size(), sb.size());
  for (size_t i = 0; i < sa.size(); ++i) {
    EXPECT_EQ(sa[i].first, sb[i].first);
    EXPECT_TRUE(ember::equal(sa[i].second, sb[i].second)) << sa[i].first;
  }
}


}  // namespace

// ---- transformers' outputs on the fixtures ----

TEST(Pretrained, TinyGpt2LogitsMatchTransformers) {
  PretrainedModel m = from_pretrained(fixture("tiny-gpt2"));
  EXPECT_EQ(m.architecture, "GPT2LMHeadModel");
  EXPECT_EQ(m.model_type, "gpt2");
  EXPECT_TRUE(m.report.all_matched()) << m.report.str();
  EXPECT_EQ(m.report.str(), "<All keys matched successfully>");
  EXPECT_FALSE(m.module->is_training());  // eval mode, as transformers returns it
  auto gpt = m.gpt2_lm_head_model();
  EXPECT_EQ(gpt->config.vocab_size, 1000);
  EXPECT_EQ(gpt->config.block_size, 64);
  EXPECT_EQ(gpt->config.inner_size(), 128);
  EXPECT_EQ(gpt->config.eos_token_id, 999);
  json g = test::read_json(fixture("tiny_gpt2.json"));
  NoGradGuard ng;
  for (auto& c : g.at("cases")) {
    Tensor logits = gpt->forward(ids_of(c.at("input_ids"))).logits;  // (B, T, V)
    const double d = max_abs_diff(logits, c.at("logits"));
    std::cout << "tiny-gpt2 logits " << shape_str(logits.shape()) << ": max |ember - transformers| = " << d << "\n";
    EXPECT_LE(d, 1e-5);
  }
  EXPECT_THROW(m.bert_model(), Error);  // typed accessors name the architecture
}

TEST(Pretrained, TinyGpt2GreedyGenerationMatchesTransformers) {
  auto gpt = GPT::from_pretrained(fixture("tiny-gpt2"));
  json g = test::read_json(fixture("tiny_gpt2.json")).at("generate");
  GenerateOptions o;
  o.temperature = 0;
  o.max_new_tokens = g.at("max_new_tokens").get<int64_t>();
  const auto prompt = g.at("prompt").get<std::vector<int64_t>>();
  const auto want = g.at("tokens").get<std::vector<int64_t>>();
  Generator gen(0);
  EXPECT_EQ(generate(*gpt, prompt, o, gen), want);
  o.use_cache = false;
  EXPECT_EQ(generate(*gpt, prompt, o, gen), want);
}

TEST(Pretrained, TinyGpt2Float16WeightsAreConverted) {
  auto gpt = GPT::from_pretrained(fixture("tiny-gpt2-fp16"));
  EXPECT_EQ(gpt->wte->weight.dtype(), kFloat32);
  json g = test::read_json(fixture("tiny_gpt2.json")).at("fp16");
  NoGradGuard ng;
  const double d = max_abs_diff(gpt->forward(ids_of(g.at("input_ids"))).logits, g.at("logits"));
  std::cout << "tiny-gpt2-fp16 logits: max |ember - transformers| = " << d << "\n";
  EXPECT_LE(d, 1e-5);
}

TEST(Pretrained, Bfloat16AndFloat64WeightsAreConverted) {
  auto gpt = GPT::from_pretrained(fixture("tiny-gpt2"));
  for (DType dt : {kBFloat16, kFloat64}) {
    SCOPED_TRACE(dtype_name(dt));
    test::TempDir tmp;
    fs::copy_file(fixture("tiny-gpt2/config.json"), tmp.file("config.json"));
    io::NamedTensors st;
    for (auto& [k, v] : gpt->state_dict()) st.emplace_back("transformer." + k, v.to(dt));
    io::save_safetensors(tmp.file("model.safetensors"), st);
    auto back = GPT::from_pretrained(tmp.path());
    auto a = gpt->state_dict(), b = back->state_dict();
    for (size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(b[i].second.dtype(), kFloat32);
      EXPECT_TRUE(ember::equal(b[i].second, a[i].second.to(dt).to(kFloat32))) << a[i].first;
    }
  }
}

TEST(Pretrained, Gpt2ModelGivesTheHiddenStatesOfTheLmHeadModel) {
  // A GPT2LMHeadModel checkpoint ("transformer." names) into the base class: the prefix is dropped.
  LoadReport report;
  auto base = GPT2Model::from_pretrained(fixture("tiny-gpt2"), {}, &report);
  EXPECT_TRUE(report.all_matched()) << report.str();
  EXPECT_EQ(base->name(), "GPT2Model");
  json c = test::read_json(fixture("tiny_gpt2.json")).at("cases").at(1);
  NoGradGuard ng;
  Tensor h = base->forward(ids_of(c.at("input_ids")));  // (B, T, C)
  EXPECT_EQ(h.size(-1), 32);
  EXPECT_LE(max_abs_diff(linear(h, base->wte->weight), c.at("logits")), 1e-5);  // the tied head
}

TEST(Pretrained, TinyBertClassifierLogitsMatchTransformers) {
  PretrainedModel m = from_pretrained(fixture("tiny-bert-cls"));
  EXPECT_EQ(m.architecture, "BertForSequenceClassification");
  EXPECT_TRUE(m.report.all_matched()) << m.report.str();
  auto cls = m.bert_for_sequence_classification();
  EXPECT_EQ(cls->config.num_labels, 2);
  EXPECT_EQ(cls->config.id2label, (std::vector<std::string>{"NEGATIVE", "POSITIVE"}));
  json g = test::read_json(fixture("tiny_bert_cls.json"));
  NoGradGuard ng;
  auto out = cls->forward(ids_of(g.at("input_ids")), ids_of(g.at("attention_mask")), ids_of(g.at("token_type_ids")),
                          ids_of(g.at("labels")));
  const double d = max_abs_diff(out.logits, g.at("logits"));
  std::cout << "tiny-bert-cls logits (padded batch): max |ember - transformers| = " << d << "\n";
  EXPECT_LE(d, 1e-5);
  EXPECT_NEAR(out.loss.item(), g.at("loss").get<double>(), 1e-5);
  auto plain = cls->forward(ids_of(g.at("unmasked").at("input_ids")));
  EXPECT_LE(max_abs_diff(plain.logits, g.at("unmasked").at("logits")), 1e-5);
}

TEST(Pretrained, ShardedCheckpointLoadsTheSameWeights) {
  auto one = BertForSequenceClassification::from_pretrained(fixture("tiny-bert-cls"));
  LoadReport report;
  auto sharded = BertForSequenceClassification::from_pretrained(fixture("tiny-bert-cls-sharded"), {}, &report);
  EXPECT_TRUE(report.all_matched()) << report.str();
  expect_same_state(*one, *sharded);
  json g = test::read_json(fixture("tiny_bert_cls.json"));
  NoGradGuard ng;
  auto out = sharded->forward(ids_of(g.at("input_ids")), ids_of(g.at("attention_mask")), ids_of(g.at("token_type_ids")));
  EXPECT_LE(max_abs_diff(out.logits, g.at("logits")), 1e-5);
}

TEST(Pretrained, MiniLMMatchesTransformers) {
  const std::string dir = test::minilm_dir();
  if (dir.empty()) GTEST_SKIP() << "<data root>/models/all-MiniLM-L6-v2 not found (set EMBER_DATA)";
  PretrainedModel m = from_pretrained(dir, {.strict = true});  // no missing or unexpected key
  EXPECT_EQ(m.architecture, "BertModel");
  EXPECT_TRUE(m.report.all_matched()) << m.report.str();
  EXPECT_EQ(m.report.ignored_keys, (std::vector<std::string>{"embeddings.position_ids"}));  // transformers skips it too
  auto bert = m.bert_model();
  EXPECT_EQ(bert->config.hidden_size, 384);
  EXPECT_EQ(bert->config.num_hidden_layers, 6);
  json g = test::read_json(fixture("minilm.json"));
  NoGradGuard ng;
  Tensor mask = ids_of(g.at("attention_mask"));
  auto out = bert->forward(ids_of(g.at("input_ids")), mask, ids_of(g.at("token_type_ids")));
  // Real tokens against transformers in float32 (as it runs), every position against transformers
  // in float64: at padded positions (whose values nothing uses) float32 rounding alone moves
  // transformers' own output 1.3e-5 from the float64 result.
  Tensor real = mask.to(kFloat32).unsqueeze(-1);  // (B, T, 1)
  Tensor want32 = test::json_tensor(g.at("last_hidden_state"), kFloat32);
  json want_real = {{"shape", out.sequence_output.shape()},
                    {"data", (want32 * real).contiguous().to_vector<float>()}};
  const double d_real = max_abs_diff(out.sequence_output * real, want_real);
  const double d_all = max_abs_diff(out.sequence_output, g.at("last_hidden_state"));
  const double d64 = max_abs_diff(out.sequence_output, g.at("last_hidden_state_float64"));
  const double dp = max_abs_diff(out.pooled_output, g.at("pooler_output"));
  const double dp64 = max_abs_diff(out.pooled_output, g.at("pooler_output_float64"));
  std::cout << "all-MiniLM-L6-v2 " << shape_str(out.sequence_output.shape())
            << ": max |ember - transformers float32| last_hidden_state = " << d_real << " (real tokens), " << d_all
            << " (all positions); pooler_output = " << dp << "; max |ember - transformers float64| last_hidden_state = "
            << d64 << ", pooler_output = " << dp64 << "\n";
  EXPECT_LE(d_real, 1e-5);
  EXPECT_LE(dp, 1e-5);
  EXPECT_LE(d64, 1e-5);
  EXPECT_LE(dp64, 1e-5);
}

// ---- name mapping and reports ----

TEST(Pretrained, BaseModelFromAClassifierCheckpointReportsTheHead) {
  LoadReport report;
  auto bert = BertModel::from_pretrained(fixture("tiny-bert-cls"), {}, &report);  // "bert." prefix dropped
  EXPECT_TRUE(report.missing_keys.empty()) << report.str();
  EXPECT_EQ(report.unexpected_keys, (std::vector<std::string>{"classifier.bias", "classifier.weight"}));
  EXPECT_EMBER_ERROR(BertModel::from_pretrained(fixture("tiny-bert-cls"), {.strict = true}), "from_pretrained",
                     "unexpected key(s) 'classifier.bias', 'classifier.weight'", "strict=false");
  auto cls = BertForSequenceClassification::from_pretrained(fixture("tiny-bert-cls"));
  expect_same_state(*bert, *cls->bert);
}

TEST(Pretrained, ClassifierFromABaseCheckpointHasANewHead) {
  // A BertModel folder (no prefix, no classifier) into BertForSequenceClassification, as fine-tuning
  // starts: the classifier is missing and keeps its initialization; opts.num_labels sizes it.
  test::TempDir tmp;
  auto cls = BertForSequenceClassification::from_pretrained(fixture("tiny-bert-cls"));
  save_pretrained(*cls->bert, tmp.path());
  LoadReport report;
  auto fresh = BertForSequenceClassification::from_pretrained(tmp.path(), {.num_labels = 3}, &report);
  EXPECT_EQ(report.missing_keys, (std::vector<std::string>{"classifier.weight", "classifier.bias"}));
  EXPECT_TRUE(report.unexpected_keys.empty());
  EXPECT_EQ(fresh->classifier->weight.shape(), (Shape{3, 32}));
  expect_same_state(*cls->bert, *fresh->bert);
  EXPECT_EMBER_ERROR(BertForSequenceClassification::from_pretrained(tmp.path(), {.strict = true}),
                     "missing key(s) 'classifier.weight', 'classifier.bias'");
}

TEST(Pretrained, OriginalGpt2LayoutWithBuffersAndTiedHeadLoads) {
  // OpenAI's GPT-2 checkpoints: no "transformer." prefix, attention-mask buffers, and (in some
  // exports) lm_head.weight beside wte.
  auto gpt = GPT::from_pretrained(fixture("tiny-gpt2"));
  test::TempDir tmp;
  fs::copy_file(fixture("tiny-gpt2/config.json"), tmp.file("config.json"));
  io::NamedTensors t = gpt->state_dict();
  t.emplace_back("h.0.attn.bias", tril(ones({1, 1, 64, 64})));
  t.emplace_back("h.1.attn.masked_bias", tensor({-1e4f}));
  t.emplace_back("lm_head.weight", gpt->wte->weight.clone());
  io::save_safetensors(tmp.file("model.safetensors"), t);
  LoadReport report;
  auto again = GPT::from_pretrained(tmp.path(), {}, &report);
  EXPECT_TRUE(report.all_matched()) << report.str();
  EXPECT_EQ(report.ignored_keys.size(), 3u);
  expect_same_state(*gpt, *again);
  // Loaded as GPT2Model, the head has no place: unexpected.
  auto base = GPT2Model::from_pretrained(tmp.path(), {}, &report);
  EXPECT_EQ(report.unexpected_keys, (std::vector<std::string>{"lm_head.weight"}));
  // An untied head cannot be represented.
  t.back().second = gpt->wte->weight * 2;
  io::save_safetensors(tmp.file("model.safetensors"), t);
  EXPECT_EMBER_ERROR(GPT::from_pretrained(tmp.path()), "lm_head.weight", "ties");
}

TEST(Pretrained, MissingPoolerIsReportedNotFatal) {
  test::TempDir tmp;
  auto cls = BertForSequenceClassification::from_pretrained(fixture("tiny-bert-cls"));
  save_pretrained(*cls->bert, tmp.path());
  io::SafetensorsFile f = io::load_safetensors(tmp.file("model.safetensors"));
  io::NamedTensors kept;
  for (auto& [k, v] : f.tensors)
    if (k.rfind("pooler.", 0) != 0) kept.emplace_back(k, v);
  io::save_safetensors(tmp.file("model.safetensors"), kept);
  LoadReport report;
  auto bert = BertModel::from_pretrained(tmp.path(), {}, &report);
  EXPECT_EQ(report.missing_keys, (std::vector<std::string>{"pooler.dense.weight", "pooler.dense.bias"}));
  NoGradGuard ng;
  EXPECT_EQ(bert->forward(randint(1, 1000, {1, 4})).pooled_output.shape(), (Shape{1, 32}));
}

// ---- save_pretrained ----

TEST(Pretrained, SaveThenLoadGivesIdenticalWeights) {
  for (const char* name : {"tiny-gpt2", "tiny-bert-cls"}) {
    SCOPED_TRACE(name);
    PretrainedModel m = from_pretrained(fixture(name));
    test::TempDir tmp;
    save_pretrained(*m.module, tmp.path() + "/out");
    PretrainedModel back = from_pretrained(tmp.path() + "/out", {.strict = true});
    EXPECT_EQ(back.architecture, m.architecture);
    expect_same_state(*m.module, *back.module);
    // transformers' names in the file: the prefix of the classes with a head.
    io::SafetensorsFile f = io::load_safetensors(tmp.path() + "/out/model.safetensors");
    EXPECT_EQ(f.metadata.at("format"), "pt");
    EXPECT_EQ(f.tensors[0].first.rfind(m.architecture == "GPT2LMHeadModel" ? "transformer." : "bert.", 0), 0u);
    json cfg = read_json_file(tmp.path() + "/out/config.json");
    EXPECT_EQ(cfg.at("architectures").at(0), m.architecture);
    EXPECT_EQ(cfg.at("model_type"), m.model_type);
  }
  // GPT2Model keeps transformers' base names (no prefix).
  auto base = GPT2Model::from_pretrained(fixture("tiny-gpt2"));
  test::TempDir tmp;
  save_pretrained(*base, tmp.path());
  EXPECT_TRUE(io::load_safetensors(tmp.file("model.safetensors")).contains("wte.weight"));
  expect_same_state(*base, *GPT2Model::from_pretrained(tmp.path(), {.strict = true}));
  EXPECT_EQ(read_json_file(tmp.file("config.json")).at("architectures").at(0), "GPT2Model");
  // Other modules have no Hugging Face form.
  EXPECT_EMBER_ERROR(save_pretrained(nn::Linear(2, 3), tmp.path()), "save_pretrained", "Linear");
  GPTConfig nb = GPTConfig::shakespeare();
  nb.bias = false;
  EXPECT_EMBER_ERROR(save_pretrained(GPT(nb), tmp.path()), "bias=false");
}

TEST(Pretrained, TransformersLoadsWhatEmberSaves) {
  // Needs a Python with torch + transformers (the CI has none): EMBER_HF_PYTHON=/opt/torch/bin/python.
  const char* py = std::getenv("EMBER_HF_PYTHON");
  if (!py || !*py) GTEST_SKIP() << "set EMBER_HF_PYTHON to a Python with transformers to run this check";
  test::TempDir tmp;
  save_pretrained(*from_pretrained(fixture("tiny-gpt2")).module, tmp.path() + "/gpt2");
  save_pretrained(*from_pretrained(fixture("tiny-bert-cls")).module, tmp.path() + "/bert-cls");
  save_pretrained(*GPT2Model::from_pretrained(fixture("tiny-gpt2")), tmp.path() + "/gpt2-base");
  save_pretrained(*BertModel::from_pretrained(fixture("tiny-bert-cls")), tmp.path() + "/bert-base");
  const std::string cmd = std::string(py) + " " + fixture("make_tiny_models.py") + " --check-ember-saved " +
                          tmp.path() + "/gpt2 " + tmp.path() + "/bert-cls " + tmp.path() + "/gpt2-base " + tmp.path() +
                          "/bert-base";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
}

// ---- configs ----

TEST(Pretrained, BertConfigFromAndToHfJson) {
  BertConfig c = BertConfig::from_hf_json_file(fixture("tiny-bert-cls/config.json"));
  EXPECT_EQ(c.vocab_size, 1000);
  EXPECT_EQ(c.hidden_size, 32);
  EXPECT_EQ(c.intermediate_size, 48);
  EXPECT_EQ(c.max_position_embeddings, 64);
  EXPECT_EQ(c.hidden_act, "gelu");
  EXPECT_EQ(c.num_labels, 2);
  EXPECT_FALSE(c.classifier_dropout.has_value());
  BertConfig back = BertConfig::from_hf_json(c.to_hf_json("BertForSequenceClassification"));
  EXPECT_EQ(back.to_hf_json(), c.to_hf_json());
  EXPECT_EQ(back.id2label, c.id2label);
  // Defaults are transformers' (bert-base-uncased); null pad_token_id: no padding row.
  BertConfig d = BertConfig::from_hf_json(R"({"model_type": "bert", "pad_token_id": null, "classifier_dropout": 0.3})");
  EXPECT_EQ(d.hidden_size, 768);
  EXPECT_EQ(d.pad_token_id, -1);
  EXPECT_EQ(d.classifier_dropout, 0.3);
  EXPECT_EQ(json::parse(d.to_hf_json()).at("pad_token_id"), nullptr);
  BertConfig l = BertConfig::from_hf_json(R"({"id2label": {"0": "a", "1": "b", "2": "c"}})");
  EXPECT_EQ(l.num_labels, 3);
  EXPECT_EQ(BertConfig::from_hf_json(R"({"num_labels": 1})").num_labels, 1);
}

TEST(Pretrained, BertHiddenActivations) {
  // relu, silu and the tanh GELU are transformers' ACT2FN; each changes the encoder's output.
  BertConfig c = BertConfig::from_hf_json_file(fixture("tiny-bert-cls/config.json"));
  c.hidden_dropout_prob = c.attention_probs_dropout_prob = 0;
  Tensor ids = randint(1, 1000, {1, 6});
  std::vector<Tensor> outs;
  NoGradGuard ng;
  for (const char* act : {"gelu", "gelu_new", "gelu_pytorch_tanh", "relu", "silu", "swish"}) {
    c.hidden_act = act;
    Generator g(7);
    BertModel m(c, &g);
    outs.push_back(m.forward(ids).sequence_output);
  }
  EXPECT_FALSE(ember::equal(outs[0], outs[1]));                        // erf vs tanh GELU
  EXPECT_TRUE(ember::equal(outs[1], outs[2]));                         // two names, one function
  EXPECT_FALSE(ember::equal(outs[0], outs[3]));
  EXPECT_TRUE(ember::equal(outs[4], outs[5]));                         // swish is silu
  EXPECT_EMBER_ERROR(BertConfig::from_hf_json(R"({"hidden_act": "mish"})", "x/config.json"), "x/config.json",
                     "'hidden_act'", "mish", "gelu_new");
}

TEST(Pretrained, Gpt2ConfigFromAndToHfJson) {
  GPTConfig c = GPTConfig::from_hf_json_file(fixture("tiny-gpt2/config.json"));
  EXPECT_EQ(c.vocab_size, 1000);
  EXPECT_EQ(c.block_size, 64);
  EXPECT_EQ(c.n_embd, 32);
  EXPECT_EQ(c.n_layer, 2);
  EXPECT_EQ(c.n_head, 4);
  EXPECT_EQ(c.n_inner, 0);
  EXPECT_EQ(c.activation_function, "gelu_new");
  EXPECT_EQ(c.resid_dropout(), 0.1);
  GPTConfig back = GPTConfig::from_hf_json(c.to_hf_json());
  EXPECT_EQ(back.to_hf_json(), c.to_hf_json());
  EXPECT_EQ(back.str(), c.str());
  // n_inner and another activation build the MLP accordingly.
  GPTConfig w = GPTConfig::from_hf_json(R"({"n_embd": 16, "n_head": 2, "n_layer": 1, "n_positions": 8,
      "vocab_size": 50, "n_inner": 24, "activation_function": "relu", "embd_pdrop": 0.2})");
  EXPECT_EQ(w.embd_dropout(), 0.2);
  EXPECT_EQ(w.attn_dropout(), 0.1);
  GPT g(w);
  EXPECT_EQ(g.blocks[0]->mlp->c_fc->weight.shape(), (Shape{16, 24}));
  EXPECT_EQ(g.num_parameters(), w.num_parameters());
  EXPECT_EQ(json::parse(w.to_hf_json()).at("n_inner"), 24);
  EXPECT_EQ(json::parse(c.to_hf_json()).at("n_inner"), nullptr);
  NoGradGuard ng;
  EXPECT_EQ(g.forward(randint(0, 50, {1, 3})).logits.shape(), (Shape{1, 3, 50}));
  // Options Ember does not implement name their key.
  EXPECT_EMBER_ERROR(GPTConfig::from_hf_json(R"({"scale_attn_weights": false})"), "'scale_attn_weights'");
  EXPECT_EMBER_ERROR(GPTConfig::from_hf_json(R"({"scale_attn_by_inverse_layer_idx": true})"),
                     "'scale_attn_by_inverse_layer_idx'");
  EXPECT_EMBER_ERROR(GPTConfig::from_hf_json(R"({"tie_word_embeddings": false})"), "'tie_word_embeddings'");
  EXPECT_EMBER_ERROR(GPTConfig::from_hf_json(R"({"activation_function": "quick_gelu"})"), "'activation_function'",
                     "quick_gelu");
  EXPECT_EMBER_ERROR(GPTConfig::from_hf_json(R"({"model_type": "bert"})"), "'model_type'", "not 'gpt2'");
}

TEST(Pretrained, BertConfigRejectsWhatItCannotRun) {
  EXPECT_EMBER_ERROR(BertConfig::from_hf_json(R"({"position_embedding_type": "relative_key"})", "m/config.json"),
                     "m/config.json", "'position_embedding_type'", "relative_key");
  EXPECT_EMBER_ERROR(BertConfig::from_hf_json(R"({"is_decoder": true})"), "'is_decoder'");
  EXPECT_EMBER_ERROR(BertConfig::from_hf_json(R"({"hidden_size": 30, "num_attention_heads": 4})"),
                     "'num_attention_heads'", "does not divide hidden_size");
  EXPECT_EMBER_ERROR(BertConfig::from_hf_json(R"({"num_labels": 3, "id2label": {"0": "a", "1": "b"}})"),
                     "'num_labels'", "id2label names 2");
  EXPECT_EMBER_ERROR(BertConfig::from_hf_json(R"({"id2label": {"0": "a", "2": "b"}})"), "'id2label'");
  EXPECT_EMBER_ERROR(BertConfig::from_hf_json(R"({"hidden_size": "768"})"), "'hidden_size'", "must be an integer");
  EXPECT_EMBER_ERROR(BertConfig::from_hf_json(R"({"hidden_dropout_prob": 1.5})"), "'hidden_dropout_prob'");
  EXPECT_EMBER_ERROR(BertConfig::from_hf_json("{not json", "m/config.json"), "m/config.json", "not valid JSON");
  EXPECT_EMBER_ERROR(BertConfig::from_hf_json("[1, 2]"), "JSON object");
}

// ---- bad folders: each an ember::Error naming the file and the key ----

TEST(Pretrained, AbsurdSizesAreRefusedBeforeAllocating) {
  // Per key: named with its limit.
  EXPECT_EMBER_ERROR(BertConfig::from_hf_json(R"({"hidden_size": 1000000000000})", "big/config.json"),
                     "big/config.json", "'hidden_size'", "1000000000000", "65536");
  EXPECT_EMBER_ERROR(GPTConfig::from_hf_json(R"({"n_layer": 100000000})"), "'n_layer'");
  EXPECT_EMBER_ERROR(GPTConfig::from_hf_json(R"({"vocab_size": 18446744073709551615})"), "'vocab_size'");
  EXPECT_EMBER_ERROR(BertConfig::from_hf_json(R"({"vocab_size": -5})"), "'vocab_size'", "-5");
  // Within each limit, but together far too large.
  EXPECT_EMBER_ERROR(
      BertConfig::from_hf_json(R"({"vocab_size": 16000000, "hidden_size": 65536, "num_attention_heads": 1})"),
      "'hidden_size'", "over Ember's limit");
  // In a folder: plausible sizes that the checkpoint does not hold.
  test::TempDir tmp;
  copy_folder(fixture("tiny-bert-cls"), tmp.path());
  json cfg = read_json_file(tmp.file("config.json"));
  cfg["hidden_size"] = 1024, cfg["intermediate_size"] = 4096, cfg["num_hidden_layers"] = 24;  // bert-large
  write_json_file(tmp.file("config.json"), cfg);
  const std::string cfg_path = tmp.file("config.json");
  EXPECT_EMBER_ERROR(from_pretrained(tmp.path()), cfg_path.c_str(), "hidden_size 1024", "holds only");
}

TEST(Pretrained, FolderWithoutConfigJson) {
  test::TempDir tmp;
  fs::copy_file(fixture("tiny-gpt2/model.safetensors"), tmp.file("model.safetensors"));
  const std::string dir = tmp.path();
  EXPECT_EMBER_ERROR(from_pretrained(dir), "from_pretrained", dir.c_str(), "no config.json");
  EXPECT_EMBER_ERROR(from_pretrained(tmp.file("nope")), "not a directory");
  EXPECT_EMBER_ERROR(GPT::from_pretrained(tmp.path()), "no config.json");
}

TEST(Pretrained, FolderWithoutWeights) {
  test::TempDir tmp;
  fs::copy_file(fixture("tiny-gpt2/config.json"), tmp.file("config.json"));
  EXPECT_EMBER_ERROR(from_pretrained(tmp.path()), "neither model.safetensors nor model.safetensors.index.json");
  tmp.write("pytorch_model.bin", "pickle");
  EXPECT_EMBER_ERROR(from_pretrained(tmp.path()), "pytorch_model.bin", "safe_serialization=True");
}

TEST(Pretrained, UnsupportedModelTypeOrArchitecture) {
  test::TempDir tmp;
  copy_folder(fixture("tiny-gpt2"), tmp.path());
  json cfg = read_json_file(tmp.file("config.json"));
  cfg["model_type"] = "llama", cfg["architectures"] = {"LlamaForCausalLM"};
  write_json_file(tmp.file("config.json"), cfg);
  const std::string cfg_path = tmp.file("config.json");
  EXPECT_EMBER_ERROR(from_pretrained(tmp.path()), cfg_path.c_str(), "'model_type'", "llama",
                     "LlamaForCausalLM", "GPT2LMHeadModel");
  // An architecture of a supported model_type loads as its default class (as AutoModel).
  cfg["model_type"] = "gpt2", cfg["architectures"] = {"GPT2ForSequenceClassification"};
  write_json_file(tmp.file("config.json"), cfg);
  EXPECT_EQ(from_pretrained(tmp.path()).architecture, "GPT2LMHeadModel");
  // A known architecture with another model_type is a contradiction.
  cfg["model_type"] = "bert", cfg["architectures"] = {"GPT2Model"};
  write_json_file(tmp.file("config.json"), cfg);
  EXPECT_EMBER_ERROR(from_pretrained(tmp.path()), "'model_type'", "GPT2Model");
  // Typed entry points need their model_type.
  EXPECT_EMBER_ERROR(BertModel::from_pretrained(fixture("tiny-gpt2")), "config.json", "'model_type'", "'gpt2'",
                     "BertModel");
  EXPECT_EMBER_ERROR(GPT::from_pretrained(fixture("tiny-bert-cls")), "'model_type'", "'bert'");
}

TEST(Pretrained, WeightShapeThatDisagreesWithConfig) {
  test::TempDir tmp;
  copy_folder(fixture("tiny-bert-cls"), tmp.path());
  json cfg = read_json_file(tmp.file("config.json"));
  cfg["vocab_size"] = 999;
  write_json_file(tmp.file("config.json"), cfg);
  const std::string weights = tmp.file("model.safetensors");
  EXPECT_EMBER_ERROR(from_pretrained(tmp.path()), weights.c_str(), "'bert.embeddings.word_embeddings.weight'",
                     "[1000, 32]", "[999, 32]", "config.json");
  // An integer tensor where a weight belongs.
  auto gpt = GPT::from_pretrained(fixture("tiny-gpt2"));
  test::TempDir t2;
  fs::copy_file(fixture("tiny-gpt2/config.json"), t2.file("config.json"));
  io::NamedTensors st = gpt->state_dict();
  st[0].second = zeros(st[0].second.shape(), kInt64);
  io::save_safetensors(t2.file("model.safetensors"), st);
  EXPECT_EMBER_ERROR(from_pretrained(t2.path()), "'wte.weight'", "int64", "floating-point");
}

TEST(Pretrained, TruncatedSafetensors) {
  test::TempDir tmp;
  copy_folder(fixture("tiny-gpt2"), tmp.path());
  const std::string weights = tmp.file("model.safetensors");
  fs::resize_file(weights, fs::file_size(weights) / 2);
  EXPECT_EMBER_ERROR(from_pretrained(tmp.path()), weights.c_str(), "'transformer.wte.weight'", "outside the data section");
  fs::resize_file(weights, 5);
  EXPECT_EMBER_ERROR(from_pretrained(tmp.path()), weights.c_str(), "not a safetensors file");
}

TEST(Pretrained, BrokenShardIndex) {
  test::TempDir tmp;
  copy_folder(fixture("tiny-bert-cls-sharded"), tmp.path());
  const std::string index = tmp.file("model.safetensors.index.json");
  json idx = read_json_file(index);
  json orig = idx;
  idx["weight_map"]["classifier.weight"] = "../model.safetensors";
  write_json_file(index, idx);
  EXPECT_EMBER_ERROR(from_pretrained(tmp.path()), index.c_str(), "classifier.weight", "plain file names");
  idx = orig;
  idx["weight_map"]["classifier.weight"] = "model-00003-of-00002.safetensors";
  write_json_file(index, idx);
  EXPECT_EMBER_ERROR(from_pretrained(tmp.path()), index.c_str(), "model-00003-of-00002.safetensors", "incomplete");
  idx = orig;
  idx["weight_map"]["bert.extra.weight"] = "model-00001-of-00002.safetensors";
  write_json_file(index, idx);
  EXPECT_EMBER_ERROR(from_pretrained(tmp.path()), index.c_str(), "'bert.extra.weight'", "no shard holds it");
  write_json_file(index, orig);
  fs::remove(tmp.file("model-00002-of-00002.safetensors"));
  EXPECT_EMBER_ERROR(from_pretrained(tmp.path()), "model-00002-of-00002.safetensors", "incomplete");
}

TEST(Pretrained, SequenceLongerThanMaxPositions) {
  auto cls = BertForSequenceClassification::from_pretrained(fixture("tiny-bert-cls"));
  NoGradGuard ng;
  EXPECT_EMBER_ERROR(cls->forward(randint(1, 1000, {1, 65})), "sequence length 65", "max_position_embeddings 64");
  auto gpt = GPT::from_pretrained(fixture("tiny-gpt2"));
  EXPECT_EMBER_ERROR(gpt->forward(randint(0, 1000, {1, 65})), "length 65", "block_size is only 64", "n_positions");
}

TEST(Pretrained, ClassifierLosses) {
  BertConfig c = BertConfig::from_hf_json_file(fixture("tiny-bert-cls/config.json"));
  c.hidden_dropout_prob = c.attention_probs_dropout_prob = 0;
  Tensor ids = randint(1, 1000, {2, 5});
  BertForSequenceClassification m(c);
  auto out = m.forward(ids, Tensor(), Tensor(), tensor(std::vector<int64_t>{0, 1}, {2}));
  EXPECT_NEAR(out.loss.item(), cross_entropy(out.logits, tensor(std::vector<int64_t>{0, 1}, {2})).item(), 1e-7);
  out.loss.backward();
  EXPECT_TRUE(m.classifier->weight.grad().defined());
  Tensor multi = tensor(std::vector<float>{1, 0, 1, 1}, {2, 2});
  auto mo = m.forward(ids, Tensor(), Tensor(), multi);  // float labels: multi-label
  EXPECT_NEAR(mo.loss.item(), binary_cross_entropy_with_logits(mo.logits, multi).item(), 1e-7);
  c.num_labels = 1, c.id2label.clear();
  BertForSequenceClassification r(c);
  auto ro = r.forward(ids, Tensor(), Tensor(), tensor(std::vector<float>{0.5f, -1.0f}, {2}));
  EXPECT_NEAR(ro.loss.item(), mse_loss(ro.logits.view({2}), tensor(std::vector<float>{0.5f, -1.0f}, {2})).item(), 1e-7);
  EXPECT_EMBER_ERROR(m.forward(ids, Tensor(), Tensor(), tensor(std::vector<int64_t>{0, 1, 1}, {3})),
                     "BertForSequenceClassification", "(2)");
}
