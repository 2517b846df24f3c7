#pragma once
// Strided elementwise loops over N operands (operand 0 is the output). Dims are coalesced where
// every operand is contiguous across them, so the innermost loop is long and, when all strides are
// 1 (or 0 for a broadcast scalar), a plain vectorizable loop.
#include <omp.h>

#include <array>
#include <cstdint>

#include "ember/parallel.h"
#include "ember/tensor.h"

namespace ember::cpu {

constexpr int64_t kGrain = 32768;  // elements per thread below which we stay serial

template <size_t N>
struct LoopGeometry {
  int64_t ndim = 0;
  std::array<int64_t, 8> shape{};                    // coalesced, outermost first
  std::array<std::array<int64_t, 8>, N> strides{};   // per operand, in elements
};

// ops: N tensors all of `shape` (inputs already expanded to it).
template <size_t N>
LoopGeometry<N> make_geometry(const Shape& shape, const std::array<const Tensor*, N>& ops) {
  LoopGeometry<N> g;
  // Drop size-1 dims, then merge dim i into dim i+1 when every operand allows it.
  int64_t nd = 0;
  std::array<int64_t, 64> sh{};
  std::array<std::array<int64_t, 64>, N> st{};
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1) continue;
    sh[nd] = shape[d];
    for (size_t k = 0; k < N; ++k) st[k][nd] = ops[k]->strides()[d];
    ++nd;
  }
  int64_t out = 0;
  for (int64_t d = 0; d < nd; ++d) {
    if (out > 0) {
      bool merge = true;
      for (size_t k = 0; k < N; ++k)
        if (st[k][out - 1] != st[k][d] * sh[d]) { merge = false; break; }
      if (merge) {
        sh[out - 1] *= sh[d];
        for (size_t k = 0; k < N; ++k) st[k][out - 1] = st[k][d];
        continue;
      }
    }
    sh[out] = sh[d];
    for (size_t k = 0; k < N; ++k) st[k][out] = st[k][d];
    ++out;
  }
  if (out > 8) throw Error("elementwise: tensors with more than 8 non-mergeable dims are not supported");
  g.ndim = out;
  for (int64_t d = 0; d < out; ++d) {
    g.shape[d] = sh[d];
    for (size_t k = 0; k < N; ++k) g.strides[k][d] = st[k][d];
  }
  return g;
}

// Calls row(ptrs, inner_strides, n) for consecutive pieces of the iteration space; each call covers
// n elements along the innermost dim. ptrs are typed element pointers for each operand.
template <size_t N, typename Row>
void for_each_row(const LoopGeometry<N>& g, std::array<char*, N> base, std::array<int64_t, N> isz,
                  int64_t numel, Row&& row) {
  if (numel == 0) return;
  if (g.ndim == 0) {
    std::array<int64_t, N> zero{};
    row(base, zero, int64_t{1});
    return;
  }
  const int64_t inner = g.shape[g.ndim - 1];
  std::array<int64_t, N> inner_st;
  for (size_t k = 0; k < N; ++k) inner_st[k] = g.strides[k][g.ndim - 1];
  auto run_range = [&](int64_t begin, int64_t end) {
    // Position of `begin` in the outer dims.
    std::array<int64_t, 8> idx{};
    int64_t rest = begin / inner;
    int64_t col = begin % inner;
    for (int64_t d = g.ndim - 2; d >= 0; --d) {
      idx[d] = rest % g.shape[d];
      rest /= g.shape[d];
    }
    int64_t pos = begin;
    while (pos < end) {
      std::array<char*, N> p;
      for (size_t k = 0; k < N; ++k) {
        int64_t off = col * inner_st[k];
        for (int64_t d = 0; d < g.ndim - 1; ++d) off += idx[d] * g.strides[k][d];
        p[k] = base[k] + off * isz[k];
      }
      int64_t n = std::min(inner - col, end - pos);
      row(p, inner_st, n);
      pos += n;
      col = 0;
      for (int64_t d = g.ndim - 2; d >= 0; --d) {
        if (++idx[d] < g.shape[d]) break;
        idx[d] = 0;
      }
    }
  };
  int nt = get_num_threads();
  if (nt <= 1 || numel < 2 * kGrain) {
    run_range(0, numel);
    return;
  }
  int64_t chunks = std::min<int64_t>(nt, numel / kGrain);
#pragma omp parallel for num_threads(static_cast<int>(chunks)) schedule(static)
  for (int64_t c = 0; c < chunks; ++c) {
    int64_t b = numel * c / chunks, e = numel * (c + 1) / chunks;
    b = b / 16 * 16;  // keep chunk starts aligned for the vector loops
    if (c + 1 < chunks) e = e / 16 * 16;
    if (b < e) run_range(b, e);
  }
}

