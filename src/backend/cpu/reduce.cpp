// sum/mean (vectorized float rows, double accumulation), amax/amin, arg max/min, prod, any/all.
#include "backend/cpu/reduce.h"

#if defined(__AVX2__)
#include <immintrin.h>
#endif
#include <omp.h>

#include <limits>
#include <vector>

#include "backend/cpu/loops.h"
#include "backend/cpu/reduce_block.h"
#include "core/op_helpers.h"
#include "ember/parallel.h"

namespace ember::cpu {

namespace {

// ---------------- sum ----------------

#if defined(__AVX2__)
// float rows: 32 float lanes summed over blocks of 2048 elements (64 adds per lane), each block's
// total added into a double. As accurate as double accumulation for practical purposes (error
// grows with the block, not the row) at the cost of one float add per element: twice as fast
// as converting every element to double when the data is in cache, and memory-bound otherwise.
double row_sum_float(const float* x, int64_t n) {
  constexpr int64_t kBlock = 2048;
  double total = 0;
  for (int64_t b = 0; b < n; b += kBlock) {
    int64_t e = std::min(n, b + kBlock), i = b;
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    for (; i + 32 <= e; i += 32) {
      a0 = _mm256_add_ps(a0, _mm256_loadu_ps(x + i));
      a1 = _mm256_add_ps(a1, _mm256_loadu_ps(x + i + 8));
      a2 = _mm256_add_ps(a2, _mm256_loadu_ps(x + i + 16));
      a3 = _mm256_add_ps(a3, _mm256_loadu_ps(x + i + 24));
    }
    __m256 v = _mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3));
    alignas(32) float lanes[8];
    _mm256_store_ps(lanes, v);
    double part = ((double(lanes[0]) + lanes[1]) + (double(lanes[2]) + lanes[3])) +
                  ((double(lanes[4]) + lanes[5]) + (double(lanes[6]) + lanes[7]));
    for (; i < e; ++i) part += x[i];
    total += part;
  }
  return total;
}
#endif

// Sums rows of a row-major [O, R] block into out[O]. Acc: the accumulation type.
template <typename T, typename Acc>
void sum_rows(const T* src, T* out, int64_t O, int64_t R, double scale) {
  auto row_sum = [](const T* x, int64_t n) -> Acc {
#if defined(__AVX2__)
    if constexpr (std::is_same_v<T, float>) return row_sum_float(x, n);
#endif
    Acc acc[8] = {};
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
      for (int k = 0; k < 8; ++k) acc[k] += static_cast<Acc>(x[i + k]);
    Acc s = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
    for (; i < n; ++i) s += static_cast<Acc>(x[i]);
    return s;
  };
  int nt = get_num_threads();
  if (O == 1 && R >= 2 * kGrain && nt > 1) {
    // One output: each thread sums a fixed slice; partials combine in thread order (deterministic).
    std::vector<Acc> part(nt, Acc(0));
#pragma omp parallel num_threads(nt)
    {
      int t = omp_get_thread_num(), n = omp_get_num_threads();
      int64_t b = R * t / n, e = R * (t + 1) / n;
      part[t] = row_sum(src + b, e - b);
    }
    Acc s = 0;
    for (auto v : part) s += v;
    out[0] = static_cast<T>(s * static_cast<Acc>(scale));
    return;
  }
  bool par = O * R >= 2 * kGrain && nt > 1 && O > 1;
#pragma omp parallel for if (par) num_threads(nt) schedule(static)
  for (int64_t o = 0; o < O; ++o) out[o] = static_cast<T>(row_sum(src + o * R, R) * static_cast<Acc>(scale));
}

// Sums a column-major [R, O] block over r into out[O].
template <typename T, typename Acc>
void sum_cols(const T* src, T* out, int64_t O, int64_t R, double scale) {
  int nt = get_num_threads();
  // Threads split the O columns; each keeps its own accumulators.
  int64_t chunks = (O * R >= 2 * kGrain && nt > 1) ? std::min<int64_t>(nt, std::max<int64_t>(1, O / 64)) : 1;
#pragma omp parallel for num_threads(static_cast<int>(chunks)) schedule(static) if (chunks > 1)
  for (int64_t c = 0; c < chunks; ++c) {
    int64_t b = O * c / chunks, e = O * (c + 1) / chunks;
    std::vector<Acc> acc(e - b, Acc(0));
    for (int64_t r = 0; r < R; ++r) {
      const T* row = src + r * O + b;
      Acc* a = acc.data();
      for (int64_t o = 0; o < e - b; ++o) a[o] += static_cast<Acc>(row[o]);
    }
    for (int64_t o = b; o < e; ++o) out[o] = static_cast<T>(acc[o - b] * static_cast<Acc>(scale));
  }
}

// ---------------- amax / amin / arg ----------------

// v replaces the current best when it is strictly better or NaN (and the best is not NaN yet).
template <typename T, bool IsMax>
inline bool better(T v, T cur) {
  if constexpr (std::is_floating_point_v<T>) {
    if (cur != cur) return false;
    if (v != v) return true;
  }
  if constexpr (IsMax) return v > cur;
  else return v < cur;
}

