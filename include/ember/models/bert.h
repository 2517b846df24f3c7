#pragma once
// BERT (Devlin et al., 2019), the encoder with its pooler, with Hugging Face's BertModel names so
// its checkpoints load as they are:
//   embeddings.{word_embeddings, position_embeddings, token_type_embeddings, LayerNorm}
//   encoder.layer.N.attention.self.{query, key, value}
//   encoder.layer.N.attention.output.{dense, LayerNorm}
//   encoder.layer.N.intermediate.dense   encoder.layer.N.output.{dense, LayerNorm}
//   pooler.dense
// Post-norm layers, the feed-forward activation of config.hidden_act (GELU (erf) by default),
// nn::Linear weights (out, in).
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ember/models/pretrained_options.h"
#include "ember/nn/layers.h"

namespace ember::models {

struct BertConfig {
  int64_t vocab_size = 30522;
  int64_t hidden_size = 768;
  int64_t num_hidden_layers = 12;
  int64_t num_attention_heads = 12;
  int64_t intermediate_size = 3072;
  double hidden_dropout_prob = 0.1;
  double attention_probs_dropout_prob = 0.1;
  int64_t max_position_embeddings = 512;
  int64_t type_vocab_size = 2;
  double layer_norm_eps = 1e-12;
  // Its word embedding gets no gradient (padding_idx), as in Hugging Face; -1: none (config.json's null).
  int64_t pad_token_id = 0;
  // The feed-forward activation, by Hugging Face's name: gelu (erf), gelu_new or gelu_pytorch_tanh
  // (tanh approximation), relu, silu or swish.
  std::string hidden_act = "gelu";
  // BertForSequenceClassification's head: num_labels outputs, named by id2label (empty: LABEL_0,
  // LABEL_1, ... as transformers names them); dropout before it (unset: hidden_dropout_prob).
  int64_t num_labels = 2;
  std::vector<std::string> id2label = {};
  std::optional<double> classifier_dropout = std::nullopt;
  // The loss forward() computes from labels, as transformers: "regression" (MSE),
  // "single_label_classification" (cross-entropy), "multi_label_classification" (BCE with logits);
  // "": regression when num_labels == 1, else from the labels' dtype (int64: single-label).
  std::string problem_type = "";

  static BertConfig base();  // bert-base-uncased: the defaults above
  // Throws ember::Error naming the field when a value is out of range.
  void validate() const;

  // From a Hugging Face config.json (its text; `source` names it in errors). Reads vocab_size,
  // hidden_size, num_hidden_layers, num_attention_heads, intermediate_size, hidden_act, the dropout
  // probabilities, max_position_embeddings, type_vocab_size, layer_norm_eps, pad_token_id,
  // num_labels/id2label, classifier_dropout and problem_type, with transformers' defaults for absent
  // keys. Options Ember does not implement (position_embedding_type other than "absolute",
  // is_decoder, add_cross_attention) and sizes past sane limits (hidden_size over 65,536, ...) are
  // ember::Errors naming the file and the key, raised before anything is allocated.
  static BertConfig from_hf_json(const std::string& json_text, const std::string& source = "config.json");
  static BertConfig from_hf_json_file(const std::string& path);  // reads the file, then as above
  // config.json's text for transformers (keys sorted, as transformers writes them), with
  // "architectures": [architecture] and "model_type": "bert".
  std::string to_hf_json(const std::string& architecture = "BertModel") const;
  // The parameter count of BertModel (pooler included) for this config, from the sizes alone.
  int64_t num_parameters() const;
};

class BertEmbeddings : public nn::Module {
 public:
  explicit BertEmbeddings(const BertConfig& cfg);
  // input_ids, token_type_ids (B, T) int64 -> LayerNorm(word + position + token type) (B, T, H)
  Tensor forward(const Tensor& input_ids, const Tensor& token_type_ids);
  std::string name() const override { return "BertEmbeddings"; }
  std::shared_ptr<nn::Embedding> word_embeddings, position_embeddings, token_type_embeddings;
  std::shared_ptr<nn::LayerNorm> LayerNorm;
  std::shared_ptr<nn::Dropout> dropout;
};

class BertSelfAttention : public nn::Module {
 public:
  explicit BertSelfAttention(const BertConfig& cfg);
  // x (B, T, H); keep (B, 1, 1, T) bool (true: a real token) or undefined -> context (B, T, H)
  Tensor forward(const Tensor& x, const Tensor& keep);
  std::string name() const override { return "BertSelfAttention"; }
  std::shared_ptr<nn::Linear> query, key, value;
  int64_t num_heads, head_size;
  double dropout_p;
};

// dense, dropout, then LayerNorm(. + residual): BertSelfOutput and BertOutput.
class BertResidualOutput : public nn::Module {
 public:
  BertResidualOutput(const BertConfig& cfg, int64_t in_features, std::string type_name);
  Tensor forward(const Tensor& x, const Tensor& residual);
  std::string name() const override { return type_name_; }
  std::shared_ptr<nn::Linear> dense;
  std::shared_ptr<nn::LayerNorm> LayerNorm;
  std::shared_ptr<nn::Dropout> dropout;

