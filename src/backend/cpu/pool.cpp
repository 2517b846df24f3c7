// Max and average pooling kernels (see pool.h).
#include "backend/cpu/pool.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "backend/cpu/loops.h"
#include "core/op_helpers.h"
#include "ember/parallel.h"

namespace ember::cpu {

namespace {

// Runs fn(plane) for every plane, threaded when the work is large.
template <typename F>
void over_planes(int64_t planes, int64_t work, F&& fn) {
  int nt = get_num_threads();
  bool par = nt > 1 && planes > 1 && work >= 2 * kGrain && !omp_in_parallel();
#pragma omp parallel for num_threads(nt) schedule(static) if (par)
  for (int64_t p = 0; p < planes; ++p) fn(p);
}

// The common 2x2, stride-2, unpadded window (every CNN's pool): branch-free selects in PyTorch's
// scan order (row-major, NaN wins), so the compiler can vectorize the row loop.
template <typename T>
void max_pool_2x2(const T* xp, T* yp, int64_t* ip, int64_t W, int64_t OH, int64_t OW) {
  for (int64_t oh = 0; oh < OH; ++oh) {
    const T* r0 = xp + 2 * oh * W;
    const T* r1 = r0 + W;
    T* yr = yp + oh * OW;
    int64_t* ir = ip + oh * OW;
    const int64_t base = 2 * oh * W;
    for (int64_t ow = 0; ow < OW; ++ow) {
      T a = r0[2 * ow], b = r0[2 * ow + 1], c = r1[2 * ow], d = r1[2 * ow + 1];
      int64_t i = 0;
      T best = a;
      bool tb = b > best || b != b;
      best = tb ? b : best, i = tb ? 1 : i;
      bool tc = c > best || c != c;
      best = tc ? c : best, i = tc ? W : i;
      bool td = d > best || d != d;
      best = td ? d : best, i = td ? W + 1 : i;
      yr[ow] = best;
      ir[ow] = base + 2 * ow + i;
    }
  }
}

template <typename T>
void max_pool_forward(const T* x, T* y, int64_t* idx, const MaxPoolGeom& g) {
  const int64_t HW = g.H * g.W, P = g.OH * g.OW;
  if (g.kh == 2 && g.kw == 2 && g.sh == 2 && g.sw == 2 && g.ph == 0 && g.pw == 0 && g.dh == 1 && g.dw == 1 &&
      2 * g.OH <= g.H && 2 * g.OW <= g.W) {
    over_planes(g.planes, g.planes * P * 4, [&](int64_t pl) { max_pool_2x2(x + pl * HW, y + pl * P, idx + pl * P, g.W, g.OH, g.OW); });
    return;
  }
  over_planes(g.planes, g.planes * P * g.kh * g.kw, [&](int64_t pl) {
    const T* xp = x + pl * HW;
    T* yp = y + pl * P;
    int64_t* ip = idx + pl * P;
    for (int64_t oh = 0; oh < g.OH; ++oh) {
      int64_t h0 = oh * g.sh - g.ph;
      const int64_t h1 = std::min(h0 + (g.kh - 1) * g.dh + 1, g.H);
      while (h0 < 0) h0 += g.dh;
      for (int64_t ow = 0; ow < g.OW; ++ow) {
        int64_t w0 = ow * g.sw - g.pw;
        const int64_t w1 = std::min(w0 + (g.kw - 1) * g.dw + 1, g.W);
        while (w0 < 0) w0 += g.dw;
        // Starts at the first in-bounds element so an all -inf window still names a real input.
        int64_t best_i = h0 * g.W + w0;
        T best = -std::numeric_limits<T>::infinity();
        for (int64_t h = h0; h < h1; h += g.dh)
          for (int64_t w = w0; w < w1; w += g.dw) {
            T v = xp[h * g.W + w];
            if (v > best || std::isnan(v)) {  // NaN propagates (the last NaN wins), as in PyTorch
              best = v;
              best_i = h * g.W + w;
            }
          }
        yp[oh * g.OW + ow] = best;
        ip[oh * g.OW + ow] = best_i;
      }
    }
  });
}

template <typename T>
void max_pool_backward(const T* gy, const int64_t* idx, T* gx, int64_t planes, int64_t HW, int64_t P) {
  over_planes(planes, planes * (HW + P), [&](int64_t pl) {
    T* gp = gx + pl * HW;
    std::fill(gp, gp + HW, T(0));
    const T* g = gy + pl * P;
    const int64_t* ip = idx + pl * P;
    for (int64_t p = 0; p < P; ++p) gp[ip[p]] += g[p];
  });
}

template <typename T>
void gather_planes(const T* gx, const int64_t* idx, T* gy, int64_t planes, int64_t HW, int64_t P) {
  over_planes(planes, planes * P, [&](int64_t pl) {
    const T* gp = gx + pl * HW;
    const int64_t* ip = idx + pl * P;
    T* o = gy + pl * P;
    for (int64_t p = 0; p < P; ++p) o[p] = gp[ip[p]];
  });
}

template <typename T>
void avg_pool_forward(const T* x, T* y, const AvgWindows& g) {
  const int64_t HW = g.H * g.W, OH = g.OH(), OW = g.OW(), P = OH * OW;
  over_planes(g.planes, g.planes * HW, [&](int64_t pl) {
    const T* xp = x + pl * HW;
    T* yp = y + pl * P;
    for (int64_t oh = 0; oh < OH; ++oh)
      for (int64_t ow = 0; ow < OW; ++ow) {
        T s = 0;
        for (int64_t h = g.h0[oh]; h < g.h1[oh]; ++h)
          for (int64_t w = g.w0[ow]; w < g.w1[ow]; ++w) s += xp[h * g.W + w];
        yp[oh * OW + ow] = s / static_cast<T>(g.hdiv[oh] * g.wdiv[ow]);
      }
  });
}

template <typename T>
void avg_pool_backward(const T* gy, T* gx, const AvgWindows& g) {
  const int64_t HW = g.H * g.W, OH = g.OH(), OW = g.OW(), P = OH * OW;
  over_planes(g.planes, g.planes * HW, [&](int64_t pl) {
    T* gp = gx + pl * HW;
    std::fill(gp, gp + HW, T(0));
    const T* yp = gy + pl * P;
    for (int64_t oh = 0; oh < OH; ++oh)
      for (int64_t ow = 0; ow < OW; ++ow) {
        T v = yp[oh * OW + ow] / static_cast<T>(g.hdiv[oh] * g.wdiv[ow]);
        for (int64_t h = g.h0[oh]; h < g.h1[oh]; ++h)
          for (int64_t w = g.w0[ow]; w < g.w1[ow]; ++w) gp[h * g.W + w] += v;
      }
  });
}

}  // namespace

// The planes and per-plane sizes of a (..., H, W) pooling tensor.
struct Planes {
  int64_t planes, HW;
};
static Planes planes_of(const Tensor& t) {
  const int64_t nd = t.dim(), HW = t.shape()[nd - 1] * t.shape()[nd - 2];
  return {HW == 0 ? 0 : t.numel() / HW, HW};
}

void max_pool2d(const Tensor& y, const Tensor& idx, const Tensor& x, const MaxPoolGeom& g) {
  EMBER_DISPATCH_FLOATING(x.dtype(), "max_pool2d", [&]<typename T>() {
    max_pool_forward<T>(x.data_ptr<T>(), y.data_ptr<T>(), idx.data_ptr<int64_t>(), g);
  });
}

void max_pool2d_backward(const Tensor& gx, const Tensor& gy, const Tensor& idx) {
  const Planes in = planes_of(gx);
  const int64_t P = planes_of(gy).HW;
  EMBER_DISPATCH_FLOATING(gy.dtype(), "max_pool2d_backward", [&]<typename T>() {
    max_pool_backward<T>(gy.data_ptr<T>(), idx.data_ptr<int64_t>(), gx.data_ptr<T>(), in.planes, in.HW, P);
  });
}

void max_pool2d_gather(const Tensor& out, const Tensor& gx, const Tensor& idx) {
  const Planes in = planes_of(gx);
  const int64_t P = planes_of(idx).HW;
  EMBER_DISPATCH_FLOATING(gx.dtype(), "max_pool2d", [&]<typename T>() {
    gather_planes<T>(gx.data_ptr<T>(), idx.data_ptr<int64_t>(), out.data_ptr<T>(), in.planes, in.HW, P);
  });
}

void avg_pool2d(const Tensor& y, const Tensor& x, const AvgWindows& w) {
  EMBER_DISPATCH_FLOATING(x.dtype(), "avg_pool2d", [&]<typename T>() { avg_pool_forward<T>(x.data_ptr<T>(), y.data_ptr<T>(), w); });
}

void avg_pool2d_backward(const Tensor& gx, const Tensor& gy, const AvgWindows& w) {
  EMBER_DISPATCH_FLOATING(gy.dtype(), "avg_pool2d_backward", [&]<typename T>() {
    avg_pool_backward<T>(gy.data_ptr<T>(), gx.data_ptr<T>(), w);
  });
}

}  // namespace ember::cpu
