// BertConfig <-> Hugging Face's config.json (transformers' BertConfig keys and defaults).
#include <map>

#include "ember/io/file.h"
#include "ember/io/json.h"
#include "ember/models/bert.h"
#include "models/hf_activation.h"
#include "models/hf_config_reader.h"

namespace ember::models {

namespace {

// id2label: {"0": "NEGATIVE", "1": "POSITIVE"} -> names in id order; the ids must be 0..n-1.
std::vector<std::string> read_id2label(const hf::ConfigReader& r) {
  if (!r.has("id2label")) return {};
  const hf::json& j = r.raw().at("id2label");
  if (!j.is_object()) r.fail("id2label", "must be an object mapping label ids (\"0\", \"1\", ...) to names");
  if (static_cast<int64_t>(j.size()) > hf::kMaxLabels) r.fail("id2label", "names too many labels");
  std::map<int64_t, std::string> by_id;
  for (auto& [k, v] : j.items()) {
    size_t used = 0;
    int64_t id = -1;
    try {
      id = std::stoll(k, &used);
    } catch (const std::exception&) {
    }
    if (used != k.size() || id < 0) r.fail("id2label", "has the key \"" + k + "\"; label ids must be 0, 1, 2, ...");
    if (!v.is_string()) r.fail("id2label", "maps \"" + k + "\" to " + io::describe_json(v) + "; label names must be strings");
    by_id[id] = v.get<std::string>();
  }
  std::vector<std::string> names;
  for (auto& [id, name] : by_id) {
    if (id != static_cast<int64_t>(names.size()))
      r.fail("id2label", "skips label id " + std::to_string(names.size()) + "; ids must be 0 .. num_labels - 1");
    names.push_back(name);
  }
  return names;
}

}  // namespace

BertConfig BertConfig::from_hf_json(const std::string& json_text, const std::string& source) {
  const char* op = "BertConfig.from_hf_json";
  hf::ConfigReader r(hf::parse_config(json_text, source, op), source, op);
  const std::string model_type = r.string("model_type", "bert");
  if (model_type != "bert")
    r.fail("model_type", "is '" + model_type + "', not 'bert'; this config.json is not a BERT model's");

  BertConfig c;  // transformers' BertConfig defaults, as bert-base-uncased
  c.vocab_size = r.integer("vocab_size", c.vocab_size, 1, hf::kMaxVocab);
  c.hidden_size = r.integer("hidden_size", c.hidden_size, 1, hf::kMaxWidth);
  c.num_hidden_layers = r.integer("num_hidden_layers", c.num_hidden_layers, 1, hf::kMaxLayers);
  c.num_attention_heads = r.integer("num_attention_heads", c.num_attention_heads, 1, c.hidden_size);
  if (c.hidden_size % c.num_attention_heads != 0)
    r.fail("num_attention_heads", "(" + std::to_string(c.num_attention_heads) + ") does not divide hidden_size (" +
                                      std::to_string(c.hidden_size) + ")");
  c.intermediate_size = r.integer("intermediate_size", c.intermediate_size, 1, hf::kMaxInner);
  c.hidden_act = r.string("hidden_act", c.hidden_act);
  if (!is_hf_activation(c.hidden_act))
    r.fail("hidden_act", "is '" + c.hidden_act + "', which Ember does not implement; supported: " + hf_activation_list());
  c.hidden_dropout_prob = r.number("hidden_dropout_prob", c.hidden_dropout_prob, 0.0, 1.0);
  c.attention_probs_dropout_prob = r.number("attention_probs_dropout_prob", c.attention_probs_dropout_prob, 0.0, 1.0);
  c.max_position_embeddings = r.integer("max_position_embeddings", c.max_position_embeddings, 1, hf::kMaxPositions);
  c.type_vocab_size = r.integer("type_vocab_size", c.type_vocab_size, 1, hf::kMaxTypeVocab);
  c.layer_norm_eps = r.number("layer_norm_eps", c.layer_norm_eps, 1e-30, 1.0, /*hi_inclusive=*/true);
  // Absent: transformers' default 0; null: no padding row.
  if (r.raw().contains("pad_token_id"))
    c.pad_token_id = r.optional_integer("pad_token_id", 0, c.vocab_size - 1).value_or(-1);

  const std::string pos = r.string("position_embedding_type", "absolute");
  if (pos != "absolute")
    r.fail("position_embedding_type", "is '" + pos + "'; Ember's BERT has absolute position embeddings only");
  r.require_bool("is_decoder", false, "Ember's BERT is an encoder (no causal mask)");
  r.require_bool("add_cross_attention", false, "Ember's BERT has no cross-attention layers");

  c.id2label = read_id2label(r);
  if (r.has("num_labels")) {
    c.num_labels = r.integer("num_labels", 2, 1, hf::kMaxLabels);
    if (!c.id2label.empty() && static_cast<int64_t>(c.id2label.size()) != c.num_labels)
      r.fail("num_labels", "is " + std::to_string(c.num_labels) + " but id2label names " +
                               std::to_string(c.id2label.size()) + " labels");
  } else if (!c.id2label.empty()) {
    c.num_labels = static_cast<int64_t>(c.id2label.size());
  }
  c.classifier_dropout = r.optional_number("classifier_dropout", 0.0, 1.0);
  c.problem_type = r.string("problem_type", "");
  if (!c.problem_type.empty() && c.problem_type != "regression" && c.problem_type != "single_label_classification" &&
      c.problem_type != "multi_label_classification")
    r.fail("problem_type", "is '" + c.problem_type +
                               "'; expected regression, single_label_classification or multi_label_classification");

  const int64_t n = c.num_parameters() + c.hidden_size * c.num_labels + c.num_labels;
  if (n > hf::kMaxParameters)
    r.fail("hidden_size", "and the other sizes (vocab_size " + std::to_string(c.vocab_size) + ", hidden_size " +
                              std::to_string(c.hidden_size) + ", num_hidden_layers " + std::to_string(c.num_hidden_layers) +
                              ", intermediate_size " + std::to_string(c.intermediate_size) +
                              ", max_position_embeddings " + std::to_string(c.max_position_embeddings) + ") make " +
                              hf::with_commas(n) + " parameters, over Ember's limit of " +
                              hf::with_commas(hf::kMaxParameters) + "; is this config.json corrupt?");
  c.validate();
  return c;
}

BertConfig BertConfig::from_hf_json_file(const std::string& path) {
  return from_hf_json(io::read_file_bytes(path, "BertConfig.from_hf_json_file"), path);
}

std::string BertConfig::to_hf_json(const std::string& architecture) const {
  validate();
  hf::json j;
  j["architectures"] = {architecture};
  j["model_type"] = "bert";
  j["vocab_size"] = vocab_size;
  j["hidden_size"] = hidden_size;
  j["num_hidden_layers"] = num_hidden_layers;
  j["num_attention_heads"] = num_attention_heads;
  j["intermediate_size"] = intermediate_size;
  j["hidden_act"] = hidden_act;
  j["hidden_dropout_prob"] = hidden_dropout_prob;
  j["attention_probs_dropout_prob"] = attention_probs_dropout_prob;
  j["max_position_embeddings"] = max_position_embeddings;
  j["type_vocab_size"] = type_vocab_size;
  j["initializer_range"] = 0.02;
  j["layer_norm_eps"] = layer_norm_eps;
  j["pad_token_id"] = pad_token_id >= 0 ? hf::json(pad_token_id) : hf::json(nullptr);
  j["position_embedding_type"] = "absolute";
  j["is_decoder"] = false;
  j["add_cross_attention"] = false;
  j["use_cache"] = true;
  j["classifier_dropout"] = classifier_dropout ? hf::json(*classifier_dropout) : hf::json(nullptr);
  hf::json id2l = hf::json::object(), l2id = hf::json::object();
  for (int64_t i = 0; i < num_labels; ++i) {
    const std::string name = id2label.empty() ? "LABEL_" + std::to_string(i) : id2label[static_cast<size_t>(i)];
    id2l[std::to_string(i)] = name;
    l2id[name] = i;
  }
  j["id2label"] = id2l;
  j["label2id"] = l2id;
  if (!problem_type.empty()) j["problem_type"] = problem_type;
  j["dtype"] = "float32";
  return j.dump(2) + "\n";
}

}  // namespace ember::models
