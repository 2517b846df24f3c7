// cat: each output row (the elements before `dim`, flattened) is the inputs' rows laid end to end,
// so contiguous same-dtype inputs copy as one memcpy per (row, input).
// tril / triu: each matrix row keeps one contiguous column range and zeroes the rest (all-zero
// bytes are zero in every dtype), so rows are a memcpy plus memsets.
#include "backend/cpu/shape.h"

#include <algorithm>
#include <cstring>

#include "backend/cpu/copy.h"
#include "backend/cpu/parallel_range.h"
#include "core/op_helpers.h"

namespace ember::cpu {

void cat(const Tensor& out, const std::vector<Tensor>& inputs, int64_t dim) {
  const Shape& os = out.shape();
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < dim; ++d) outer *= os[d];
  for (size_t d = dim + 1; d < os.size(); ++d) inner *= os[d];
  const int64_t row = os[dim] * inner;  // elements per output row
  const int64_t isz = static_cast<int64_t>(out.element_size());
  char* dst = static_cast<char*>(out.raw_data());

  struct Block {
    const char* src;
    int64_t off, len;  // position and length within an output row, in elements
  };
  std::vector<Block> blocks;
  int64_t start = 0;  // along dim
  for (const Tensor& t : inputs) {
    int64_t len = t.shape()[dim] * inner;
    if (len > 0 && outer > 0) {
      if (t.dtype() == out.dtype() && t.is_contiguous()) {
        blocks.push_back({static_cast<const char*>(t.raw_data()), start * inner, len});
      } else {
        // Strided or converting input: copy into the matching slab of out.
        Shape s = os;
        s[dim] = t.shape()[dim];
        Tensor slab = detail::make_view(out, s, out.strides(), out.storage_offset() + start * out.strides()[dim]);
        copy(slab, t);
      }
    }
    start += t.shape()[dim];
  }
  if (blocks.empty()) return;
  if (outer == 1) {
    for (auto& b : blocks) parallel_memcpy(dst + b.off * isz, b.src, b.len * isz);
    return;
  }
  parallel_range(outer, outer * row, [&](int64_t o0, int64_t o1) {
    for (int64_t o = o0; o < o1; ++o)
      for (auto& b : blocks) std::memcpy(dst + (o * row + b.off) * isz, b.src + o * b.len * isz, b.len * isz);
  });
}

void triangle(const Tensor& out, const Tensor& src, int64_t diagonal, bool lower) {
  const Shape& s = out.shape();
  const int64_t R = s[s.size() - 2], C = s.back();
  const int64_t rows = R == 0 ? 0 : out.numel() / C;
  if (C == 0 || rows == 0) return;
  const int64_t isz = static_cast<int64_t>(out.element_size());
  char* dst = static_cast<char*>(out.raw_data());
  const char* in = static_cast<const char*>(src.raw_data());
  parallel_range(rows, rows * C, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      int64_t i = r % R;
      // Kept columns [lo, hi): tril keeps j <= i + diagonal, triu keeps j >= i + diagonal.
      int64_t lo = lower ? 0 : std::clamp<int64_t>(i + diagonal, 0, C);
      int64_t hi = lower ? std::clamp<int64_t>(i + diagonal + 1, 0, C) : C;
      char* o = dst + r * C * isz;
      const char* x = in + r * C * isz;
      if (lo > 0) std::memset(o, 0, lo * isz);
      if (hi > lo) std::memcpy(o + lo * isz, x + lo * isz, (hi - lo) * isz);
      if (hi < C) std::memset(o + hi * isz, 0, (C - hi) * isz);
    }
  });
}

}  // namespace ember::cpu
