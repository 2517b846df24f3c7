// tril / triu: each matrix row keeps one contiguous column range and zeroes the rest (all-zero
// bytes are zero in every dtype), so rows are a memcpy plus memsets.
#include <algorithm>
#include <cstring>

#include "backend/cpu/parallel_range.h"
#include "backend/cpu/shape_kernels.h"

namespace ember::cpu {

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
