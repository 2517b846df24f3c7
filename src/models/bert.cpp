// BERT's encoder: embeddings (word + position + token type, LayerNorm), post-norm layers of
// self-attention and a feed-forward (GELU by default), and the tanh pooler over the first token.
#include "ember/models/bert.h"

#include <algorithm>

#include "ember/autograd.h"
#include "ember/io/safetensors.h"
#include "ember/nn/init.h"
#include "ember/ops.h"
#include "models/hf_activation.h"
#include "models/hf_checkpoint.h"

namespace ember::models {

BertConfig BertConfig::base() { return BertConfig{}; }

void BertConfig::validate() const {
  const char* op = "BertConfig";
  EMBER_CHECK(vocab_size > 0, op, "vocab_size must be positive, got ", vocab_size);
  EMBER_CHECK(hidden_size > 0 && num_attention_heads > 0 && hidden_size % num_attention_heads == 0, op,
              "hidden_size (", hidden_size, ") must be a positive multiple of num_attention_heads (",
              num_attention_heads, ")");
  EMBER_CHECK(num_hidden_layers > 0, op, "num_hidden_layers must be positive, got ", num_hidden_layers);
  EMBER_CHECK(intermediate_size > 0, op, "intermediate_size must be positive, got ", intermediate_size);
  EMBER_CHECK(max_position_embeddings > 0, op, "max_position_embeddings must be positive, got ", max_position_embeddings);
  EMBER_CHECK(type_vocab_size > 0, op, "type_vocab_size must be positive, got ", type_vocab_size);
  EMBER_CHECK(hidden_dropout_prob >= 0 && hidden_dropout_prob < 1, op, "hidden_dropout_prob must be in [0, 1), got ",
              hidden_dropout_prob);
  EMBER_CHECK(attention_probs_dropout_prob >= 0 && attention_probs_dropout_prob < 1, op,
              "attention_probs_dropout_prob must be in [0, 1), got ", attention_probs_dropout_prob);
  EMBER_CHECK(layer_norm_eps > 0, op, "layer_norm_eps must be positive, got ", layer_norm_eps);
  EMBER_CHECK(pad_token_id >= -1 && pad_token_id < vocab_size, op, "pad_token_id ", pad_token_id,
              " is outside the vocabulary [0, ", vocab_size, ") (-1: no padding token)");
  EMBER_CHECK(is_hf_activation(hidden_act), op, "hidden_act '", hidden_act, "' is not supported; use one of ",
              hf_activation_list());
  EMBER_CHECK(num_labels > 0, op, "num_labels must be positive, got ", num_labels);
  EMBER_CHECK(id2label.empty() || static_cast<int64_t>(id2label.size()) == num_labels, op, "id2label names ",
              id2label.size(), " labels but num_labels is ", num_labels, "; give one name per label or none");
  EMBER_CHECK(!classifier_dropout || (*classifier_dropout >= 0 && *classifier_dropout < 1), op,
              "classifier_dropout must be in [0, 1), got ", classifier_dropout.value_or(0));
  EMBER_CHECK(problem_type.empty() || problem_type == "regression" || problem_type == "single_label_classification" ||
                  problem_type == "multi_label_classification",
              op, "problem_type '", problem_type,
              "' is not one of regression, single_label_classification, multi_label_classification");
}

int64_t BertConfig::num_parameters() const {
  const int64_t H = hidden_size, I = intermediate_size;
  const int64_t layer = 4 * (H * H + H) + 2 * 2 * H + (H * I + I) + (I * H + H);  // attention, 2 LayerNorms, MLP
  return (vocab_size + max_position_embeddings + type_vocab_size) * H + 2 * H + num_hidden_layers * layer + H * H + H;
}

namespace {
void check_ids(const Tensor& ids, int64_t n, const char* what, const char* size_name) {
  Tensor c = ids.contiguous();
  const int64_t* p = c.data_ptr<int64_t>();
  const int64_t T = ids.size(1);
  for (int64_t i = 0; i < c.numel(); ++i)
    EMBER_CHECK(p[i] >= 0 && p[i] < n, "BertModel", what, " ", p[i], " at position (", i / T, ", ", i % T,
                ") is outside [0, ", n, ") (", size_name, " ", n, ")");
}
}  // namespace

// ---- BertEmbeddings ----
BertEmbeddings::BertEmbeddings(const BertConfig& cfg) {
  word_embeddings =
      register_module("word_embeddings", std::make_shared<nn::Embedding>(
          cfg.vocab_size, cfg.hidden_size, cfg.pad_token_id >= 0 ? std::optional<int64_t>(cfg.pad_token_id) : std::nullopt));
  position_embeddings =
      register_module("position_embeddings", std::make_shared<nn::Embedding>(cfg.max_position_embeddings, cfg.hidden_size));
  token_type_embeddings =
      register_module("token_type_embeddings", std::make_shared<nn::Embedding>(cfg.type_vocab_size, cfg.hidden_size));
  LayerNorm = register_module("LayerNorm", std::make_shared<nn::LayerNorm>(cfg.hidden_size, cfg.layer_norm_eps));
  dropout = register_module("dropout", std::make_shared<nn::Dropout>(cfg.hidden_dropout_prob));
}

Tensor BertEmbeddings::forward(const Tensor& input_ids, const Tensor& token_type_ids) {
  const int64_t T = input_ids.size(1);
  Tensor e = word_embeddings->forward(input_ids) + token_type_embeddings->forward(token_type_ids);  // (B, T, H)
  e = e + position_embeddings->forward(arange(T));  // + (T, H)
  return dropout->forward(LayerNorm->forward(e));
}

// ---- BertSelfAttention ----
BertSelfAttention::BertSelfAttention(const BertConfig& cfg)
    : num_heads(cfg.num_attention_heads),
      head_size(cfg.hidden_size / cfg.num_attention_heads),
      dropout_p(cfg.attention_probs_dropout_prob) {
  query = register_module("query", std::make_shared<nn::Linear>(cfg.hidden_size, cfg.hidden_size));
  key = register_module("key", std::make_shared<nn::Linear>(cfg.hidden_size, cfg.hidden_size));
  value = register_module("value", std::make_shared<nn::Linear>(cfg.hidden_size, cfg.hidden_size));
}

Tensor BertSelfAttention::forward(const Tensor& x, const Tensor& keep) {
  const int64_t B = x.size(0), T = x.size(1);
  auto heads = [&](nn::Linear& proj) {  // (B, T, H) -> (B, nh, T, hs)
    return proj.forward(x).view({B, T, num_heads, head_size}).transpose(1, 2);
  };
  Tensor ctx = scaled_dot_product_attention(heads(*query), heads(*key), heads(*value), keep,
                                            is_training() ? dropout_p : 0.0);  // (B, nh, T, hs)
  return ctx.transpose(1, 2).reshape({B, T, num_heads * head_size});            // (B, T, H)
}

// ---- BertSelfOutput / BertOutput ----
BertResidualOutput::BertResidualOutput(const BertConfig& cfg, int64_t in_features, std::string type_name)
    : type_name_(std::move(type_name)) {
  dense = register_module("dense", std::make_shared<nn::Linear>(in_features, cfg.hidden_size));
  LayerNorm = register_module("LayerNorm", std::make_shared<nn::LayerNorm>(cfg.hidden_size, cfg.layer_norm_eps));
  dropout = register_module("dropout", std::make_shared<nn::Dropout>(cfg.hidden_dropout_prob));
}

Tensor BertResidualOutput::forward(const Tensor& x, const Tensor& residual) {
  return LayerNorm->forward(dropout->forward(dense->forward(x)) + residual);  // (B, T, H)
}

// ---- BertAttention, BertIntermediate, BertLayer ----
BertAttention::BertAttention(const BertConfig& cfg) {
  self_attention = register_module("self", std::make_shared<BertSelfAttention>(cfg));
  output = register_module("output", std::make_shared<BertResidualOutput>(cfg, cfg.hidden_size, "BertSelfOutput"));
}

Tensor BertAttention::forward(const Tensor& x, const Tensor& keep) {
  return output->forward(self_attention->forward(x, keep), x);
}

BertIntermediate::BertIntermediate(const BertConfig& cfg) : hidden_act(cfg.hidden_act) {
  dense = register_module("dense", std::make_shared<nn::Linear>(cfg.hidden_size, cfg.intermediate_size));
}

Tensor BertIntermediate::forward(const Tensor& x) { return hf_activation(dense->forward(x), hidden_act); }

BertLayer::BertLayer(const BertConfig& cfg) {
  attention = register_module("attention", std::make_shared<BertAttention>(cfg));
  intermediate = register_module("intermediate", std::make_shared<BertIntermediate>(cfg));
  output = register_module("output", std::make_shared<BertResidualOutput>(cfg, cfg.intermediate_size, "BertOutput"));
}

Tensor BertLayer::forward(const Tensor& x, const Tensor& keep) {
  Tensor a = attention->forward(x, keep);                 // (B, T, H)
  return output->forward(intermediate->forward(a), a);    // (B, T, I) -> (B, T, H)
}

namespace {
// A named container with no forward of its own ("encoder", "pooler").
class Container : public nn::Module {
 public:
  explicit Container(std::string type) : type_(std::move(type)) {}
  std::string name() const override { return type_; }

