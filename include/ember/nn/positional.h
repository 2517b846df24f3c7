#pragma once
// Positional information for sequence models, and weight tying between an embedding and an output
// projection.
#include "ember/nn/layers.h"

namespace ember::nn {

// The sinusoidal table of "Attention Is All You Need", (max_len, d_model):
//   pe[pos, 2i] = sin(pos / 10000^(2i / d_model)),  pe[pos, 2i + 1] = cos(pos / 10000^(2i / d_model)).
// Computed in float64, returned in `dtype`; no parameters, no gradient.
Tensor sinusoidal_positional_encoding(int64_t max_len, int64_t d_model, DType dtype = kFloat32);

// A learned (max_len, d_model) table, as GPT-2's wpe: an nn::Embedding over positions, state_dict
// key "weight". forward(positions) takes int64 positions; forward_range(T, offset) the rows
// offset .. offset + T - 1. A position at or past max_len is an error naming it and max_len.
class LearnedPositionalEmbedding : public Embedding {
 public:
  LearnedPositionalEmbedding(int64_t max_len, int64_t embedding_dim) : Embedding(max_len, embedding_dim) {}
  Tensor forward(const Tensor& positions) override;  // (*) int64 -> (*, D)
  Tensor forward_range(int64_t length, int64_t offset = 0);  // (length, D)
  std::string name() const override { return "LearnedPositionalEmbedding"; }
  int64_t max_len() const { return num_embeddings; }
};

// Makes output.weight the embedding's weight (the same tensor, as PyTorch's
// `lm_head.weight = wte.weight`): output must be Linear(embedding_dim, num_embeddings). Module's
// parameters() then lists the shared tensor once, while state_dict() keeps both keys, as PyTorch.
void tie_weights(Linear& output, const Embedding& embedding);

}  // namespace ember::nn
