// BertForSequenceClassification: BertModel's pooled output -> dropout -> a linear layer of
// num_labels outputs, with transformers' three losses.
#include "ember/models/bert_classifier.h"

#include "ember/autograd.h"
#include "ember/nn/init.h"
#include "ember/ops.h"

namespace ember::models {

BertForSequenceClassification::BertForSequenceClassification(const BertConfig& cfg, Generator* gen) : config(cfg) {
  config.validate();
  bert = register_module("bert", std::make_shared<BertModel>(cfg, gen));
  const double p = cfg.classifier_dropout.value_or(cfg.hidden_dropout_prob);
  dropout = register_module("dropout", std::make_shared<nn::Dropout>(p));
  classifier = register_module("classifier", std::make_shared<nn::Linear>(cfg.hidden_size, cfg.num_labels));
  NoGradGuard ng;
  nn::init::normal_(classifier->weight, 0.0, 0.02, gen);
  nn::init::zeros_(classifier->bias);
}

SequenceClassifierOutput BertForSequenceClassification::forward(const Tensor& input_ids, const Tensor& attention_mask,
                                                                 const Tensor& token_type_ids, const Tensor& labels) {
  const char* op = "BertForSequenceClassification";
  BertOutput h = bert->forward(input_ids, attention_mask, token_type_ids);
  SequenceClassifierOutput out;
  out.logits = classifier->forward(dropout->forward(h.pooled_output));  // (B, H) -> (B, L)
  if (!labels.defined()) return out;

  const int64_t B = input_ids.size(0), L = config.num_labels;
  std::string problem = config.problem_type;
  if (problem.empty())
    problem = L == 1 ? "regression"
              : labels.dtype() == DType::Int64 || labels.dtype() == DType::Int32 ? "single_label_classification"
                                                                                 : "multi_label_classification";
  if (problem == "single_label_classification") {
    EMBER_CHECK(labels.dim() == 1 && labels.size(0) == B && labels.dtype() == DType::Int64, op,
                "single-label classification takes labels of shape (", B, ") int64 class ids, got ",
                dtype_name(labels.dtype()), " ", shape_str(labels.shape()));
    out.loss = cross_entropy(out.logits, labels);  // (B, L), (B) -> ()
  } else if (problem == "regression") {
    EMBER_CHECK(labels.is_floating_point() && labels.numel() == B * L, op, "regression takes ", B * L,
                " float labels (", L == 1 ? "(B) or (B, 1)" : "(B, num_labels)", "), got ", dtype_name(labels.dtype()),
                " ", shape_str(labels.shape()));
    Tensor target = labels.to(out.logits.dtype());
    out.loss = L == 1 ? mse_loss(out.logits.view({B}), target.reshape({B})) : mse_loss(out.logits, target.reshape({B, L}));
  } else {
    EMBER_CHECK(labels.is_floating_point() && labels.shape() == out.logits.shape(), op,
                "multi-label classification takes float labels of shape ", shape_str(out.logits.shape()), ", got ",
                dtype_name(labels.dtype()), " ", shape_str(labels.shape()));
    out.loss = binary_cross_entropy_with_logits(out.logits, labels.to(out.logits.dtype()));
  }
  return out;
}

}  // namespace ember::models
