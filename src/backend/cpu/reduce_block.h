#pragma once
// A generic reduction driver over contiguous blocks (backend::ReduceShape): row-major [O, R]
// (src[o * R + r]) or column-major [R, O] (src[r * O + o]). The op is a small struct, inlined:
//
//   using Acc = ...;                              accumulator state
//   Acc init(int64_t o) const;                    fresh state for output o
//   void step(Acc& a, T v, int64_t r) const;      fold element r (r increases within a call)
//   void merge(Acc& a, const Acc& later) const;   fold a state that covered later r
//   void finish(const Acc& a, int64_t o) const;   write output o
//
// Work is split into fixed slices of O (and of R when there are fewer outputs than threads);
// partial states are merged in slice order, so results depend only on the thread count.
#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <memory>

#include "backend/cpu/loops.h"
#include "ember/parallel.h"

namespace ember::cpu {

template <typename T, typename Op>
void reduce_block(const T* src, int64_t O, int64_t R, bool col_major, const Op& op) {
  using Acc = typename Op::Acc;
  if (O == 0) return;
  int nt = get_num_threads();
  bool par = nt > 1 && O * R >= 2 * kGrain;
  // Slices of R: only when there are too few outputs to keep every thread busy.
  int64_t S = (par && O < nt) ? std::min<int64_t>(nt, std::max<int64_t>(1, R / kGrain)) : 1;
  if (S <= 1) {
    if (!col_major) {
#pragma omp parallel for if (par) num_threads(nt) schedule(static)
      for (int64_t o = 0; o < O; ++o) {
        Acc a = op.init(o);
        const T* row = src + o * R;
        for (int64_t r = 0; r < R; ++r) op.step(a, row[r], r);
        op.finish(a, o);
      }
      return;
    }
    // Column-major: threads take fixed ranges of outputs; each walks r outermost so loads stay
    // contiguous, in strips of columns that keep the states in cache.
    constexpr int64_t kCols = 512;
    int64_t strips = (O + kCols - 1) / kCols;
#pragma omp parallel for if (par && strips > 1) num_threads(nt) schedule(static)
    for (int64_t s = 0; s < strips; ++s) {
      int64_t b = s * kCols, e = std::min(O, b + kCols);
      std::unique_ptr<Acc[]> acc(new Acc[e - b]);  // not std::vector: Acc may be bool
      for (int64_t o = b; o < e; ++o) acc[o - b] = op.init(o);
      for (int64_t r = 0; r < R; ++r) {
        const T* row = src + r * O;
        for (int64_t o = b; o < e; ++o) op.step(acc[o - b], row[o], r);
      }
      for (int64_t o = b; o < e; ++o) op.finish(acc[o - b], o);
    }
    return;
  }
  // Few outputs, long reductions: S slices of R per output, merged in slice order.
  std::unique_ptr<Acc[]> part(new Acc[S * O]);
  for (int64_t i = 0; i < S * O; ++i) part[i] = op.init(i % O);
#pragma omp parallel for num_threads(static_cast<int>(S)) schedule(static)
  for (int64_t s = 0; s < S; ++s) {
    int64_t rb = R * s / S, re = R * (s + 1) / S;
    for (int64_t o = 0; o < O; ++o) {
      Acc& a = part[s * O + o];
      if (!col_major) {
        const T* row = src + o * R;
        for (int64_t r = rb; r < re; ++r) op.step(a, row[r], r);
      } else {
        for (int64_t r = rb; r < re; ++r) op.step(a, src[r * O + o], r);
      }
    }
  }
  for (int64_t o = 0; o < O; ++o) {
    Acc a = part[o];
    for (int64_t s = 1; s < S; ++s) op.merge(a, part[s * O + o]);
    op.finish(a, o);
  }
}

}  // namespace ember::cpu
