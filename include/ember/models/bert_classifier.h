#pragma once
// BERT with a classification head over the pooled output (Hugging Face's
// BertForSequenceClassification), with its names so that its checkpoints load as they are:
//   bert.*                  a BertModel (embeddings, encoder, pooler)
//   classifier.{weight (num_labels, H), bias (num_labels)}
// logits = classifier(dropout(pooled_output)); dropout p = classifier_dropout, else hidden_dropout_prob.
#include <memory>
#include <string>

#include "ember/models/bert.h"
#include "ember/models/pretrained_options.h"

namespace ember::models {

struct SequenceClassifierOutput {
  Tensor logits;  // (B, num_labels)
  Tensor loss;    // 0-dim; undefined without labels
};

class BertForSequenceClassification : public nn::Module {
 public:
  // Hugging Face's initialization (see BertModel), the classifier normal(0, 0.02) with a zero bias.
  explicit BertForSequenceClassification(const BertConfig& cfg, Generator* gen = nullptr);

  // input_ids, attention_mask, token_type_ids as BertModel::forward. labels (optional), as
  // transformers by config.problem_type: (B) int64 class ids for single-label classification
  // (mean cross-entropy), (B) or (B, 1) floats for regression (num_labels 1: mean squared error),
  // (B, num_labels) floats in [0, 1] for multi-label classification (BCE with logits).
  SequenceClassifierOutput forward(const Tensor& input_ids, const Tensor& attention_mask = Tensor(),
                                   const Tensor& token_type_ids = Tensor(), const Tensor& labels = Tensor());
  std::string name() const override { return "BertForSequenceClassification"; }

  // A Hugging Face folder as a BertForSequenceClassification: its own checkpoints, or a BertModel's
  // (then classifier.* are missing keys, initialized for fine-tuning; opts.num_labels sets their
  // size). See models::from_pretrained (pretrained.h); returned in eval mode, as transformers does.
  static std::shared_ptr<BertForSequenceClassification> from_pretrained(const std::string& dir,
                                                                        const PretrainedOptions& opts = {},
                                                                        LoadReport* report = nullptr);

  BertConfig config;
  std::shared_ptr<BertModel> bert;
  std::shared_ptr<nn::Dropout> dropout;
  std::shared_ptr<nn::Linear> classifier;
};

}  // namespace ember::models
