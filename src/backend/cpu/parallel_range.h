#pragma once
// Splits [0, n) into fixed contiguous ranges, one per thread, when the work is large enough to pay
// for threads. The split depends only on n and the thread count, so results are reproducible.
#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "backend/cpu/loops.h"
#include "ember/parallel.h"

namespace ember::cpu {

// How many ranges [0, n) is split into; `work` estimates the elements touched in total.
inline int64_t num_chunks(int64_t n, int64_t work) {
  int64_t chunks = std::min<int64_t>({static_cast<int64_t>(get_num_threads()), n, work / kGrain});
  return std::max<int64_t>(chunks, 1);
}

// f(chunk, begin, end) for each of `chunks` ranges of [0, n) (chunk-indexed partial results).
template <typename F>
void parallel_chunks(int64_t n, int64_t chunks, F&& f) {
  if (n <= 0) return;
  if (chunks <= 1) {
    f(int64_t{0}, int64_t{0}, n);
    return;
  }
#pragma omp parallel for num_threads(static_cast<int>(chunks)) schedule(static)
  for (int64_t c = 0; c < chunks; ++c) f(c, n * c / chunks, n * (c + 1) / chunks);
}

// f(begin, end) over [0, n).
template <typename F>
void parallel_range(int64_t n, int64_t work, F&& f) {
  parallel_chunks(n, num_chunks(n, work), [&](int64_t, int64_t b, int64_t e) { f(b, e); });
}

// memcpy split across threads for large blocks.
inline void parallel_memcpy(void* dst, const void* src, int64_t bytes) {
  parallel_range(bytes / 64 + 1, bytes / 4, [&](int64_t b, int64_t e) {
    int64_t lo = b * 64, hi = std::min(e * 64, bytes);
    if (lo < hi) std::memcpy(static_cast<char*>(dst) + lo, static_cast<const char*>(src) + lo, hi - lo);
  });
}

}  // namespace ember::cpu
