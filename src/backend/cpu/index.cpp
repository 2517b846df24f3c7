// Index kernels (see index.h) over (A, M, B) blocks: A = elements before the indexed dim, M = its
// size, B = elements after it. Copies move raw bytes (any dtype); accumulating kernels dispatch on the
// numeric type. Accumulation into one output location always happens in index order on one
// thread, so results do not depend on the thread count.
#include "backend/cpu/index.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "backend/cpu/parallel_range.h"
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

int64_t index_bounds(const Tensor& index, int64_t size) {
  const int64_t* p = index.data_ptr<int64_t>();
  const int64_t n = index.numel();
  int64_t bad = 0;  // branch-free first pass: bad indices are the rare case
  for (int64_t i = 0; i < n; ++i) bad |= static_cast<int64_t>(!in_range(p[i], size));
  if (!bad) return -1;
  for (int64_t i = 0; i < n; ++i)
    if (!in_range(p[i], size)) return i;
  return -1;
}

void index_select(const Tensor& out, const Tensor& src, const Tensor& index, Block3 src_amb) {
  if (out.numel() == 0) return;
  const int64_t* idx = index.data_ptr<int64_t>();
  const int64_t n = index.numel(), A = src_amb.outer, M = src_amb.R, B = src_amb.inner;
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

void index_add(const Tensor& out, const Tensor& src, const Tensor& index, Block3 out_amb) {
  if (src.numel() == 0) return;
  const int64_t* idx = index.data_ptr<int64_t>();
  const int64_t n = index.numel(), A = out_amb.outer, M = out_amb.R, B = out_amb.inner;
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

int64_t gather(const Tensor& out, const Tensor& src, const Tensor& index, Block3 index_anb, int64_t M) {
  if (out.numel() == 0) return -1;
  const int64_t* idx = index.data_ptr<int64_t>();
  const int64_t A = index_anb.outer, n = index_anb.R, B = index_anb.inner;
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

int64_t scatter_add(const Tensor& out, const Tensor& src, const Tensor& index, Block3 index_anb, int64_t M) {
  if (src.numel() == 0) return -1;
  const int64_t* idx = index.data_ptr<int64_t>();
  const int64_t A = index_anb.outer, n = index_anb.R, B = index_anb.inner;
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

void pick_along_dim(const Tensor& out, const Tensor& src, const Tensor& index, Block3 l) {
  const int64_t* idx = index.data_ptr<int64_t>();
  EMBER_DISPATCH_ALL(src.dtype(), "pick_along_dim", [&]<typename T>() {
    const T* s = src.data_ptr<T>();
    T* o = out.data_ptr<T>();
    for (int64_t a = 0; a < l.outer; ++a)
      for (int64_t j = 0; j < l.inner; ++j) {
        int64_t k = idx[a * l.inner + j];
        o[a * l.inner + j] = (k >= 0 && k < l.R) ? s[(a * l.R + k) * l.inner + j] : T(0);
      }
  });
}

void put_along_dim(const Tensor& out, const Tensor& val, const Tensor& index, Block3 l) {
  const int64_t* idx = index.data_ptr<int64_t>();
  EMBER_DISPATCH_ALL(val.dtype(), "put_along_dim", [&]<typename T>() {
    const T* v = val.data_ptr<T>();
    T* o = out.data_ptr<T>();
    for (int64_t a = 0; a < l.outer; ++a)
      for (int64_t j = 0; j < l.inner; ++j) {
        int64_t k = idx[a * l.inner + j];
        if (k >= 0 && k < l.R) o[(a * l.R + k) * l.inner + j] = v[a * l.inner + j];
      }
  });
}

void one_hot(const Tensor& out, const Tensor& index) {
  const int64_t* p = index.data_ptr<int64_t>();
  const int64_t n = index.numel(), C = out.shape().back();
  int64_t* o = out.data_ptr<int64_t>();
  for (int64_t i = 0; i < n; ++i) o[i * C + p[i]] = 1;
}

ClassTargets class_targets(const Tensor& index, const Tensor& ignored, const Tensor& weight64, const Tensor& target,
                           const Tensor& class_weight, int64_t C, int64_t ignore_index) {
  ClassTargets r;
  const int64_t* tp = target.data_ptr<int64_t>();
  const double* cw = class_weight.defined() ? class_weight.data_ptr<double>() : nullptr;
  int64_t* ip = index.data_ptr<int64_t>();
  bool* ig = ignored.data_ptr<bool>();
  double* w = weight64.data_ptr<double>();
  for (int64_t i = 0; i < target.numel(); ++i) {
    int64_t k = tp[i];
    ig[i] = k == ignore_index;
    if (ig[i]) {
      ip[i] = -1, w[i] = 0;
      continue;
    }
    if (k < 0 || k >= C) {
      r.bad = i;
      return r;
    }
    ip[i] = k;
    w[i] = cw ? cw[k] : 1.0;
    r.total += w[i];
  }
  return r;
}

}  // namespace ember::cpu
