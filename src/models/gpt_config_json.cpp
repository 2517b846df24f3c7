// GPTConfig <-> Hugging Face's GPT-2 config.json (transformers' GPT2Config keys and defaults).
#include "ember/io/file.h"
#include "ember/models/gpt.h"
#include "models/hf_activation.h"
#include "models/hf_config_reader.h"

namespace ember::models {

GPTConfig GPTConfig::from_hf_json(const std::string& json_text, const std::string& source) {
  const char* op = "GPTConfig.from_hf_json";
  hf::ConfigReader r(hf::parse_config(json_text, source, op), source, op);
  const std::string model_type = r.string("model_type", "gpt2");
  if (model_type != "gpt2")
    r.fail("model_type", "is '" + model_type + "', not 'gpt2'; this config.json is not a GPT-2 model's");

  GPTConfig c;  // transformers' GPT2Config defaults: the 124M GPT-2
  c.vocab_size = r.integer("vocab_size", 50257, 1, hf::kMaxVocab);
  c.block_size = r.integer("n_positions", 1024, 1, hf::kMaxPositions);
  c.n_embd = r.integer("n_embd", 768, 1, hf::kMaxWidth);
  c.n_layer = r.integer("n_layer", 12, 1, hf::kMaxLayers);
  c.n_head = r.integer("n_head", 12, 1, c.n_embd);
  if (c.n_embd % c.n_head != 0)
    r.fail("n_head", "(" + std::to_string(c.n_head) + ") does not divide n_embd (" + std::to_string(c.n_embd) + ")");
  c.n_inner = r.integer("n_inner", 0, 1, hf::kMaxInner);  // null: 4 * n_embd
  c.activation_function = r.string("activation_function", "gelu_new");
  if (!is_hf_activation(c.activation_function))
    r.fail("activation_function",
           "is '" + c.activation_function + "', which Ember does not implement; supported: " + hf_activation_list());
  c.resid_pdrop = r.number("resid_pdrop", 0.1, 0.0, 1.0);
  c.embd_pdrop = r.number("embd_pdrop", 0.1, 0.0, 1.0);
  c.attn_pdrop = r.number("attn_pdrop", 0.1, 0.0, 1.0);
  c.dropout = *c.resid_pdrop;
  c.layer_norm_epsilon = r.number("layer_norm_epsilon", 1e-5, 1e-30, 1.0, /*hi_inclusive=*/true);
  c.bias = true;
  c.bos_token_id = r.optional_integer("bos_token_id", 0, INT32_MAX);
  c.eos_token_id = r.optional_integer("eos_token_id", 0, INT32_MAX);

  r.require_bool("scale_attn_weights", true, "Ember's attention always scales by 1/sqrt(head_dim)");
  r.require_bool("scale_attn_by_inverse_layer_idx", false, "Ember's attention does not scale by layer index");
  r.require_bool("add_cross_attention", false, "Ember's GPT has no cross-attention layers");
  r.require_bool("tie_word_embeddings", true, "Ember's GPT ties its output layer to wte");
  // reorder_and_upcast_attn only changes how float16 attention is computed; Ember's is float32: accepted.

  const int64_t n = c.num_parameters();
  if (n > hf::kMaxParameters)
    r.fail("n_embd", "and the other sizes (vocab_size " + std::to_string(c.vocab_size) + ", n_embd " +
                         std::to_string(c.n_embd) + ", n_layer " + std::to_string(c.n_layer) + ", n_inner " +
                         std::to_string(c.inner_size()) + ", n_positions " + std::to_string(c.block_size) + ") make " +
                         hf::with_commas(n) + " parameters, over Ember's limit of " +
                         hf::with_commas(hf::kMaxParameters) + "; is this config.json corrupt?");
  c.validate();
  return c;
}

GPTConfig GPTConfig::from_hf_json_file(const std::string& path) {
  return from_hf_json(io::read_file_bytes(path, "GPTConfig.from_hf_json_file"), path);
}

std::string GPTConfig::to_hf_json(const std::string& architecture) const {
  validate();
  EMBER_CHECK(bias, "GPTConfig.to_hf_json", "this GPT has no biases (bias=false, nanoGPT's option), which "
              "transformers' GPT-2 cannot represent; train with bias=true to save a Hugging Face folder");
  auto opt = [](const std::optional<int64_t>& v) { return v ? hf::json(*v) : hf::json(nullptr); };
  hf::json j;
  j["architectures"] = {architecture};
  j["model_type"] = "gpt2";
  j["vocab_size"] = vocab_size;
  j["n_positions"] = block_size;
  j["n_embd"] = n_embd;
  j["n_layer"] = n_layer;
  j["n_head"] = n_head;
  j["n_inner"] = n_inner > 0 ? hf::json(n_inner) : hf::json(nullptr);
  j["activation_function"] = activation_function;
  j["resid_pdrop"] = resid_dropout();
  j["embd_pdrop"] = embd_dropout();
  j["attn_pdrop"] = attn_dropout();
  j["layer_norm_epsilon"] = layer_norm_epsilon;
  j["initializer_range"] = 0.02;
  j["scale_attn_weights"] = true;
  j["scale_attn_by_inverse_layer_idx"] = false;
  j["reorder_and_upcast_attn"] = false;
  j["add_cross_attention"] = false;
  j["tie_word_embeddings"] = true;
  j["use_cache"] = true;
  j["bos_token_id"] = opt(bos_token_id);
  j["eos_token_id"] = opt(eos_token_id);
  j["dtype"] = "float32";
  return j.dump(2) + "\n";
}

}  // namespace ember::models