template <typename T, bool IsMax>
struct ExtremeOp {
  using Acc = T;
  T* out;
  T init(int64_t) const {
    if constexpr (std::is_same_v<T, bool>) return !IsMax;
    else if constexpr (std::is_floating_point_v<T>)
      return IsMax ? -std::numeric_limits<T>::infinity() : std::numeric_limits<T>::infinity();
    else return IsMax ? std::numeric_limits<T>::lowest() : std::numeric_limits<T>::max();
  }
  void step(T& a, T v, int64_t) const {
    if (better<T, IsMax>(v, a)) a = v;
  }
  void merge(T& a, const T& b) const { step(a, b, 0); }
  void finish(const T& a, int64_t o) const { out[o] = a; }
};

template <typename T>
struct ValIdx {
  T v;
  int64_t i;  // -1: nothing seen yet
};

template <typename T, bool IsMax>
struct ArgOp {
  using Acc = ValIdx<T>;
  T* values;  // may be null (argmax only)
  int64_t* indices;
  Acc init(int64_t) const { return {T(0), -1}; }
  void step(Acc& a, T v, int64_t r) const {
    if (a.i < 0 || better<T, IsMax>(v, a.v)) a = {v, r};
  }
  void merge(Acc& a, const Acc& b) const {
    if (b.i >= 0 && (a.i < 0 || better<T, IsMax>(b.v, a.v))) a = b;  // b covers later r: ties keep a
  }
  void finish(const Acc& a, int64_t o) const {
    if (values) values[o] = a.v;
    indices[o] = a.i;
  }
};

// ---------------- prod ----------------

template <typename T>
struct ProdOp {
  using Acc = std::conditional_t<std::is_floating_point_v<T>, double, int64_t>;
  T* out;
  Acc init(int64_t) const { return 1; }
  void step(Acc& a, T v, int64_t) const { a *= static_cast<Acc>(v); }
  void merge(Acc& a, const Acc& b) const { a *= b; }
  void finish(const Acc& a, int64_t o) const { out[o] = static_cast<T>(a); }
};

}  // namespace

void sum(const Tensor& out, const Tensor& src, ReduceShape r, double scale) {
  EMBER_DISPATCH_NUMERIC(out.dtype(), "sum", [&]<typename T>() {
    using Acc = std::conditional_t<std::is_floating_point_v<T>, double, int64_t>;
    if (r.col_major) sum_cols<T, Acc>(src.data_ptr<T>(), out.data_ptr<T>(), r.O, r.R, scale);
    else sum_rows<T, Acc>(src.data_ptr<T>(), out.data_ptr<T>(), r.O, r.R, scale);
  });
}

void extreme(const Tensor& out, const Tensor& src, ReduceShape r, bool is_max) {
  EMBER_DISPATCH_ALL(src.dtype(), is_max ? "amax" : "amin", [&]<typename T>() {
    const T* s = src.data_ptr<T>();
    T* dst = out.data_ptr<T>();
    if (is_max) reduce_block(s, r.O, r.R, r.col_major, ExtremeOp<T, true>{dst});
    else reduce_block(s, r.O, r.R, r.col_major, ExtremeOp<T, false>{dst});
  });
}

void arg_extreme(const Tensor& values, const Tensor& indices, const Tensor& src, ReduceShape r, bool is_max) {
  EMBER_DISPATCH_ALL(src.dtype(), is_max ? "max" : "min", [&]<typename T>() {
    const T* s = src.data_ptr<T>();
    T* vals = values.defined() ? values.data_ptr<T>() : nullptr;
    int64_t* idx = indices.data_ptr<int64_t>();
    if (is_max) reduce_block(s, r.O, r.R, r.col_major, ArgOp<T, true>{vals, idx});
    else reduce_block(s, r.O, r.R, r.col_major, ArgOp<T, false>{vals, idx});
  });
}

void prod(const Tensor& out, const Tensor& src, ReduceShape r) {
  EMBER_DISPATCH_NUMERIC(out.dtype(), "prod", [&]<typename T>() {
    reduce_block(src.data_ptr<T>(), r.O, r.R, r.col_major, ProdOp<T>{out.data_ptr<T>()});
  });
}

void any_all(const Tensor& out, const Tensor& src, bool is_any) {
  bool r = EMBER_DISPATCH_ALL(src.dtype(), is_any ? "any" : "all", [&]<typename T>() {
    const T* p = src.data_ptr<T>();
    int64_t n = src.numel();
    // Blocks keep the inner loop branch-free (vectorizable); stop at the first block that decides.
    constexpr int64_t kBlock = 4096;
    for (int64_t b = 0; b < n; b += kBlock) {
      int64_t e = std::min(n, b + kBlock);
      bool hit = false;
      if (is_any)
        for (int64_t i = b; i < e; ++i) hit |= p[i] != T(0);
      else
        for (int64_t i = b; i < e; ++i) hit |= !(p[i] != T(0));
      if (hit) return is_any;
    }
    return !is_any;
  });
  *out.data_ptr<bool>() = r;
}

}  // namespace ember::cpu
