#pragma once
// Sentence embeddings as sentence-transformers computes them, read from a model folder:
//
//   auto st = models::SentenceTransformer::from_pretrained("models/all-MiniLM-L6-v2");
//   Tensor e = st.encode({"A man is eating.", "Someone eats."});   // (2, 384) float32
//
// The folder's modules.json lists the pipeline: a Transformer (the BERT of config.json +
// model.safetensors, its tokenizer, sentence_bert_config.json's max_seq_length), a Pooling (its
// config.json: CLS token, mean, max and/or mean-over-sqrt-length of the real tokens' hidden
// states, concatenated in sentence-transformers' order) and an optional Normalize (L2). A folder
// without modules.json is a plain Hugging Face model: mean pooling, no normalization, as
// sentence-transformers builds it. Other modules (Dense, ...) are errors naming modules.json.
#include <optional>
#include <string>
#include <vector>

#include "ember/models/bert.h"
#include "ember/text/tokenizer.h"

namespace ember::models {

struct PoolingConfig {
  int64_t word_embedding_dimension = 0;  // the transformer's hidden size (checked against it)
  bool cls_token = false;
  bool mean_tokens = true;
  bool max_tokens = false;
  bool mean_sqrt_len_tokens = false;
  int64_t output_dimension() const;  // word_embedding_dimension times the modes chosen
  // A Pooling module's config.json (`source` names it in errors); unsupported modes (weightedmean,
  // lasttoken) and no mode at all are errors naming the key.
  static PoolingConfig from_json(const std::string& json_text, const std::string& source);
};

class SentenceTransformer {
 public:
  static SentenceTransformer from_pretrained(const std::string& dir);

  // texts -> (N, D) float32, one row per text in the input order. Texts are tokenized (truncated
  // at max_seq_length) and run in batches of batch_size, longest first as sentence-transformers
  // does, so padding stays small; no gradients, the model in eval mode.
  Tensor encode(const std::vector<std::string>& texts, int64_t batch_size = 32) const;
  // One tokenized batch: input_ids, attention_mask (B, T) int64 -> (B, D) pooled (and normalized).
  Tensor embed(const Tensor& input_ids, const Tensor& attention_mask) const;
  // The pooling (and normalization) half of embed: hidden (B, T, H), attention_mask (B, T) -> (B, D).
  Tensor pool_hidden(const Tensor& hidden, const Tensor& attention_mask) const;

  int64_t max_seq_length() const { return max_seq_length_; }
  int64_t dimension() const { return pooling_.output_dimension(); }
  bool normalizes() const { return normalize_; }
  const text::Tokenizer& tokenizer() const { return *tokenizer_; }
  const std::shared_ptr<BertModel>& model() const { return model_; }

 private:
  SentenceTransformer() = default;
  std::shared_ptr<BertModel> model_;
  std::optional<text::Tokenizer> tokenizer_;  // set by from_pretrained (Tokenizer has no empty state)
  PoolingConfig pooling_;
  bool normalize_ = false;
  int64_t max_seq_length_ = 512;
};

// Pooling of hidden states (B, T, H) over the real tokens of attention_mask (B, T) -> (B, D).
Tensor pool(const PoolingConfig& config, const Tensor& hidden, const Tensor& attention_mask);

}  // namespace ember::models
