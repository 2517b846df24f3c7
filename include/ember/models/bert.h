#pragma once
// BERT (Devlin et al., 2019), the encoder with its pooler, with Hugging Face's BertModel names so
// its checkpoints load as they are:
//   embeddings.{word_embeddings, position_embeddings, token_type_embeddings, LayerNorm}
//   encoder.layer.N.attention.self.{query, key, value}
//   encoder.layer.N.attention.output.{dense, LayerNorm}
//   encoder.layer.N.intermediate.dense   encoder.layer.N.output.{dense, LayerNorm}
//   pooler.dense
// Post-norm layers, GELU (erf), nn::Linear weights (out, in).
#include <string>

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
  int64_t pad_token_id = 0;  // its word embedding gets no gradient (padding_idx), as in Hugging Face

  static BertConfig base();  // bert-base-uncased: the defaults above
  // Throws ember::Error naming the field when a value is out of range.
  void validate() const;
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
  Tensor forward(const Tensor& x) override;  // (B, T, H) -> gelu(dense(x)) (B, T, I)
  std::string name() const override { return "BertIntermediate"; }
  std::shared_ptr<nn::Linear> dense;
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
