// Embedding.
#include "ember/nn/embedding.h"

#include <sstream>

#include "ember/autograd.h"
#include "ember/nn/init.h"
#include "ember/ops.h"
#include "nn/layer_util.h"

namespace ember::nn {

using detail::check_positive;

Embedding::Embedding(int64_t n, int64_t d, std::optional<int64_t> pad)
    : num_embeddings(n), embedding_dim(d), padding_idx(pad) {
  check_positive(n, "Embedding", "num_embeddings");
  check_positive(d, "Embedding", "embedding_dim");
  if (pad) {
    EMBER_CHECK(*pad >= -n && *pad < n, "Embedding", "padding_idx ", *pad, " must be within num_embeddings (", n, ")");
    if (*pad < 0) padding_idx = *pad + n;
  }
  weight = register_parameter("weight", empty({n, d}));
  init::normal_(weight);
  if (padding_idx) {
    NoGradGuard ng;
    weight.select(0, *padding_idx).zero_();
  }
}
Tensor Embedding::forward(const Tensor& idx) { return embedding(idx, weight, padding_idx); }
std::string Embedding::extra_repr() const {
  std::ostringstream os;
  os << num_embeddings << ", " << embedding_dim;
  if (padding_idx) os << ", padding_idx=" << *padding_idx;
  return os.str();
}

}  // namespace ember::nn
