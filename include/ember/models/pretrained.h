#pragma once
// Hugging Face model folders: from_pretrained reads one (config.json + model.safetensors, or the
// shards listed by model.safetensors.index.json) into the matching Ember model; save_pretrained
// writes one that transformers' AutoModel.from_pretrained loads.
//
//   auto m = models::from_pretrained("all-MiniLM-L6-v2");     // architecture from config.json
//   auto bert = m.bert_model();                                // typed; or m.module, polymorphic
//   auto gpt = models::GPT::from_pretrained("tiny-gpt2");      // typed entry point
//   models::save_pretrained(*gpt, "out/tiny-gpt2");
//
// Architectures (config.json's architectures[0], else the model_type's default):
//   BertModel                      models::BertModel                        model_type "bert" (default)
//   BertForSequenceClassification  models::BertForSequenceClassification
//   GPT2Model                      models::GPT2Model                        model_type "gpt2"
//   GPT2LMHeadModel                models::GPT (head tied to wte)           model_type "gpt2" (default)
// Another architecture of a supported model_type (BertForMaskedLM, BertForPreTraining, ...) loads
// as that type's default, as transformers' AutoModel does; its extra heads are reported.
#include <memory>
#include <string>

#include "ember/models/pretrained_options.h"
#include "ember/nn/module.h"

namespace ember::models {

class BertModel;
class BertForSequenceClassification;
class GPT;
class GPT2Model;

struct PretrainedModel {
  std::string architecture;  // the class built, by transformers' name: "BertModel", "GPT2LMHeadModel", ...
  std::string model_type;    // "bert" or "gpt2"
  std::string config_json;   // the folder's config.json, as read
  std::shared_ptr<nn::Module> module;  // the model, in eval mode
  LoadReport report;

  // The model as its type; ember::Error naming the architecture when it is another.
  std::shared_ptr<BertModel> bert_model() const;
  std::shared_ptr<BertForSequenceClassification> bert_for_sequence_classification() const;
  std::shared_ptr<GPT2Model> gpt2_model() const;
  std::shared_ptr<GPT> gpt2_lm_head_model() const;
};

// Reads the folder `dir`:
//  - config.json: the architecture and every size, checked against sane limits before anything is
//    allocated (errors name config.json and the key);
//  - model.safetensors, else model.safetensors.index.json's weight_map and its shard files;
//  - names mapped as transformers maps them: with or without the base model's prefix ("bert.",
//    "transformer."), so a base model loads from a checkpoint with a head and the reverse;
//  - float16, bfloat16 and float64 weights converted to float32; every weight's shape checked
//    against the config (errors name the safetensors file and the key);
//  - known-unused entries skipped (LoadReport::ignored_keys); missing and unexpected keys reported
//    as load_state_dict(strict=False) does, or an ember::Error listing them with opts.strict.
// The model is returned in eval mode, as transformers returns it.
PretrainedModel from_pretrained(const std::string& dir, const PretrainedOptions& opts = {});

// `name_or_dir` itself when it is a folder or a path; otherwise the folder of that name under
// <data root>/models (data_root resolved as data::resolve_data_root does), so that
// "all-MiniLM-L6-v2" finds ../shared/data/models/all-MiniLM-L6-v2. An ember::Error names `flag`
// when neither exists.
std::string resolve_model_dir(const std::string& name_or_dir, const std::string& data_root = "",
                              const char* flag = "--model");

// Writes `model` (a BertModel, BertForSequenceClassification, GPT2Model or GPT, which is saved as
// GPT2LMHeadModel) to the folder `dir` (created if needed): config.json (architectures,
// model_type and the config's keys) and model.safetensors (float32, transformers' names, metadata
// format "pt"). Each file is replaced atomically; other files in `dir` (a tokenizer, say) stay.
void save_pretrained(const nn::Module& model, const std::string& dir);

}  // namespace ember::models
