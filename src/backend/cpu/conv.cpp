// im2col + GEMM convolution: forward, input gradient (col2im) and weight gradient.
#include "backend/cpu/conv.h"

#include <omp.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

#include "backend/cpu/gemm.h"
#include "backend/cpu/loops.h"
#include "backend/cpu/winograd.h"
#include "ember/autocast.h"
#include "core/op_helpers.h"
#include "ember/parallel.h"

namespace ember::cpu {

namespace {

// Output columns ow whose input column ow * stride + off lies in [0, W): [lo, hi).
void valid_cols(int64_t off, int64_t stride, int64_t W, int64_t OW, int64_t& lo, int64_t& hi) {
  lo = off >= 0 ? 0 : (-off + stride - 1) / stride;
  hi = W - 1 - off < 0 ? 0 : (W - 1 - off) / stride + 1;
  lo = std::min(lo, OW);
  hi = std::clamp(hi, lo, OW);
}

// dst[k] = src[k * stride] and its adjoint dst[k * stride] += src[k], k in [0, n): restrict
// pointers and a constant stride 2 (the downsampling convolutions') let the compiler vectorize.
template <typename T>
inline void gather_row(T* __restrict dst, const T* __restrict src, int64_t n, int64_t stride) {
  if (stride == 2) {
    for (int64_t k = 0; k < n; ++k) dst[k] = src[2 * k];
  } else {
    for (int64_t k = 0; k < n; ++k) dst[k] = src[k * stride];
  }
}
template <typename T>
inline void scatter_add_row(T* __restrict dst, const T* __restrict src, int64_t n, int64_t stride) {
  if (stride == 2) {
    for (int64_t k = 0; k < n; ++k) dst[2 * k] += src[k];
  } else {
    for (int64_t k = 0; k < n; ++k) dst[k * stride] += src[k];
  }
}

// x (C, H, W) -> col (C*kh*kw, OH*OW) for channels [c0, c1); padding reads as zero.
template <typename T>
void im2col(const T* x, const ConvGeom& g, T* col, int64_t c0, int64_t c1) {
  const int64_t P = g.P(), OW = g.OW;
  for (int64_t c = c0; c < c1; ++c)
    for (int64_t i = 0; i < g.kh; ++i)
      for (int64_t j = 0; j < g.kw; ++j) {
        T* row = col + ((c * g.kh + i) * g.kw + j) * P;
        const int64_t off = j * g.dw - g.pw;
        int64_t lo, hi;
        valid_cols(off, g.sw, g.W, OW, lo, hi);
        const bool whole = g.sw == 1 && lo == 0 && hi == OW;  // every column in bounds: one memcpy
        for (int64_t oh = 0; oh < g.OH; ++oh) {
          T* dst = row + oh * OW;
          const int64_t ih = oh * g.sh - g.ph + i * g.dh;
          if (ih < 0 || ih >= g.H) {
            std::fill(dst, dst + OW, T(0));
            continue;
          }
          const T* src = x + (c * g.H + ih) * g.W;  // input row; column of ow is ow * sw + off
          if (whole) {
            std::memcpy(dst, src + off, OW * sizeof(T));
            continue;
          }
          std::fill(dst, dst + lo, T(0));
          if (g.sw == 1) {
            std::copy(src + lo + off, src + hi + off, dst + lo);
          } else {
            gather_row(dst + lo, src + lo * g.sw + off, hi - lo, g.sw);
          }
          std::fill(dst + hi, dst + OW, T(0));
        }
      }
}

// The adjoint of im2col: x (C, H, W) = sum of the col entries that read each pixel, channels [c0, c1).
template <typename T>
void col2im(const T* col, const ConvGeom& g, T* x, int64_t c0, int64_t c1) {
  const int64_t P = g.P(), OW = g.OW;
  std::fill(x + c0 * g.H * g.W, x + c1 * g.H * g.W, T(0));
  for (int64_t c = c0; c < c1; ++c)
    for (int64_t i = 0; i < g.kh; ++i)
      for (int64_t j = 0; j < g.kw; ++j) {
        const T* row = col + ((c * g.kh + i) * g.kw + j) * P;
        const int64_t off = j * g.dw - g.pw;
        int64_t lo, hi;
        valid_cols(off, g.sw, g.W, OW, lo, hi);
        for (int64_t oh = 0; oh < g.OH; ++oh) {
          const int64_t ih = oh * g.sh - g.ph + i * g.dh;
          if (ih < 0 || ih >= g.H) continue;
          const T* src = row + oh * OW;
          T* dst = x + (c * g.H + ih) * g.W + off;
          if (g.sw == 1) {
            for (int64_t ow = lo; ow < hi; ++ow) dst[ow] += src[ow];
          } else {
            scatter_add_row(dst + lo * g.sw, src + lo, hi - lo, g.sw);
          }
        }
      }
}

// Runs fn(c0, c1) over channel ranges, in parallel when allowed and the work is large.
template <typename F>
void over_channels(int64_t C, int64_t work, bool threads, F&& fn) {
  int nt = get_num_threads();
  if (!threads || nt <= 1 || C < 2 || work < 2 * kGrain || omp_in_parallel()) return fn(int64_t{0}, C);
#pragma omp parallel num_threads(nt)
  {
    int t = omp_get_thread_num(), n = omp_get_num_threads();
    int64_t c0 = C * t / n, c1 = C * (t + 1) / n;
    if (c0 < c1) fn(c0, c1);
  }
}

template <typename T>
bool samples_in_parallel(int64_t N) {
  return cpu::parallel_over_samples(N, std::is_same_v<T, float>, get_num_threads(), omp_in_parallel());
}

// Calls fn(n, scratch, worker) for every sample n; each worker owns a scratch buffer of
// `scratch_elems` and a fixed, contiguous range of samples (so results are deterministic).
template <typename T, typename F>
void for_each_sample(int64_t N, int64_t scratch_elems, bool par, F&& fn) {
  int nt = par ? get_num_threads() : 1;
  std::vector<std::unique_ptr<T[]>> scratch(nt);
  for (auto& s : scratch) s.reset(scratch_elems ? new T[scratch_elems] : nullptr);
  if (!par) {
    for (int64_t n = 0; n < N; ++n) fn(n, scratch[0].get(), 0);
    return;
  }
#pragma omp parallel num_threads(nt)
  {
    int t = omp_get_thread_num(), nthr = omp_get_num_threads();
    for (int64_t n = N * t / nthr; n < N * (t + 1) / nthr; ++n) fn(n, scratch[t].get(), t);
  }
}

template <typename T>
void forward_im2col(const T* x, const T* w, const T* bias, T* y, const ConvGeom& g) {
  const int64_t P = g.P(), Kg = g.Kg(), Cog = g.Cog(), CHW = g.C * g.H * g.W, Kall = g.C * g.kh * g.kw;
  const bool direct = g.pointwise(), par = samples_in_parallel<T>(g.N);
  const GemmLib lib = resolve_gemm(GemmLib::OneDNN);  // before the samples' threads: bf16 under autocast
  for_each_sample<T>(g.N, direct ? 0 : Kall * P, par, [&](int64_t n, T* col, int) {
    const T* xn = x + n * CHW;  // (C, H, W)
    T* yn = y + n * g.Co * P;   // (Co, P)
    const T* cn = xn;           // (C*kh*kw, P)
    if (!direct) {
      over_channels(g.C, Kall * P, !par, [&](int64_t c0, int64_t c1) { im2col(xn, g, col, c0, c1); });
      cn = col;
    }
    if (bias)
      for (int64_t co = 0; co < g.Co; ++co) std::fill(yn + co * P, yn + (co + 1) * P, bias[co]);
    for (int64_t grp = 0; grp < g.groups; ++grp)  // (Cog, Kg) @ (Kg, P) -> (Cog, P)
      gemm<T>(false, false, Cog, P, Kg, T(1), w + grp * Cog * Kg, Kg, cn + grp * Kg * P, P, bias ? T(1) : T(0),
              yn + grp * Cog * P, P, lib);
  });
}

template <typename T>
void input_grad(const T* gy, const T* w, T* gx, const ConvGeom& g) {
  const int64_t P = g.P(), Kg = g.Kg(), Cog = g.Cog(), CHW = g.C * g.H * g.W, Kall = g.C * g.kh * g.kw;
  const bool direct = g.pointwise(), par = samples_in_parallel<T>(g.N);
  const GemmLib lib = resolve_gemm(GemmLib::OneDNN);  // before the samples' threads: bf16 under autocast
  for_each_sample<T>(g.N, direct ? 0 : Kall * P, par, [&](int64_t n, T* col, int) {
    const T* gyn = gy + n * g.Co * P;  // (Co, P)
    T* gxn = gx + n * CHW;             // (C, H, W)
    T* cn = direct ? gxn : col;        // (C*kh*kw, P)
    for (int64_t grp = 0; grp < g.groups; ++grp)  // (Kg, Cog) @ (Cog, P) -> (Kg, P)
      gemm<T>(true, false, Kg, P, Cog, T(1), w + grp * Cog * Kg, Kg, gyn + grp * Cog * P, P, T(0), cn + grp * Kg * P, P,
              lib);
    if (!direct) over_channels(g.C, Kall * P, !par, [&](int64_t c0, int64_t c1) { col2im(col, g, gxn, c0, c1); });
  });
}

template <typename T>
void weight_grad(const T* x, const T* gy, T* gw, const ConvGeom& g) {
  const int64_t P = g.P(), Kg = g.Kg(), Cog = g.Cog(), CHW = g.C * g.H * g.W, Kall = g.C * g.kh * g.kw;
  const int64_t wsize = g.Co * Kg;
  const bool direct = g.pointwise(), par = samples_in_parallel<T>(g.N);
  const GemmLib lib = resolve_gemm(GemmLib::OneDNN);  // before the samples' threads: bf16 under autocast
  // Worker 0 accumulates into gw; the others into private buffers summed in worker order.
  int nt = par ? get_num_threads() : 1;
  std::vector<std::unique_ptr<T[]>> acc(nt);
  for (int t = 1; t < nt; ++t) acc[t].reset(new T[wsize]);
  std::vector<char> used(nt, 0);
  for_each_sample<T>(g.N, direct ? 0 : Kall * P, par, [&](int64_t n, T* col, int t) {
    const T* xn = x + n * CHW;
    const T* gyn = gy + n * g.Co * P;  // (Co, P)
    const T* cn = xn;                  // (C*kh*kw, P)
    if (!direct) {
      over_channels(g.C, Kall * P, !par, [&](int64_t c0, int64_t c1) { im2col(xn, g, col, c0, c1); });
      cn = col;
    }
    T* a = t == 0 ? gw : acc[t].get();
    T beta = used[t] ? T(1) : T(0);
    used[t] = 1;
    for (int64_t grp = 0; grp < g.groups; ++grp)  // (Cog, P) @ (P, Kg) -> (Cog, Kg)
      gemm<T>(false, true, Cog, Kg, P, T(1), gyn + grp * Cog * P, P, cn + grp * Kg * P, P, beta, a + grp * Cog * Kg, Kg,
              lib);
  });
  if (!used[0]) std::fill(gw, gw + wsize, T(0));
  for (int t = 1; t < nt; ++t)
    if (used[t])
      for (int64_t i = 0; i < wsize; ++i) gw[i] += acc[t][i];
}

template <typename T>
void both_grads(const T* x, const T* gy, const T* w, T* gx, T* gw, const ConvGeom& g) {
  if constexpr (std::is_same_v<T, float>)
    if (gx && gw && !is_autocast_enabled() && winograd_backward_applicable(g))  // float32 transforms only
      return winograd_backward(x, gy, w, gx, gw, g);
  if (gx) input_grad(gy, w, gx, g);
  if (gw) weight_grad(x, gy, gw, g);
}

template <typename T>
void channel_sums(const T* gy, T* gb, int64_t N, int64_t C, int64_t P) {
  int nt = get_num_threads();
  bool par = nt > 1 && C > 1 && N * C * P >= 2 * kGrain && !omp_in_parallel();
#pragma omp parallel for num_threads(nt) schedule(static) if (par)
  for (int64_t c = 0; c < C; ++c) {
    // Eight independent partial sums per row (a fixed order, so results are reproducible) keep
    // the adds vectorized instead of waiting on one long dependency chain.
    double s = 0;
    for (int64_t n = 0; n < N; ++n) {
      const T* row = gy + (n * C + c) * P;
      T acc[8] = {};
      int64_t p = 0;
      for (; p + 8 <= P; p += 8)
        for (int k = 0; k < 8; ++k) acc[k] += row[p + k];
      T r = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
      for (; p < P; ++p) r += row[p];
      s += static_cast<double>(r);
    }
    gb[c] = static_cast<T>(s);
  }
}

template <typename T>
void add_bias(T* y, const T* bias, int64_t N, int64_t C, int64_t P) {
  int nt = get_num_threads();
  bool par = nt > 1 && N * C * P >= 2 * kGrain && !omp_in_parallel();
#pragma omp parallel for num_threads(nt) schedule(static) if (par)
  for (int64_t r = 0; r < N * C; ++r) {
    T b = bias[r % C];
    T* row = y + r * P;
    for (int64_t p = 0; p < P; ++p) row[p] += b;
  }
}

}  // namespace

template <typename T>
static const T* ptr_or_null(const Tensor& t) {
  return t.defined() ? t.data_ptr<T>() : nullptr;
}

void conv2d(const Tensor& y, const Tensor& x, const Tensor& w, const Tensor& bias, const ConvGeom& g) {
  EMBER_DISPATCH_FLOATING(x.dtype(), "conv2d", [&]<typename T>() {
    forward_im2col<T>(x.data_ptr<T>(), w.data_ptr<T>(), ptr_or_null<T>(bias), y.data_ptr<T>(), g);
  });
}

void conv2d_backward_input(const Tensor& gx, const Tensor& gy, const Tensor& w, const Tensor& bias, const ConvGeom& g) {
  EMBER_DISPATCH_FLOATING(gy.dtype(), "conv_transpose2d", [&]<typename T>() {
    input_grad<T>(gy.data_ptr<T>(), w.data_ptr<T>(), gx.data_ptr<T>(), g);
    if (bias.defined()) add_bias<T>(gx.data_ptr<T>(), bias.data_ptr<T>(), g.N, g.C, g.H * g.W);
  });
}

void conv2d_backward_weight(const Tensor& gw, const Tensor& x, const Tensor& gy, const ConvGeom& g) {
  EMBER_DISPATCH_FLOATING(x.dtype(), "conv2d_weight_backward", [&]<typename T>() {
    weight_grad<T>(x.data_ptr<T>(), gy.data_ptr<T>(), gw.data_ptr<T>(), g);
  });
}

void conv2d_backward(const Tensor& gx, const Tensor& gw, const Tensor& x, const Tensor& gy, const Tensor& w,
                     const ConvGeom& g) {
  EMBER_DISPATCH_FLOATING(x.dtype(), "conv2d_backward", [&]<typename T>() {
    both_grads<T>(x.data_ptr<T>(), gy.data_ptr<T>(), w.data_ptr<T>(), gx.data_ptr<T>(), gw.data_ptr<T>(), g);
  });
}

void channel_sum(const Tensor& out, const Tensor& g) {
  const Shape& s = g.shape();  // (N, C, H, W)
  EMBER_DISPATCH_FLOATING(g.dtype(), "conv_bias_backward", [&]<typename T>() {
    channel_sums<T>(g.data_ptr<T>(), out.data_ptr<T>(), s[0], s[1], s[2] * s[3]);
  });
}

}  // namespace ember::cpu
