// Splitting: every piece is a view of the input (narrow/select), as in PyTorch, so gradients
// flow back through the views' own backward.
#include "core/op_helpers.h"
#include "ember/ops.h"

namespace ember {

std::vector<Tensor> split_with_sizes(const Tensor& t, const Shape& sizes, int64_t dim) {
  EMBER_CHECK(t.dim() > 0, "split_with_sizes", "cannot split a 0-dim tensor");
  dim = detail::wrap_dim(dim, t.dim(), "split_with_sizes");
  const int64_t len = t.shape()[dim];
  int64_t total = 0;
  for (auto s : sizes) {
    EMBER_CHECK(s >= 0, "split_with_sizes", "split sizes must be non-negative, got ", shape_str(sizes));
    total += s;
  }
  EMBER_CHECK(total == len, "split_with_sizes", "split sizes ", shape_str(sizes), " sum to ", total,
              " but dimension ", dim, " of the input (shape ", shape_str(t.shape()), ") has size ", len);
  std::vector<Tensor> out;
  int64_t start = 0;
  for (auto s : sizes) {
    out.push_back(t.narrow(dim, start, s));
    start += s;
  }
  return out;
}

std::vector<Tensor> split(const Tensor& t, int64_t split_size, int64_t dim) {
  EMBER_CHECK(t.dim() > 0, "split", "cannot split a 0-dim tensor");
  dim = detail::wrap_dim(dim, t.dim(), "split");
  const int64_t len = t.shape()[dim];
  EMBER_CHECK(split_size >= 0, "split", "split_size must be non-negative, got ", split_size);
  EMBER_CHECK(split_size > 0 || len == 0, "split", "split_size can only be 0 if dimension ", dim,
              " has size 0, but the input has shape ", shape_str(t.shape()), "; pass a positive split_size");
  const int64_t pieces = split_size == 0 ? 1 : std::max<int64_t>(1, (len + split_size - 1) / split_size);
  std::vector<Tensor> out;
  for (int64_t i = 0; i < pieces; ++i) {
    int64_t start = i * split_size;
    out.push_back(t.narrow(dim, start, std::min(split_size, len - start)));
  }
  return out;
}

std::vector<Tensor> chunk(const Tensor& t, int64_t chunks, int64_t dim) {
  EMBER_CHECK(chunks > 0, "chunk", "chunks must be greater than 0, got ", chunks);
  EMBER_CHECK(t.dim() > 0, "chunk", "cannot chunk a 0-dim tensor");
  dim = detail::wrap_dim(dim, t.dim(), "chunk");
  const int64_t len = t.shape()[dim];
  const int64_t split_size = (len + chunks - 1) / chunks;
  if (split_size == 0) return split_with_sizes(t, Shape(chunks, 0), dim);  // len == 0: `chunks` empty pieces
  return split(t, split_size, dim);
}

std::vector<Tensor> unbind(const Tensor& t, int64_t dim) {
  EMBER_CHECK(t.dim() > 0, "unbind", "cannot unbind a 0-dim tensor");
  dim = detail::wrap_dim(dim, t.dim(), "unbind");
  std::vector<Tensor> out;
  for (int64_t i = 0; i < t.shape()[dim]; ++i) out.push_back(t.select(dim, i));
  return out;
}

}  // namespace ember
