#pragma once
// Embedding: a lookup table of vectors.
#include <optional>

#include "ember/nn/module.h"

namespace ember::nn {

class Embedding : public Module {
 public:
  Embedding(int64_t num_embeddings, int64_t embedding_dim, std::optional<int64_t> padding_idx = std::nullopt);
  Tensor forward(const Tensor& indices) override;  // (*) int64 -> (*, D)
  std::string name() const override { return "Embedding"; }
  std::string extra_repr() const override;
  Tensor weight;  // (num_embeddings, embedding_dim)
  int64_t num_embeddings, embedding_dim;
  std::optional<int64_t> padding_idx;
};

}  // namespace ember::nn