// out[i] = f(in0[i], in1[i], ...) with all inputs of type In and output of type Out.
// out must already have the broadcast shape; inputs must be expanded to it.
template <typename Out, typename In, size_t NIn, typename F>
void map(const Tensor& out, const std::array<const Tensor*, NIn>& ins, F f) {
  constexpr size_t N = NIn + 1;
  std::array<const Tensor*, N> ops;
  ops[0] = &out;
  for (size_t k = 0; k < NIn; ++k) ops[k + 1] = ins[k];
  auto g = make_geometry<N>(out.shape(), ops);
  std::array<char*, N> base;
  std::array<int64_t, N> isz;
  for (size_t k = 0; k < N; ++k) {
    base[k] = static_cast<char*>(ops[k]->raw_data());
    isz[k] = static_cast<int64_t>(ops[k]->element_size());
  }
  for_each_row<N>(g, base, isz, out.numel(), [&](const std::array<char*, N>& p, const std::array<int64_t, N>& s, int64_t n) {
    Out* __restrict o = reinterpret_cast<Out*>(p[0]);
    if constexpr (NIn == 1) {
      const In* a = reinterpret_cast<const In*>(p[1]);
      if (s[0] == 1 && s[1] == 1) {
        for (int64_t i = 0; i < n; ++i) o[i] = f(a[i]);
      } else {
        for (int64_t i = 0; i < n; ++i) o[i * s[0]] = f(a[i * s[1]]);
      }
    } else if constexpr (NIn == 2) {
      const In* a = reinterpret_cast<const In*>(p[1]);
      const In* b = reinterpret_cast<const In*>(p[2]);
      if (s[0] == 1 && s[1] == 1 && s[2] == 1) {
        for (int64_t i = 0; i < n; ++i) o[i] = f(a[i], b[i]);
      } else if (s[0] == 1 && s[1] == 1 && s[2] == 0) {
        const In bv = *b;
        for (int64_t i = 0; i < n; ++i) o[i] = f(a[i], bv);
      } else if (s[0] == 1 && s[1] == 0 && s[2] == 1) {
        const In av = *a;
        for (int64_t i = 0; i < n; ++i) o[i] = f(av, b[i]);
      } else {
        for (int64_t i = 0; i < n; ++i) o[i * s[0]] = f(a[i * s[1]], b[i * s[2]]);
      }
    } else {
      static_assert(NIn == 3, "map supports 1 to 3 inputs");
      const In* a = reinterpret_cast<const In*>(p[1]);
      const In* b = reinterpret_cast<const In*>(p[2]);
      const In* c = reinterpret_cast<const In*>(p[3]);
      if (s[0] == 1 && s[1] == 1 && s[2] == 1 && s[3] == 1) {
        for (int64_t i = 0; i < n; ++i) o[i] = f(a[i], b[i], c[i]);
      } else {
        for (int64_t i = 0; i < n; ++i) o[i * s[0]] = f(a[i * s[1]], b[i * s[2]], c[i * s[3]]);
      }
    }
  });
}

}  // namespace ember::cpu
