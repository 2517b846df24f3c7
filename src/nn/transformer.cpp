// Transformer layers and stacks, as torch.nn.TransformerEncoderLayer / TransformerDecoderLayer /
// TransformerEncoder / TransformerDecoder (1.13 forward, 2.x is_causal flags): post-norm
//   x = norm1(x + sa(x)); x = norm2(x + ff(x))
// or pre-norm (norm_first)
//   x = x + sa(norm1(x)); x = x + ff(norm2(x)),
// with the decoder's cross-attention block between them.
#include "ember/nn/transformer.h"

#include "ember/ops.h"

namespace ember::nn {

namespace {

void check_layer_args(const char* layer, int64_t d_model, int64_t nhead, int64_t dim_ff, const std::string& act) {
  EMBER_CHECK(d_model > 0 && nhead > 0 && dim_ff > 0, layer, "d_model, nhead and dim_feedforward must be positive, got ",
              d_model, ", ", nhead, " and ", dim_ff);
  EMBER_CHECK(d_model % nhead == 0, layer, "d_model (", d_model, ") must be divisible by nhead (", nhead, ")");
  EMBER_CHECK(act == "relu" || act == "gelu", layer, "activation should be relu/gelu, not '", act, "'");
}

void check_input(const char* layer, const char* what, const Tensor& x, int64_t d_model) {
  EMBER_CHECK(x.defined() && (x.dim() == 2 || x.dim() == 3) && x.size(-1) == d_model, layer, what,
              " must be (T, N, d_model), (N, T, d_model) with batch_first, or (T, d_model), with d_model=", d_model,
              "; got ", x.defined() ? shape_str(x.shape()) : std::string("an undefined tensor"));
}

Tensor activate(const std::string& act, const Tensor& x) { return act == "relu" ? relu(x) : gelu(x); }

}  // namespace

// ---- TransformerEncoderLayer ----

TransformerEncoderLayer::TransformerEncoderLayer(int64_t d, int64_t h, int64_t ff, double p, std::string act,
                                                 double eps, bool bf, bool nf)
    : d_model(d), nhead(h), dim_feedforward(ff), dropout_p(p), layer_norm_eps(eps), activation(std::move(act)),
      batch_first(bf), norm_first(nf) {
  check_layer_args("TransformerEncoderLayer", d, h, ff, activation);
  // PyTorch's registration order: self_attn, linear1, dropout, linear2, norm1, norm2, dropout1, dropout2.
  self_attn = register_module("self_attn", std::make_shared<MultiheadAttention>(d, h, p, true, bf));
  linear1 = register_module("linear1", std::make_shared<Linear>(d, ff));
  dropout = register_module("dropout", std::make_shared<Dropout>(p));
  linear2 = register_module("linear2", std::make_shared<Linear>(ff, d));
  norm1 = register_module("norm1", std::make_shared<LayerNorm>(d, eps));
  norm2 = register_module("norm2", std::make_shared<LayerNorm>(d, eps));
  dropout1 = register_module("dropout1", std::make_shared<Dropout>(p));
  dropout2 = register_module("dropout2", std::make_shared<Dropout>(p));
}

Tensor TransformerEncoderLayer::sa_block(const Tensor& x, const Tensor& mask, const Tensor& kpm, bool is_causal) {
  return dropout1->forward(self_attn->forward(x, x, x, kpm, false, mask, true, is_causal).first);
}

Tensor TransformerEncoderLayer::ff_block(const Tensor& x) {
  return dropout2->forward(linear2->forward(dropout->forward(activate(activation, linear1->forward(x)))));
}

Tensor TransformerEncoderLayer::forward(const Tensor& src, const Tensor& src_mask, const Tensor& kpm, bool is_causal) {
  check_input("TransformerEncoderLayer", "src", src, d_model);
  Tensor x = src;
  if (norm_first) {
    x = x + sa_block(norm1->forward(x), src_mask, kpm, is_causal);
    x = x + ff_block(norm2->forward(x));
  } else {
    x = norm1->forward(x + sa_block(x, src_mask, kpm, is_causal));
    x = norm2->forward(x + ff_block(x));
  }
  return x;
}

std::shared_ptr<TransformerEncoderLayer> TransformerEncoderLayer::clone() const {
  auto c = std::make_shared<TransformerEncoderLayer>(d_model, nhead, dim_feedforward, dropout_p, activation,
                                                     layer_norm_eps, batch_first, norm_first);
  c->load_state_dict(state_dict());
  c->train(is_training());
  c->self_attn->gen = self_attn->gen;
  for (auto [to, from] : {std::pair{c->dropout, dropout}, {c->dropout1, dropout1}, {c->dropout2, dropout2}})
    to->gen = from->gen;
  return c;
}

// ---- TransformerDecoderLayer ----

TransformerDecoderLayer::TransformerDecoderLayer(int64_t d, int64_t h, int64_t ff, double p, std::string act,
                                                 double eps, bool bf, bool nf)
    : d_model(d), nhead(h), dim_feedforward(ff), dropout_p(p), layer_norm_eps(eps), activation(std::move(act)),
      batch_first(bf), norm_first(nf) {
  check_layer_args("TransformerDecoderLayer", d, h, ff, activation);
  self_attn = register_module("self_attn", std::make_shared<MultiheadAttention>(d, h, p, true, bf));
  multihead_attn = register_module("multihead_attn", std::make_shared<MultiheadAttention>(d, h, p, true, bf));
  linear1 = register_module("linear1", std::make_shared<Linear>(d, ff));
  dropout = register_module("dropout", std::make_shared<Dropout>(p));
  linear2 = register_module("linear2", std::make_shared<Linear>(ff, d));
  norm1 = register_module("norm1", std::make_shared<LayerNorm>(d, eps));
  norm2 = register_module("norm2", std::make_shared<LayerNorm>(d, eps));
  norm3 = register_module("norm3", std::make_shared<LayerNorm>(d, eps));
  dropout1 = register_module("dropout1", std::make_shared<Dropout>(p));
  dropout2 = register_module("dropout2", std::make_shared<Dropout>(p));
  dropout3 = register_module("dropout3", std::make_shared<Dropout>(p));
}

Tensor TransformerDecoderLayer::ff_block(const Tensor& x) {
  return dropout3->forward(linear2->forward(dropout->forward(activate(activation, linear1->forward(x)))));
}

Tensor TransformerDecoderLayer::forward(const Tensor& tgt, const Tensor& memory, const Tensor& tgt_mask,
                                        const Tensor& memory_mask, const Tensor& tgt_kpm, const Tensor& memory_kpm,
                                        bool tgt_is_causal, bool memory_is_causal) {
  check_input("TransformerDecoderLayer", "tgt", tgt, d_model);
  check_input("TransformerDecoderLayer", "memory", memory, d_model);
  auto sa = [&](const Tensor& x) {
    return dropout1->forward(self_attn->forward(x, x, x, tgt_kpm, false, tgt_mask, true, tgt_is_causal).first);
  };
  auto mha = [&](const Tensor& x) {
    return dropout2->forward(
        multihead_attn->forward(x, memory, memory, memory_kpm, false, memory_mask, true, memory_is_causal).first);
  };
  Tensor x = tgt;
  if (norm_first) {
    x = x + sa(norm1->forward(x));
    x = x + mha(norm2->forward(x));
    x = x + ff_block(norm3->forward(x));
  } else {
    x = norm1->forward(x + sa(x));
    x = norm2->forward(x + mha(x));
    x = norm3->forward(x + ff_block(x));
  }
  return x;
}

std::shared_ptr<TransformerDecoderLayer> TransformerDecoderLayer::clone() const {
  auto c = std::make_shared<TransformerDecoderLayer>(d_model, nhead, dim_feedforward, dropout_p, activation,
                                                     layer_norm_eps, batch_first, norm_first);
  c->load_state_dict(state_dict());
  c->train(is_training());
  c->self_attn->gen = self_attn->gen;
  c->multihead_attn->gen = multihead_attn->gen;
  for (auto [to, from] : {std::pair{c->dropout, dropout}, {c->dropout1, dropout1}, {c->dropout2, dropout2},
                          {c->dropout3, dropout3}})
    to->gen = from->gen;
  return c;
}

// ---- Stacks ----

TransformerEncoder::TransformerEncoder(const TransformerEncoderLayer& proto, int64_t n, std::shared_ptr<LayerNorm> nrm)
    : norm(std::move(nrm)), num_layers(n) {
  EMBER_CHECK(n >= 0, "TransformerEncoder", "num_layers must be non-negative, got ", n);
  layers = register_module("layers", std::make_shared<ModuleList>());
  for (int64_t i = 0; i < n; ++i) layers->push_back(proto.clone());
  if (norm) register_module("norm", norm);
}

std::shared_ptr<TransformerEncoderLayer> TransformerEncoder::layer(size_t i) const {
  auto l = std::dynamic_pointer_cast<TransformerEncoderLayer>((*layers)[i]);
  EMBER_CHECK(l != nullptr, "TransformerEncoder", "layers.", i, " is a ", (*layers)[i]->name(),
              ", not a TransformerEncoderLayer");
  return l;
}

Tensor TransformerEncoder::forward(const Tensor& src, const Tensor& mask, const Tensor& kpm, bool is_causal) {
  Tensor x = src;
  for (int64_t i = 0; i < num_layers; ++i) x = layer(i)->forward(x, mask, kpm, is_causal);
  return norm ? norm->forward(x) : x;
}

TransformerDecoder::TransformerDecoder(const TransformerDecoderLayer& proto, int64_t n, std::shared_ptr<LayerNorm> nrm)
    : norm(std::move(nrm)), num_layers(n) {
  EMBER_CHECK(n >= 0, "TransformerDecoder", "num_layers must be non-negative, got ", n);
  layers = register_module("layers", std::make_shared<ModuleList>());
  for (int64_t i = 0; i < n; ++i) layers->push_back(proto.clone());
  if (norm) register_module("norm", norm);
}

std::shared_ptr<TransformerDecoderLayer> TransformerDecoder::layer(size_t i) const {
  auto l = std::dynamic_pointer_cast<TransformerDecoderLayer>((*layers)[i]);
  EMBER_CHECK(l != nullptr, "TransformerDecoder", "layers.", i, " is a ", (*layers)[i]->name(),
              ", not a TransformerDecoderLayer");
  return l;
}

Tensor TransformerDecoder::forward(const Tensor& tgt, const Tensor& memory, const Tensor& tgt_mask,
                                   const Tensor& memory_mask, const Tensor& tgt_kpm, const Tensor& memory_kpm,
                                   bool tgt_is_causal, bool memory_is_causal) {
  Tensor x = tgt;
  for (int64_t i = 0; i < num_layers; ++i)
    x = layer(i)->forward(x, memory, tgt_mask, memory_mask, tgt_kpm, memory_kpm, tgt_is_causal, memory_is_causal);
  return norm ? norm->forward(x) : x;
}

}  // namespace ember::nn
