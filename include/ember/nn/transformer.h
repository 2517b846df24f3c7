#pragma once
// Transformer encoder/decoder layers and stacks with torch.nn's arguments, defaults, submodule names
// (self_attn, multihead_attn, linear1, linear2, norm1..3, layers.N) and forward semantics.
// Masks follow nn.MultiheadAttention: attn masks (L, S) or (N * nhead, L, S), bool true = blocked
// or float added; key padding masks (N, S), bool true = padding.
#include <memory>
#include <string>

#include "ember/nn/attention.h"
#include "ember/nn/layers.h"

namespace ember::nn {

class TransformerEncoderLayer : public Module {
 public:
  // activation: "relu" or "gelu"
  TransformerEncoderLayer(int64_t d_model, int64_t nhead, int64_t dim_feedforward = 2048, double dropout = 0.1,
                          std::string activation = "relu", double layer_norm_eps = 1e-5, bool batch_first = false,
                          bool norm_first = false);
  // src (S, N, E), (N, S, E) with batch_first, or (S, E). is_causal: with no src_mask, a causal mask.
  Tensor forward(const Tensor& src, const Tensor& src_mask, const Tensor& src_key_padding_mask = Tensor(),
                 bool is_causal = false);
  Tensor forward(const Tensor& src) override { return forward(src, Tensor()); }
  std::string name() const override { return "TransformerEncoderLayer"; }
  // A new layer with the same arguments and a copy of this one's parameters (PyTorch deep-copies the
  // prototype layer when building a TransformerEncoder).
  std::shared_ptr<TransformerEncoderLayer> clone() const;

  std::shared_ptr<MultiheadAttention> self_attn;
  std::shared_ptr<Linear> linear1, linear2;
  std::shared_ptr<LayerNorm> norm1, norm2;
  std::shared_ptr<Dropout> dropout, dropout1, dropout2;
  int64_t d_model, nhead, dim_feedforward;
  double dropout_p, layer_norm_eps;
  std::string activation;
  bool batch_first, norm_first;

 private:
  Tensor sa_block(const Tensor& x, const Tensor& mask, const Tensor& kpm, bool is_causal);
  Tensor ff_block(const Tensor& x);
};

class TransformerDecoderLayer : public Module {
 public:
  TransformerDecoderLayer(int64_t d_model, int64_t nhead, int64_t dim_feedforward = 2048, double dropout = 0.1,
                          std::string activation = "relu", double layer_norm_eps = 1e-5, bool batch_first = false,
                          bool norm_first = false);
  // tgt (T, N, E) attends to itself (tgt_mask) and to memory (S, N, E) (memory_mask).
  Tensor forward(const Tensor& tgt, const Tensor& memory, const Tensor& tgt_mask = Tensor(),
                 const Tensor& memory_mask = Tensor(), const Tensor& tgt_key_padding_mask = Tensor(),
                 const Tensor& memory_key_padding_mask = Tensor(), bool tgt_is_causal = false,
                 bool memory_is_causal = false);
  std::string name() const override { return "TransformerDecoderLayer"; }
  std::shared_ptr<TransformerDecoderLayer> clone() const;

  std::shared_ptr<MultiheadAttention> self_attn, multihead_attn;
  std::shared_ptr<Linear> linear1, linear2;
  std::shared_ptr<LayerNorm> norm1, norm2, norm3;
  std::shared_ptr<Dropout> dropout, dropout1, dropout2, dropout3;
  int64_t d_model, nhead, dim_feedforward;
  double dropout_p, layer_norm_eps;
  std::string activation;
  bool batch_first, norm_first;

 private:
  Tensor ff_block(const Tensor& x);
};

// num_layers copies of encoder_layer (same arguments, same initial parameters, as PyTorch), then
// the optional final norm.
class TransformerEncoder : public Module {
 public:
  TransformerEncoder(const TransformerEncoderLayer& encoder_layer, int64_t num_layers,
                     std::shared_ptr<LayerNorm> norm = nullptr);
  Tensor forward(const Tensor& src, const Tensor& mask, const Tensor& src_key_padding_mask = Tensor(),
                 bool is_causal = false);
  Tensor forward(const Tensor& src) override { return forward(src, Tensor()); }
  std::string name() const override { return "TransformerEncoder"; }
  std::shared_ptr<TransformerEncoderLayer> layer(size_t i) const;

  std::shared_ptr<ModuleList> layers;
  std::shared_ptr<LayerNorm> norm;  // null: none
  int64_t num_layers;
};

class TransformerDecoder : public Module {
 public:
  TransformerDecoder(const TransformerDecoderLayer& decoder_layer, int64_t num_layers,
                     std::shared_ptr<LayerNorm> norm = nullptr);
  Tensor forward(const Tensor& tgt, const Tensor& memory, const Tensor& tgt_mask = Tensor(),
                 const Tensor& memory_mask = Tensor(), const Tensor& tgt_key_padding_mask = Tensor(),
                 const Tensor& memory_key_padding_mask = Tensor(), bool tgt_is_causal = false,
                 bool memory_is_causal = false);
  std::string name() const override { return "TransformerDecoder"; }
  std::shared_ptr<TransformerDecoderLayer> layer(size_t i) const;

  std::shared_ptr<ModuleList> layers;
  std::shared_ptr<LayerNorm> norm;
  int64_t num_layers;
};

}  // namespace ember::nn
