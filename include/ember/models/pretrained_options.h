#pragma once
// What from_pretrained takes and reports, shared by the generic loader (pretrained.h) and the
// typed entry points (BertModel::from_pretrained, GPT::from_pretrained, ...).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ember/random.h"

namespace ember::models {

struct PretrainedOptions {
  // true: any missing or unexpected key is an ember::Error listing them (load_state_dict(strict=True));
  // false: they are reported in LoadReport and missing weights keep their initialization.
  bool strict = false;
  // BertForSequenceClassification: the number of labels, overriding config.json's (a new head for
  // fine-tuning; a checkpoint classifier of another size is then a shape error).
  std::optional<int64_t> num_labels = std::nullopt;
  // Initializes the weights the checkpoint lacks (null: the default generator).
  Generator* generator = nullptr;
};

// As PyTorch's load_state_dict(strict=False) result (_IncompatibleKeys). Keys are spelled as in a
// Hugging Face checkpoint of the architecture built ("transformer.h.0.ln_1.weight" for
// GPT2LMHeadModel, "bert.pooler.dense.weight" for BertForSequenceClassification).
struct LoadReport {
  std::vector<std::string> missing_keys;     // the model's weights the checkpoint lacks
  std::vector<std::string> unexpected_keys;  // checkpoint entries the model has no place for
  // Entries skipped on purpose, as transformers skips them: the embeddings.position_ids buffer,
  // GPT-2's attention-mask buffers (h.N.attn.bias, h.N.attn.masked_bias), BERT's pre-training
  // heads (cls.*) and an lm_head.weight equal to the tied token embedding.
  std::vector<std::string> ignored_keys;
  bool all_matched() const { return missing_keys.empty() && unexpected_keys.empty(); }
  // "<All keys matched successfully>" or "missing_keys=[...], unexpected_keys=[...]", as PyTorch prints it.
  std::string str() const;
};

}  // namespace ember::models
