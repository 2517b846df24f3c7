#pragma once
// nn::MultiheadAttention with torch.nn.MultiheadAttention's arguments, parameter names, masks and
// initialization.
#include <optional>
#include <utility>

#include "ember/nn/layers.h"

namespace ember::nn {

// (sz, sz) float mask with -inf above the diagonal and 0 elsewhere
// (nn.Transformer.generate_square_subsequent_mask): position i may attend to j <= i.
Tensor generate_square_subsequent_mask(int64_t sz, DType dtype = kFloat32);

class MultiheadAttention : public Module {
 public:
  // kdim / vdim: feature sizes of key and value (default embed_dim); when either differs, the
  // projections are q_proj_weight, k_proj_weight and v_proj_weight instead of in_proj_weight.
  MultiheadAttention(int64_t embed_dim, int64_t num_heads, double dropout = 0.0, bool bias = true,
                     bool batch_first = false, std::optional<int64_t> kdim = std::nullopt,
                     std::optional<int64_t> vdim = std::nullopt);

  // query (L, N, E) / key (S, N, kdim) / value (S, N, vdim), or (N, L, E) ... with batch_first, or
  // unbatched (L, E), (S, kdim), (S, vdim). Returns (output, weights): output shaped like query;
  // weights (N, L, S) averaged over heads, or (N, num_heads, L, S) when !average_attn_weights,
  // undefined when !need_weights. As PyTorch, the returned weights are after dropout.
  //   key_padding_mask (N, S) or (S): bool, true = ignore that key; or floating, added.
  //   attn_mask (L, S) or (N * num_heads, L, S): bool, true = may NOT attend (PyTorch's MHA
  //     convention, the opposite of scaled_dot_product_attention's); or floating, added.
  //   is_causal: with no attn_mask, query i attends to keys j <= i; with an attn_mask it is only a
  //     hint that the mask is causal (as in PyTorch 2), and the mask is used.
  std::pair<Tensor, Tensor> forward(const Tensor& query, const Tensor& key, const Tensor& value,
                                    const Tensor& key_padding_mask = Tensor(), bool need_weights = true,
                                    const Tensor& attn_mask = Tensor(), bool average_attn_weights = true,
                                    bool is_causal = false);
  // Self-attention without masks or weights: forward(x, x, x).first.
  Tensor forward(const Tensor& x) override;
  std::string name() const override { return "MultiheadAttention"; }
  void reset_parameters();

  Tensor in_proj_weight, in_proj_bias;                    // (3E, E), (3E)
  Tensor q_proj_weight, k_proj_weight, v_proj_weight;     // (E, E), (E, kdim), (E, vdim) when kdim/vdim differ
  std::shared_ptr<Linear> out_proj;                       // E -> E
  int64_t embed_dim, num_heads, head_dim, kdim, vdim;
  double dropout;
  bool batch_first;
  Generator* gen = nullptr;  // dropout's generator; null: the default generator
};

}  // namespace ember::nn
