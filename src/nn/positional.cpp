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
  const int64_t pairs = (d_model + 1) / 2;
  Tensor pos = arange(0, max_len, 1, kFloat64).unsqueeze(1);                                     // (max_len, 1)
  Tensor freq = exp(arange(0, 2 * pairs, 2, kFloat64) * (-std::log(10000.0) / static_cast<double>(d_model)));  // (pairs)
  Tensor angle = pos * freq;                                                                      // (max_len, pairs)
  // Interleave sin and cos columns; an odd d_model drops the last cos.
  Tensor pe = stack({sin(angle), cos(angle)}, -1).reshape({max_len, 2 * pairs}).narrow(1, 0, d_model);
  return pe.to(dtype).contiguous();
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
