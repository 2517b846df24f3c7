// GPT-2: token + position embeddings, n_layer pre-norm blocks (causal self-attention, GELU MLP),
// a final LayerNorm and the language-model head tied to the token embedding.
#include "ember/models/gpt.h"

#include <cmath>
#include <sstream>

#include "ember/autograd.h"
#include "ember/io/safetensors.h"
#include "ember/nn/init.h"
#include "ember/ops.h"
#include "ember/ops/gelu_addmm.h"
#include "models/hf_activation.h"
#include "models/hf_checkpoint.h"

namespace ember::models {

// ---- GPTConfig ----
GPTConfig GPTConfig::gpt2() { return GPTConfig{}; }
GPTConfig GPTConfig::baby() {
  return {.vocab_size = 65, .block_size = 256, .n_layer = 6, .n_head = 6, .n_embd = 384};
}
GPTConfig GPTConfig::shakespeare() {
  return {.vocab_size = 65, .block_size = 64, .n_layer = 4, .n_head = 4, .n_embd = 128};
}

void GPTConfig::validate() const {
  const char* op = "GPTConfig";
  EMBER_CHECK(vocab_size > 0, op, "vocab_size must be positive, got ", vocab_size);
  EMBER_CHECK(block_size > 0, op, "block_size must be positive, got ", block_size);
  EMBER_CHECK(n_layer > 0, op, "n_layer must be positive, got ", n_layer);
  EMBER_CHECK(n_head > 0, op, "n_head must be positive, got ", n_head);
  EMBER_CHECK(n_embd > 0 && n_embd % n_head == 0, op, "n_embd (", n_embd, ") must be a positive multiple of n_head (",
              n_head, ") so that the heads split it evenly");
  EMBER_CHECK(dropout >= 0.0 && dropout < 1.0, op, "dropout must be in [0, 1), got ", dropout);
  EMBER_CHECK(layer_norm_epsilon > 0.0, op, "layer_norm_epsilon must be positive, got ", layer_norm_epsilon);
  EMBER_CHECK(n_inner >= 0, op, "n_inner must be positive (or 0 for 4 * n_embd), got ", n_inner);
  EMBER_CHECK(is_hf_activation(activation_function), op, "activation_function '", activation_function,
              "' is not supported; use one of ", hf_activation_list());
  for (auto [name, p] : {std::pair{"embd_pdrop", embd_pdrop}, {"attn_pdrop", attn_pdrop}, {"resid_pdrop", resid_pdrop}})
    EMBER_CHECK(!p || (*p >= 0.0 && *p < 1.0), op, name, " must be in [0, 1), got ", p.value_or(0));
}

int64_t GPTConfig::num_parameters() const {
  const int64_t C = n_embd, I = inner_size(), ln = bias ? 2 * C : C, b = bias ? 1 : 0;
  const int64_t layer = 2 * ln + (C * 3 * C + b * 3 * C) + (C * C + b * C) + (C * I + b * I) + (I * C + b * C);
  return (vocab_size + block_size) * C + n_layer * layer + ln;
}

std::string GPTConfig::str() const {
  std::ostringstream os;
  os << "vocab_size=" << vocab_size << " block_size=" << block_size << " n_layer=" << n_layer << " n_head=" << n_head
     << " n_embd=" << n_embd << " dropout=" << dropout << " bias=" << bias << " layer_norm_epsilon=" << layer_norm_epsilon;
  // Hugging Face's options, only where they differ from GPT-2's (nanoGPT configs never set them).
  if (n_inner > 0) os << " n_inner=" << n_inner;
  if (activation_function != "gelu_new") os << " activation_function=" << activation_function;
  if (embd_pdrop) os << " embd_pdrop=" << *embd_pdrop;
  if (attn_pdrop) os << " attn_pdrop=" << *attn_pdrop;
  if (resid_pdrop) os << " resid_pdrop=" << *resid_pdrop;
  return os.str();
}

// ---- Conv1D ----
Conv1D::Conv1D(int64_t in, int64_t out, bool has_bias) : in_features(in), out_features(out) {
  EMBER_CHECK(in > 0 && out > 0, "Conv1D", "in_features and out_features must be positive, got ", in, " and ", out);
  weight = register_parameter("weight", empty({in, out}));
  if (has_bias) bias = register_parameter("bias", zeros({out}));
  nn::init::normal_(weight, 0.0, 0.02);  // GPT-2's initializer_range
}

Tensor Conv1D::forward(const Tensor& x) {
  EMBER_CHECK(x.dim() >= 1 && x.size(-1) == in_features, "Conv1D", "expected input with last dim ", in_features,
              " (in_features), got shape ", shape_str(x.shape()));
  Tensor x2 = x.reshape({-1, in_features});                           // (*, in) -> (N, in)
  Tensor y = bias.defined() ? addmm(bias, x2, weight) : mm(x2, weight);  // (N, in) @ (in, out) -> (N, out)
  Shape out_shape = x.shape();
  out_shape.back() = out_features;
  return y.view(out_shape);                                           // (*, out)
}

std::string Conv1D::extra_repr() const {
  std::ostringstream os;
  os << "nx=" << in_features << ", nf=" << out_features << (bias.defined() ? "" : ", bias=False");
  return os.str();
}

namespace {

std::shared_ptr<nn::LayerNorm> make_layer_norm(const GPTConfig& cfg) {
  auto ln = std::make_shared<nn::LayerNorm>(cfg.n_embd, cfg.layer_norm_epsilon);
  if (!cfg.bias) {  // nanoGPT's bias=False: a weight but no bias (undefined entries leave state_dict)
    ln->bias = Tensor();
    ln->param("bias") = Tensor();
  }
  return ln;
}

}  // namespace

// ---- CausalSelfAttention ----
CausalSelfAttention::CausalSelfAttention(const GPTConfig& cfg)
    : n_head(cfg.n_head), n_embd(cfg.n_embd), attn_dropout(cfg.attn_dropout()) {
  c_attn = register_module("c_attn", std::make_shared<Conv1D>(cfg.n_embd, 3 * cfg.n_embd, cfg.bias));
  c_proj = register_module("c_proj", std::make_shared<Conv1D>(cfg.n_embd, cfg.n_embd, cfg.bias));
  resid_dropout = register_module("resid_dropout", std::make_shared<nn::Dropout>(cfg.resid_dropout()));
}

Tensor CausalSelfAttention::forward(const Tensor& x, Tensor* past_k, Tensor* past_v) {
  const int64_t B = x.size(0), T = x.size(1), C = n_embd, hd = C / n_head;
  Tensor qkv = c_attn->forward(x);                    // (B, T, C) -> (B, T, 3C)
  auto heads = [&](int64_t i) {                       // (B, T, 3C) -> (B, nh, T, hd), a view
    return qkv.narrow(2, i * C, C).view({B, T, n_head, hd}).transpose(1, 2);
  };
  Tensor q = heads(0), k = heads(1), v = heads(2);
  const int64_t past = past_k && past_k->defined() ? past_k->size(2) : 0;
  if (past_k) {
    if (past > 0) {
      k = cat({*past_k, k}, 2);                       // (B, nh, past + T, hd)
      v = cat({*past_v, v}, 2);
    } else {
      k = k.contiguous(), v = v.contiguous();
    }
    *past_k = k.detach(), *past_v = v.detach();
  }
  const double p = is_training() ? attn_dropout : 0.0;
  Tensor y;
  if (past == 0) {
    y = scaled_dot_product_attention(q, k, v, Tensor(), p, /*is_causal=*/true);  // (B, nh, T, hd)
  } else if (T == 1) {
    y = scaled_dot_product_attention(q, k, v, Tensor(), p);  // the newest query sees every key
  } else {
    // Query i sits at position past + i and sees keys 0..past + i.
    Tensor keep = tril(ones({T, past + T}, DType::Bool), past);  // (T, past + T)
    y = scaled_dot_product_attention(q, k, v, keep, p);
  }
  y = y.transpose(1, 2).reshape({B, T, C});           // (B, nh, T, hd) -> (B, T, C)
  return resid_dropout->forward(c_proj->forward(y));
}

// ---- MLP ----
MLP::MLP(const GPTConfig& cfg) : activation(cfg.activation_function) {
  c_fc = register_module("c_fc", std::make_shared<Conv1D>(cfg.n_embd, cfg.inner_size(), cfg.bias));
  c_proj = register_module("c_proj", std::make_shared<Conv1D>(cfg.inner_size(), cfg.n_embd, cfg.bias));
  dropout = register_module("dropout", std::make_shared<nn::Dropout>(cfg.resid_dropout()));
}

Tensor MLP::forward(const Tensor& x) {
  Tensor pre = c_fc->forward(x);                                  // (B, T, C) -> (B, T, I)
  Tensor pre2 = pre.reshape({-1, c_proj->in_features});           // (N, I)
  Tensor y;
  const std::string approximate = hf_gelu_approximate(activation);
  if (!approximate.empty()) {
    // c_proj(gelu(pre)), with the GELU recomputed in backward instead of saved: one (N, I)
    // activation less per layer (151 MB for GPT-2 124M at batch 4 x 256), same values bit for bit.
    y = gelu_addmm(c_proj->bias, pre2, c_proj->weight, approximate);  // (N, I) @ (I, C) -> (N, C)
  } else {
    y = c_proj->forward(hf_activation(pre2, activation));             // (N, I) -> (N, C)
  }
  Shape out_shape = x.shape();
  out_shape.back() = c_proj->out_features;
  return dropout->forward(y.view(out_shape));                     // (B, T, C)
}

// ---- Block ----
Block::Block(const GPTConfig& cfg) {
  ln_1 = register_module("ln_1", make_layer_norm(cfg));
  attn = register_module("attn", std::make_shared<CausalSelfAttention>(cfg));
  ln_2 = register_module("ln_2", make_layer_norm(cfg));
  mlp = register_module("mlp", std::make_shared<MLP>(cfg));
}

Tensor Block::forward(const Tensor& x, Tensor* past_k, Tensor* past_v) {
  Tensor h1 = x + attn->forward(ln_1->forward(x), past_k, past_v);  // (B, T, C)
  return h1 + mlp->forward(ln_2->forward(h1));
}

// ---- GPT ----
GPT::GPT(const GPTConfig& cfg, Generator* gen) : config(cfg) {
  config.validate();
  wte = register_module("wte", std::make_shared<nn::Embedding>(cfg.vocab_size, cfg.n_embd));
  wpe = register_module("wpe", std::make_shared<nn::Embedding>(cfg.block_size, cfg.n_embd));
  drop = register_module("drop", std::make_shared<nn::Dropout>(cfg.embd_dropout()));
  h = register_module("h", std::make_shared<nn::ModuleList>());
  for (int64_t i = 0; i < cfg.n_layer; ++i) {
    blocks.push_back(std::make_shared<Block>(cfg));
    h->push_back(blocks.back());
  }
  ln_f = register_module("ln_f", make_layer_norm(cfg));

  // GPT-2's initialization, drawn in state_dict order so a seed fixes every value.
  const double residual_std = 0.02 / std::sqrt(2.0 * static_cast<double>(cfg.n_layer));
  for (auto& [name, p] : named_parameters()) {
    const bool is_bias = name.ends_with(".bias");
    const bool is_ln = name.find("ln_") != std::string::npos;
    if (is_ln) {
      if (is_bias) nn::init::zeros_(p);
      else nn::init::ones_(p);
    } else if (is_bias) {
      nn::init::zeros_(p);
    } else {
      const bool residual = name.ends_with("c_proj.weight");
      nn::init::normal_(p, 0.0, residual ? residual_std : 0.02, gen);
    }
  }
}

Tensor GPT::hidden_states(const Tensor& idx, KVCache* cache) {
  const char* op = "GPT.forward";
  EMBER_CHECK(idx.defined() && idx.dim() == 2, op, "idx must be a (B, T) tensor of token ids, got ",
              idx.defined() ? shape_str(idx.shape()) : std::string("an undefined tensor"));
  EMBER_CHECK(idx.dtype() == DType::Int64, op, "idx must be int64 token ids, got ", dtype_name(idx.dtype()));
  const int64_t B = idx.size(0), T = idx.size(1), V = config.vocab_size;
  EMBER_CHECK(B > 0 && T > 0, op, "idx must hold at least one token, got shape ", shape_str(idx.shape()));
  const int64_t past = cache ? cache->length() : 0;
  if (cache && !cache->keys.empty()) {
    EMBER_CHECK(static_cast<int64_t>(cache->keys.size()) == config.n_layer && cache->values.size() == cache->keys.size(),
                op, "the KV cache holds ", cache->keys.size(), " layers but the model has ", config.n_layer,
                "; pass an empty cache");
    EMBER_CHECK(cache->keys[0].size(0) == B, op, "the KV cache was built for batch size ", cache->keys[0].size(0),
                ", got idx of shape ", shape_str(idx.shape()), "; clear() the cache for a new batch");
  }
  EMBER_CHECK(past + T <= config.block_size, op, "cannot forward a sequence of length ", past + T,
              past ? detail::str_cat(" (", past, " cached + ", T, " new)") : std::string(), ": block_size is only ",
              config.block_size, " (n_positions in config.json); crop the input to its last ", config.block_size, " tokens");
  {
    Tensor ic = idx.contiguous();
    const int64_t* p = ic.data_ptr<int64_t>();
    for (int64_t i = 0; i < B * T; ++i)
      EMBER_CHECK(p[i] >= 0 && p[i] < V, op, "token id ", p[i], " at position (", i / T, ", ", i % T,
                  ") is outside the vocabulary [0, ", V, ") (vocab_size ", V, ")");
  }
  if (cache && cache->keys.empty()) {
    cache->keys.resize(static_cast<size_t>(config.n_layer));
    cache->values.resize(static_cast<size_t>(config.n_layer));
  }

  Tensor pos = arange(past, past + T);                          // (T)
  Tensor x = drop->forward(wte->forward(idx) + wpe->forward(pos));  // (B, T, C) + (T, C) -> (B, T, C)
  for (size_t i = 0; i < blocks.size(); ++i)
    x = blocks[i]->forward(x, cache ? &cache->keys[i] : nullptr, cache ? &cache->values[i] : nullptr);
  return ln_f->forward(x);
}

GPTOutput GPT::forward(const Tensor& idx, const Tensor& targets, KVCache* cache) {
  if (targets.defined())
    EMBER_CHECK(idx.defined() && targets.shape() == idx.shape() && targets.dtype() == DType::Int64, "GPT.forward",
                "targets must be int64 with idx's shape ", idx.defined() ? shape_str(idx.shape()) : "", ", got ",
                dtype_name(targets.dtype()), " ", shape_str(targets.shape()));
  Tensor x = hidden_states(idx, cache);  // (B, T, C)
  GPTOutput out;
  out.logits = linear(x, wte->weight);    // (B, T, C) @ (C, V) -> (B, T, V)
  if (targets.defined()) {
    const int64_t BT = idx.numel(), V = config.vocab_size;
    out.loss = cross_entropy(out.logits.view({BT, V}), targets.reshape({BT}), Tensor(), /*ignore_index=*/-1);
  }
  return out;
}

Tensor GPT::loss(const Tensor& idx, const Tensor& targets) {
  EMBER_CHECK(idx.defined() && targets.defined() && targets.shape() == idx.shape() && targets.dtype() == DType::Int64,
              "GPT.loss", "targets must be int64 with idx's shape ", idx.defined() ? shape_str(idx.shape()) : "", ", got ",
              targets.defined() ? dtype_name(targets.dtype()) + std::string(" ") + shape_str(targets.shape())
                                : std::string("an undefined tensor"));
  Tensor x = hidden_states(idx);  // (B, T, C)
  const int64_t BT = idx.numel();
  return linear_cross_entropy(x.view({BT, config.n_embd}), wte->weight, targets.reshape({BT}), /*ignore_index=*/-1);
}

Tensor GPT::next_token_logits(const Tensor& idx, KVCache* cache) {
  Tensor x = hidden_states(idx, cache);           // (B, T, C)
  return linear(x.select(1, x.size(1) - 1), wte->weight);  // (B, C) @ (C, V) -> (B, V)
}

void GPT::load_safetensors(const std::string& path) {
  io::SafetensorsFile f = io::load_safetensors(path);
  nn::NamedTensors state;
  Tensor lm_head;
  for (auto& [key, value] : f.tensors) {
    std::string k = strip_prefix(key, "transformer.");
    if (k == "lm_head.weight") {
      lm_head = value;
      continue;
    }
    // GPT-2's causal-mask buffers, not parameters.
    if (ends_with(k, ".attn.bias") || ends_with(k, ".attn.masked_bias")) continue;
    state.emplace_back(k, value);
  }
  load_hf_state(*this, state, path);
  if (lm_head.defined()) {
    NoGradGuard ng;
    EMBER_CHECK(lm_head.shape() == wte->weight.shape() && ember::equal(lm_head.to(DType::Float32), wte->weight), "GPT",
                "'", path, "': lm_head.weight differs from wte.weight, but this GPT ties its output layer to the token "
                "embedding; an untied checkpoint cannot be loaded");
  }
}

std::pair<std::vector<Tensor>, std::vector<Tensor>> GPT::decay_groups() const {
  std::vector<Tensor> decay, no_decay;
  for (auto& p : parameters()) (p.dim() >= 2 ? decay : no_decay).push_back(p);
  return {decay, no_decay};
}

}  // namespace ember::models
