#pragma once
// GPT-2 (Radford et al., 2019) with Hugging Face's parameter names and layouts, so a GPT-2
// checkpoint loads as it is:
//   wte.weight (V, C)  wpe.weight (block_size, C)
//   h.N.ln_1.{weight,bias}  h.N.attn.c_attn.{weight (C, 3C), bias}  h.N.attn.c_proj.{weight (C, C), bias}
//   h.N.ln_2.{weight,bias}  h.N.mlp.c_fc.{weight (C, I), bias}      h.N.mlp.c_proj.{weight (I, C), bias}
//   ln_f.{weight,bias}                                               (I: n_inner, 4C by default)
// The c_* weights are stored (in, out), as GPT-2's Conv1D. The language-model head is tied to wte
// and is not a separate entry of state_dict(). Hugging Face's GPT2LMHeadModel spells these
// "transformer.wte.weight", ... (see save_pretrained in pretrained.h); its GPT2Model as here.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ember/models/pretrained_options.h"
#include "ember/nn/layers.h"

namespace ember::models {

struct GPTConfig {
  int64_t vocab_size = 50257;
  int64_t block_size = 1024;  // n_positions: the longest sequence the model sees
  int64_t n_layer = 12;
  int64_t n_head = 12;
  int64_t n_embd = 768;
  double dropout = 0.0;       // embeddings, attention weights, residual branches
  bool bias = true;           // biases in the Conv1D layers and the LayerNorms
  double layer_norm_epsilon = 1e-5;
  // Hugging Face's GPT-2 options (config.json's keys), with its defaults:
  int64_t n_inner = 0;                         // the MLP's width; 0: 4 * n_embd (config.json's null)
  std::string activation_function = "gelu_new";  // gelu_new/gelu_pytorch_tanh (tanh GELU), gelu, relu, silu
  // Per-site dropout (config.json's embd_pdrop, attn_pdrop, resid_pdrop); unset: `dropout`.
  std::optional<double> embd_pdrop = std::nullopt, attn_pdrop = std::nullopt, resid_pdrop = std::nullopt;
  // Kept for config.json; generation takes its own stop token (GenerateOptions::stop_token).
  std::optional<int64_t> bos_token_id = std::nullopt, eos_token_id = std::nullopt;

  int64_t inner_size() const { return n_inner > 0 ? n_inner : 4 * n_embd; }
  double embd_dropout() const { return embd_pdrop.value_or(dropout); }
  double attn_dropout() const { return attn_pdrop.value_or(dropout); }
  double resid_dropout() const { return resid_pdrop.value_or(dropout); }
  // The parameter count of GPT (the head is tied and adds none) for this config, from the sizes alone.
  int64_t num_parameters() const;

  static GPTConfig gpt2();         // 124M: 12 layers, 12 heads, 768, context 1024, vocab 50257
  static GPTConfig baby();         // nanoGPT's shakespeare_char: 6/6/384, context 256, vocab 65
  static GPTConfig shakespeare();  // the shakespeare-gpt recipe: 4/4/128, context 64, vocab 65
  // Throws ember::Error naming the field when a value is out of range (n_embd % n_head != 0, ...).
  void validate() const;
  std::string str() const;  // "vocab_size=65 block_size=64 n_layer=4 ..."

  // From a Hugging Face GPT-2 config.json (its text; `source` names it in errors): vocab_size,
  // n_positions (block_size), n_embd, n_layer, n_head, n_inner, activation_function,
  // resid/embd/attn_pdrop, layer_norm_epsilon, bos/eos_token_id, with transformers' defaults for
  // absent keys. Options Ember does not implement (scale_attn_weights false,
  // scale_attn_by_inverse_layer_idx, add_cross_attention, tie_word_embeddings false) and sizes past
  // sane limits (n_embd over 65,536, ...) are ember::Errors naming the file and the key, raised
  // before anything is allocated.
  static GPTConfig from_hf_json(const std::string& json_text, const std::string& source = "config.json");
  static GPTConfig from_hf_json_file(const std::string& path);
  // config.json's text for transformers, with "architectures": [architecture] and "model_type":
  // "gpt2". Errors when bias is false (transformers' GPT-2 always has biases).
  std::string to_hf_json(const std::string& architecture = "GPT2LMHeadModel") const;
};

// GPT-2's Conv1D: a linear layer whose weight is stored (in, out): y = x @ weight + bias.
class Conv1D : public nn::Module {
 public:
  Conv1D(int64_t in_features, int64_t out_features, bool bias = true);
  Tensor forward(const Tensor& x) override;  // (*, in) -> (*, out)
  std::string name() const override { return "Conv1D"; }
  std::string extra_repr() const override;
  Tensor weight, bias;  // (in, out), (out)
  int64_t in_features, out_features;
};

// Past keys and values for incremental decoding: per layer (B, n_head, S, head_dim). Empty until
// the first forward that is given the cache; each forward appends its T new positions.
struct KVCache {
  std::vector<Tensor> keys, values;
  int64_t length() const { return keys.empty() ? 0 : keys[0].size(2); }  // S, the positions seen
  void clear() { keys.clear(), values.clear(); }
};

class CausalSelfAttention : public nn::Module {
 public:
  explicit CausalSelfAttention(const GPTConfig& cfg);
  // x (B, T, C); with a layer cache (keys/values of the previous positions, updated in place)
  // the T queries sit at positions past..past+T-1 and attend to every earlier position.
  Tensor forward(const Tensor& x, Tensor* past_k, Tensor* past_v);
  std::string name() const override { return "CausalSelfAttention"; }
  std::shared_ptr<Conv1D> c_attn, c_proj;
  std::shared_ptr<nn::Dropout> resid_dropout;
  int64_t n_head, n_embd;
  double attn_dropout;
};

class MLP : public nn::Module {
 public:
  explicit MLP(const GPTConfig& cfg);
  // (B, T, C) -> (B, T, I) -> (B, T, C), the activation (GELU (tanh) by default) in between
  Tensor forward(const Tensor& x) override;
  std::string name() const override { return "MLP"; }
  std::shared_ptr<Conv1D> c_fc, c_proj;
  std::shared_ptr<nn::Dropout> dropout;
  std::string activation;  // GPTConfig::activation_function
};

class Block : public nn::Module {
 public:
  explicit Block(const GPTConfig& cfg);
  // Pre-norm: x + attn(ln_1(x)), then + mlp(ln_2(.)).
  Tensor forward(const Tensor& x, Tensor* past_k, Tensor* past_v);
  std::string name() const override { return "Block"; }
  std::shared_ptr<nn::LayerNorm> ln_1, ln_2;
  std::shared_ptr<CausalSelfAttention> attn;
  std::shared_ptr<MLP> mlp;
};

struct GPTOutput {
  Tensor logits;  // (B, T, V)
  Tensor loss;    // 0-dim mean cross-entropy; undefined without targets
};

class GPT : public nn::Module {
 public:
  // Parameters get GPT-2's initialization (normal(0, 0.02), residual projections c_proj scaled
  // by 1/sqrt(2 n_layer), zero biases, unit LayerNorms) from `gen` (default: the default generator).
  explicit GPT(const GPTConfig& cfg, Generator* gen = nullptr);