 private:
  std::string type_name_;
};

class BertAttention : public nn::Module {
 public:
  explicit BertAttention(const BertConfig& cfg);
  Tensor forward(const Tensor& x, const Tensor& keep);
  std::string name() const override { return "BertAttention"; }
  std::shared_ptr<BertSelfAttention> self_attention;  // registered as "self"
  std::shared_ptr<BertResidualOutput> output;
};

class BertIntermediate : public nn::Module {
 public:
  explicit BertIntermediate(const BertConfig& cfg);
  Tensor forward(const Tensor& x) override;  // (B, T, H) -> act(dense(x)) (B, T, I)
  std::string name() const override { return "BertIntermediate"; }
  std::shared_ptr<nn::Linear> dense;
  std::string hidden_act;  // BertConfig::hidden_act
};

class BertLayer : public nn::Module {
 public:
  explicit BertLayer(const BertConfig& cfg);
  Tensor forward(const Tensor& x, const Tensor& keep);
  std::string name() const override { return "BertLayer"; }
  std::shared_ptr<BertAttention> attention;
  std::shared_ptr<BertIntermediate> intermediate;
  std::shared_ptr<BertResidualOutput> output;
};

struct BertOutput {
  Tensor sequence_output;  // (B, T, H): the last layer's hidden states
  Tensor pooled_output;    // (B, H): tanh(pooler.dense(first token's hidden state))
};

class BertModel : public nn::Module {
 public:
  // Hugging Face's initialization: normal(0, 0.02) weights, zero biases and padding row, unit
  // LayerNorms; randomness from `gen` (default: the default generator).
  explicit BertModel(const BertConfig& cfg, Generator* gen = nullptr);

  // input_ids (B, T) int64. attention_mask (B, T) (bool or numbers; non-zero/true = a real token,
  // 0 = padding that no position attends to) and token_type_ids (B, T) int64 are optional (all
  // tokens real, all of type 0). Errors when T > max_position_embeddings, an id is out of range, a
  // mask's shape differs, or a sequence is all padding.
  BertOutput forward(const Tensor& input_ids, const Tensor& attention_mask = Tensor(),
                     const Tensor& token_type_ids = Tensor());
  std::string name() const override { return "BertModel"; }

  // A Hugging Face model folder (config.json + model.safetensors or its shards) as a BertModel:
  // any BERT architecture's checkpoint (a BertForSequenceClassification's "bert." weights; its
  // classifier is then an unexpected key). See models::from_pretrained (pretrained.h) for the
  // details; the model is returned in eval mode, as transformers returns it.
  static std::shared_ptr<BertModel> from_pretrained(const std::string& dir, const PretrainedOptions& opts = {},
                                                    LoadReport* report = nullptr);

  // Loads a Hugging Face BERT checkpoint in safetensors: keys with or without the "bert." prefix;
  // embeddings.position_ids (a buffer) and the pre-training heads (cls.*) are skipped; float16
  // weights are converted. Every encoder key must match, as load_state_dict(strict).
  void load_safetensors(const std::string& path);

  BertConfig config;
  std::shared_ptr<BertEmbeddings> embeddings;
  std::shared_ptr<nn::Module> encoder;  // holds "layer", the ModuleList of BertLayers
  std::shared_ptr<nn::ModuleList> layer;
  std::shared_ptr<nn::Linear> pooler_dense;  // "pooler.dense"
  std::vector<std::shared_ptr<BertLayer>> layers;
};

}  // namespace ember::models