 private:
  std::string type_;
};
}  // namespace

// ---- BertModel ----
BertModel::BertModel(const BertConfig& cfg, Generator* gen) : config(cfg) {
  config.validate();
  embeddings = register_module("embeddings", std::make_shared<BertEmbeddings>(cfg));
  encoder = register_module("encoder", std::make_shared<Container>("BertEncoder"));
  layer = encoder->register_module("layer", std::make_shared<nn::ModuleList>());
  for (int64_t i = 0; i < cfg.num_hidden_layers; ++i) {
    layers.push_back(std::make_shared<BertLayer>(cfg));
    layer->push_back(layers.back());
  }
  auto pooler = register_module("pooler", std::make_shared<Container>("BertPooler"));
  pooler_dense = pooler->register_module("dense", std::make_shared<nn::Linear>(cfg.hidden_size, cfg.hidden_size));

  // Hugging Face's _init_weights, in state_dict order so a seed fixes every value.
  NoGradGuard ng;
  for (auto& [name, p] : named_parameters()) {
    if (name.find("LayerNorm") != std::string::npos) {
      if (name.ends_with(".bias")) nn::init::zeros_(p);
      else nn::init::ones_(p);
    } else if (name.ends_with(".bias")) {
      nn::init::zeros_(p);
    } else {
      nn::init::normal_(p, 0.0, 0.02, gen);
    }
  }
  if (cfg.pad_token_id >= 0) embeddings->word_embeddings->weight.select(0, cfg.pad_token_id).zero_();
}

BertOutput BertModel::forward(const Tensor& input_ids, const Tensor& attention_mask, const Tensor& token_type_ids) {
  const char* op = "BertModel";
  EMBER_CHECK(input_ids.defined() && input_ids.dim() == 2 && input_ids.dtype() == DType::Int64, op,
              "input_ids must be a (B, T) int64 tensor, got ",
              input_ids.defined() ? dtype_name(input_ids.dtype()) + std::string(" ") + shape_str(input_ids.shape())
                                  : std::string("an undefined tensor"));
  const int64_t B = input_ids.size(0), T = input_ids.size(1);
  EMBER_CHECK(B > 0 && T > 0, op, "input_ids must hold at least one token, got shape ", shape_str(input_ids.shape()));
  EMBER_CHECK(T <= config.max_position_embeddings, op, "sequence length ", T, " exceeds max_position_embeddings ",
              config.max_position_embeddings, "; truncate the input");
  check_ids(input_ids, config.vocab_size, "token id", "vocab_size");
  Tensor types = token_type_ids.defined() ? token_type_ids : zeros({B, T}, DType::Int64);
  EMBER_CHECK(types.shape() == input_ids.shape() && types.dtype() == DType::Int64, op,
              "token_type_ids must be int64 with input_ids' shape ", shape_str(input_ids.shape()), ", got ",
              dtype_name(types.dtype()), " ", shape_str(types.shape()));
  check_ids(types, config.type_vocab_size, "token type id", "type_vocab_size");

  Tensor keep;  // (B, 1, 1, T) bool: which keys each query may attend to
  if (attention_mask.defined()) {
    EMBER_CHECK(attention_mask.shape() == input_ids.shape(), op, "attention_mask must have input_ids' shape ",
                shape_str(input_ids.shape()), ", got ", shape_str(attention_mask.shape()));
    Tensor real = (attention_mask.dtype() == DType::Bool ? attention_mask : ne(attention_mask, 0)).contiguous();  // (B, T)
    // A sequence of padding only would leave its queries nothing to attend to (NaN in softmax).
    const bool* r = real.data_ptr<bool>();
    for (int64_t b = 0; b < B; ++b)
      EMBER_CHECK(std::any_of(r + b * T, r + (b + 1) * T, [](bool v) { return v; }), op, "attention_mask row ", b,
                  " marks all ", T, " tokens as padding; every sequence needs at least one real token");
    keep = real.view({B, 1, 1, T});
  }
  Tensor x = embeddings->forward(input_ids, types);  // (B, T, H)
  for (auto& l : layers) x = l->forward(x, keep);
  Tensor first = x.select(1, 0);                     // (B, H)
  return {x, tanh(pooler_dense->forward(first))};
}

void BertModel::load_safetensors(const std::string& path) {
  io::SafetensorsFile f = io::load_safetensors(path);
  nn::NamedTensors state;
  for (auto& [key, value] : f.tensors) {
    if (key.rfind("cls.", 0) == 0) continue;  // pre-training heads (masked LM, next sentence)
    std::string k = strip_prefix(key, "bert.");
    if (k == "embeddings.position_ids") continue;  // a buffer of arange(max_position_embeddings)
    state.emplace_back(k, value);
  }
  load_hf_state(*this, state, path);
}

}  // namespace ember::models