  // idx (B, T) int64 token ids. targets (B, T) int64 (optional; -1 positions are ignored) gives
  // the mean cross-entropy loss. With a cache, idx holds the T tokens after the cache's positions
  // and the cache is extended by them; the logits equal those of a full forward over the whole
  // sequence. Errors when past + T > block_size or a token id is outside [0, vocab_size).
  GPTOutput forward(const Tensor& idx, const Tensor& targets = Tensor(), KVCache* cache = nullptr);
  // The mean cross-entropy of forward(idx, targets).loss without materializing the (B, T, V)
  // logits (linear_cross_entropy): what training needs, at a fraction of the memory for GPT-2's
  // 50,257-token vocabulary. Not differentiable twice.
  Tensor loss(const Tensor& idx, const Tensor& targets);
  // The final LayerNorm's output (B, T, C), before the language-model head; arguments and errors
  // as forward().
  Tensor hidden_states(const Tensor& idx, KVCache* cache = nullptr);
  // Logits of the last position only (B, V): what decoding needs, without the head's cost at
  // every other position.
  Tensor next_token_logits(const Tensor& idx, KVCache* cache = nullptr);
  std::string name() const override { return "GPT"; }

  // A Hugging Face GPT-2 folder (config.json + model.safetensors or its shards) as Ember's GPT,
  // which is GPT2LMHeadModel: weights with or without the "transformer." prefix; lm_head.weight,
  // when present, must equal wte (tied). See models::from_pretrained (pretrained.h); the model is
  // returned in eval mode, as transformers returns it.
  static std::shared_ptr<GPT> from_pretrained(const std::string& dir, const PretrainedOptions& opts = {},
                                              LoadReport* report = nullptr);

  // Loads a GPT-2 checkpoint in safetensors with Hugging Face's names: with or without the
  // "transformer." prefix of GPT2LMHeadModel; its attention-mask buffers (h.N.attn.bias,
  // h.N.attn.masked_bias) and lm_head.weight (tied to wte) are skipped; float16/bfloat16 weights
  // are converted. Every other key must match (names and shapes), as load_state_dict(strict).
  void load_safetensors(const std::string& path);

  // Parameters with the 2-D weights (matmuls and embeddings) in the first group and the rest
  // (biases, LayerNorms) in the second: nanoGPT decays only the first.
  std::pair<std::vector<Tensor>, std::vector<Tensor>> decay_groups() const;

  GPTConfig config;
  std::shared_ptr<nn::Embedding> wte, wpe;
  std::shared_ptr<nn::Dropout> drop;
  std::shared_ptr<nn::ModuleList> h;
  std::shared_ptr<nn::LayerNorm> ln_f;
  std::vector<std::shared_ptr<Block>> blocks;  // h's children, typed
};

// GPT-2 without its language-model head (Hugging Face's GPT2Model): GPT's parameters and names
// (GPT's head is tied to wte and owns none), with a forward that returns the final hidden states.
// It derives from GPT so that one implementation runs both.
class GPT2Model : public GPT {
 public:
  using GPT::GPT;
  // idx (B, T) int64 -> last_hidden_state (B, T, C), after ln_f; arguments and errors as GPT::forward.
  Tensor forward(const Tensor& idx) override { return hidden_states(idx); }
  Tensor forward(const Tensor& idx, KVCache* cache) { return hidden_states(idx, cache); }
  std::string name() const override { return "GPT2Model"; }
  // As GPT::from_pretrained; an lm_head.weight in the checkpoint is an unexpected key here.
  static std::shared_ptr<GPT2Model> from_pretrained(const std::string& dir, const PretrainedOptions& opts = {},
                                                    LoadReport* report = nullptr);
};

}  // namespace ember::models
