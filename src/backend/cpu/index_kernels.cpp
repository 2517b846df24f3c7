// Index kernels over (A, M, B) blocks: A = elements before the indexed dim, M = its size,
// B = elements after it. Copies move raw bytes (any dtype); accumulating kernels dispatch on the
// numeric type. Accumulation into one output location always happens in index order on one
// thread, so results do not depend on the thread count.
#include <algorithm>
#include <cstring>
#include <vector>

#include "backend/cpu/parallel_range.h"
#include "backend/cpu/shape_kernels.h"
#include "core/op_helpers.h"

namespace ember::cpu {

namespace {

// Calls f.template operator()<U>() with U an unsigned type of the element's size.
template <typename F>
void dispatch_bytes(size_t isz, F&& f) {
  switch (isz) {
    case 1: f.template operator()<uint8_t>(); return;
    case 2: f.template operator()<uint16_t>(); return;
    case 4: f.template operator()<uint32_t>(); return;
    case 8: f.template operator()<uint64_t>(); return;
  }
  throw Error("index kernel: unsupported element size");
}

inline bool in_range(int64_t k, int64_t size) { return static_cast<uint64_t>(k) < static_cast<uint64_t>(size); }

// The first recorded bad position over chunks (in chunk order), or -1.
int64_t first_of(const std::vector<int64_t>& first_bad) {
  for (auto b : first_bad)
    if (b >= 0) return b;
  return -1;
}

}  // namespace

void index_select(const Tensor& out, const Tensor& src, const int64_t* idx, int64_t n, int64_t A, int64_t M,
                  int64_t B) {
  if (out.numel() == 0) return;
  dispatch_bytes(out.element_size(), [&]<typename U>() {
    const U* s = static_cast<const U*>(src.raw_data());
    U* o = static_cast<U*>(out.raw_data());
    if (B == 1) {  // element copies; chunks walk (a, j) so one long index splits too
      parallel_range(A * n, A * n, [&](int64_t r0, int64_t r1) {
        int64_t a = r0 / n, j = r0 % n;
        for (int64_t r = r0; r < r1;) {
          const int64_t jend = std::min(n, j + (r1 - r));
          const U* sa = s + a * M;
          U* oa = o + a * n;
          for (int64_t jj = j; jj < jend; ++jj) oa[jj] = sa[idx[jj]];
          r += jend - j;
          j = 0;
          ++a;
        }
      });
      return;
    }
    // One memcpy per selected row of B elements.
    parallel_range(A * n, A * n * B, [&](int64_t r0, int64_t r1) {
      int64_t a = r0 / n, j = r0 % n;
      for (int64_t r = r0; r < r1; ++r) {
        std::memcpy(o + r * B, s + (a * M + idx[j]) * B, B * sizeof(U));
        if (++j == n) j = 0, ++a;
      }
    });
  });
}

void index_add(const Tensor& out, const Tensor& src, const int64_t* idx, int64_t n, int64_t A, int64_t M, int64_t B) {
  if (src.numel() == 0) return;
  EMBER_DISPATCH_NUMERIC(out.dtype(), "index_add", [&]<typename T>() {
    const T* s = src.data_ptr<T>();
    T* o = out.data_ptr<T>();
    // Split over a when there are several blocks, else over column ranges of B: either way each
    // output element is owned by one thread.
    auto run = [&](int64_t a0, int64_t a1, int64_t b0, int64_t b1) {
      for (int64_t a = a0; a < a1; ++a)
        for (int64_t j = 0; j < n; ++j) {
          T* __restrict orow = o + (a * M + idx[j]) * B;
          const T* __restrict srow = s + (a * n + j) * B;
          for (int64_t b = b0; b < b1; ++b) orow[b] += srow[b];
        }
    };
    if (A > 1) parallel_range(A, A * n * B, [&](int64_t a0, int64_t a1) { run(a0, a1, 0, B); });
    else parallel_range((B + 15) / 16, n * B, [&](int64_t c0, int64_t c1) { run(0, A, c0 * 16, std::min(B, c1 * 16)); });
  });
}

int64_t gather(const Tensor& out, const Tensor& src, const int64_t* idx, int64_t A, int64_t M, int64_t n, int64_t B) {
  if (out.numel() == 0) return -1;
  const int64_t chunks = num_chunks(A * n, A * n * B);
  std::vector<int64_t> first_bad(chunks, -1);
  dispatch_bytes(out.element_size(), [&]<typename U>() {
    const U* s = static_cast<const U*>(src.raw_data());
    U* o = static_cast<U*>(out.raw_data());
    // Rows r = (a, j) of B elements each; a chunk walks its rows with (a, j) counters and stops at
    // its first out-of-range index.
    parallel_chunks(A * n, chunks, [&](int64_t chunk, int64_t r0, int64_t r1) {
      int64_t a = r0 / n, j = r0 % n;
      for (int64_t r = r0; r < r1;) {
        const U* sa = s + a * M * B;  // the (M, B) block of this a
        const int64_t jend = std::min(n, j + (r1 - r));
        if (B == 1) {
          const int64_t* ir = idx + a * n;
          U* oa = o + a * n;
          for (int64_t jj = j; jj < jend; ++jj) {
            const int64_t k = ir[jj];
            if (!in_range(k, M)) [[unlikely]] return void(first_bad[chunk] = a * n + jj);
            oa[jj] = sa[k];
          }
        } else {
          for (int64_t jj = j; jj < jend; ++jj) {
            const int64_t* ir = idx + (a * n + jj) * B;
            U* orow = o + (a * n + jj) * B;
            for (int64_t b = 0; b < B; ++b) {
              if (!in_range(ir[b], M)) [[unlikely]] return void(first_bad[chunk] = (a * n + jj) * B + b);
              orow[b] = sa[ir[b] * B + b];
            }
          }
        }
        r += jend - j;
        j = 0;
        ++a;
      }
    });
  });
  return first_of(first_bad);
}

int64_t scatter_add(const Tensor& out, const Tensor& src, const int64_t* idx, int64_t A, int64_t M, int64_t n,
                    int64_t B) {
  if (src.numel() == 0) return -1;
  const bool by_a = A > 1;
  const int64_t items = by_a ? A : (B + 15) / 16;  // blocks a, or 16-column groups of B
  const int64_t chunks = num_chunks(items, A * n * B);
  std::vector<int64_t> first_bad(chunks, -1);
  EMBER_DISPATCH_NUMERIC(out.dtype(), "scatter_add", [&]<typename T>() {
    const T* s = src.data_ptr<T>();
    T* o = out.data_ptr<T>();
    // Column b of block a only ever writes column b of block a: split over a, or over b ranges.
    // Returns the flat position of the first out-of-range index met, or -1.
    auto run = [&](int64_t a0, int64_t a1, int64_t b0, int64_t b1) -> int64_t {
      for (int64_t a = a0; a < a1; ++a) {
        T* oa = o + a * M * B;
        const T* sa = s + a * n * B;
        const int64_t* ia = idx + a * n * B;
        if (B == 1) {
          for (int64_t j = 0; j < n; ++j) {
            if (!in_range(ia[j], M)) [[unlikely]] return a * n + j;
            oa[ia[j]] += sa[j];
          }
          continue;
        }
        for (int64_t j = 0; j < n; ++j) {
          const T* srow = sa + j * B;
          const int64_t* ir = ia + j * B;
          for (int64_t b = b0; b < b1; ++b) {
            if (!in_range(ir[b], M)) [[unlikely]] return (a * n + j) * B + b;
            oa[ir[b] * B + b] += srow[b];
          }
        }
      }
      return -1;
    };
    parallel_chunks(items, chunks, [&](int64_t chunk, int64_t i0, int64_t i1) {
      first_bad[chunk] = by_a ? run(i0, i1, 0, B) : run(0, A, i0 * 16, std::min(B, i1 * 16));
    });
  });
  return first_of(first_bad);
}

}  // namespace ember::cpu
