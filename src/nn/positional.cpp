// Sinusoidal positional table, learned positional embedding, and embedding/output weight tying.
#include "ember/nn/positional.h"

#include <cmath>

#include "ember/ops.h"

namespace ember::nn {

Tensor sinusoidal_positional_encoding(int64_t max_len, int64_t d_model, DType dtype) {
  const char* op = "sinusoidal_positional_encoding";
  EMBER_CHECK(max_len >= 0 && d_model > 0, op, "max_len must be non-negative and d_model positive, got max_len=",
              max_len, " and d_model=", d_model);
  EMBER_CHECK(is_floating(dtype), op, "dtype must be floating, got ", dtype_name(dtype));
  Tensor pe = empty({max_len, d_model}, kFloat64);  // (max_len, d_model)
  double* p = pe.data_ptr<double>();
  for (int64_t i = 0; i < d_model; i += 2) {
    // 1 / 10000^(i / d_model), the frequency of the column pair (i, i + 1)
    const double freq = std::exp(-std::log(10000.0) * static_cast<double>(i) / static_cast<double>(d_model));
    for (int64_t pos = 0; pos < max_len; ++pos) {
      const double a = static_cast<double>(pos) * freq;
      p[pos * d_model + i] = std::sin(a);
      if (i + 1 < d_model) p[pos * d_model + i + 1] = std::cos(a);
    }
  }
  return pe.to(dtype);
}

Tensor LearnedPositionalEmbedding::forward(const Tensor& positions) {
  const char* op = "LearnedPositionalEmbedding";
  EMBER_CHECK(positions.dtype() == kInt64, op, "positions must be an int64 tensor, got ", dtype_name(positions.dtype()));
  if (positions.numel() > 0) {
    const int64_t hi = amax(positions).item<int64_t>(), lo = amin(positions).item<int64_t>();
    EMBER_CHECK(hi < num_embeddings, op, "position ", hi, " is past the maximum length ", num_embeddings,
                " (positions 0..", num_embeddings - 1, "); shorten the sequence or build the model with a larger max_len");
    EMBER_CHECK(lo >= 0, op, "positions must be non-negative, got ", lo);
  }
  return embedding(positions, weight);
}

Tensor LearnedPositionalEmbedding::forward_range(int64_t length, int64_t offset) {
  const char* op = "LearnedPositionalEmbedding";
  EMBER_CHECK(length >= 0 && offset >= 0, op, "length and offset must be non-negative, got ", length, " and ", offset);
  EMBER_CHECK(offset + length <= num_embeddings, op, "positions ", offset, "..", offset + length - 1,
              " go past the maximum length ", num_embeddings, " (sequence of ", length, " from offset ", offset,
              "); shorten the sequence or build the model with a larger max_len");
  return embedding(arange(offset, offset + length), weight);  // (length, D)
}

void tie_weights(Linear& output, const Embedding& embedding) {
  const Shape want{embedding.num_embeddings, embedding.embedding_dim};
  EMBER_CHECK(output.weight.shape() == want, "tie_weights", "the output Linear's weight ",
              shape_str(output.weight.shape()), " must match the embedding's weight ", shape_str(want),
              ": use Linear(embedding_dim=", embedding.embedding_dim, ", num_embeddings=", embedding.num_embeddings, ")");
  output.param("weight") = embedding.weight;
  output.weight = embedding.weight;
}

}  // namespace ember::nn
