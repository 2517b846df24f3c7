#pragma once
// Fused optimizer updates over contiguous parameter, gradient and state buffers: one pass per
// parameter instead of a chain of in-place tensor ops, and no temporaries. Each loop performs the
// same float operations in the same order as PyTorch's single-tensor path (scalars rounded to the
// parameter's type first, as ATen does), so results agree to rounding.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "ember/parallel.h"

namespace ember::cpu {

// Calls f(begin, end) over [0, n): serially for small n, otherwise in fixed static chunks.
// Every element is computed independently, so the result never depends on the thread count.
template <class F> void parallel_chunks(int64_t n, F&& f) {
  constexpr int64_t kGrain = 32768;
  int nt = get_num_threads();
  if (n < 2 * kGrain || nt == 1) {
    f(int64_t{0}, n);
    return;
  }
  int64_t chunks = std::min<int64_t>(nt, (n + kGrain - 1) / kGrain);
#pragma omp parallel for num_threads(nt) schedule(static)
  for (int64_t c = 0; c < chunks; ++c) f(n * c / chunks, n * (c + 1) / chunks);
}

// Gradient with maximize and L2 weight decay applied: torch's grad.add(param, alpha=wd).
template <typename T> inline T effective_grad(T g, T p, bool maximize, T wd) {
  T d = maximize ? -g : g;
  return wd != T(0) ? d + wd * p : d;
}

template <typename T> struct SGDArgs {
  T lr, momentum, dampening, weight_decay;
  bool nesterov, maximize, first_step;  // first_step: the momentum buffer starts as the gradient
};

// buf may be null when momentum == 0.
template <typename T> void sgd_update(T* p, const T* g, T* buf, int64_t n, const SGDArgs<T>& a) {
  const T neg_lr = -a.lr, one_minus_damp = T(1) - a.dampening;
  parallel_chunks(n, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      T d = effective_grad(g[i], p[i], a.maximize, a.weight_decay);
      if (buf) {
        T m = a.first_step ? d : buf[i] * a.momentum + one_minus_damp * d;
        buf[i] = m;
        d = a.nesterov ? d + a.momentum * m : m;
      }
      p[i] = p[i] + neg_lr * d;
    }
  });
}

template <typename T> struct AdamArgs {
  T beta1, beta2, one_minus_beta1, one_minus_beta2, eps, weight_decay;  // weight_decay: L2 (Adam)
  T decay_factor;      // AdamW's 1 - lr * wd (1 for Adam)
  T bias_correction2_sqrt, neg_step_size;
  bool maximize;
};

// vmax may be null (no amsgrad).
template <typename T> void adam_update(T* p, const T* g, T* m, T* v, T* vmax, int64_t n, const AdamArgs<T>& a) {
  parallel_chunks(n, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      T d = effective_grad(g[i], p[i], a.maximize, a.weight_decay);
      T pi = a.decay_factor != T(1) ? p[i] * a.decay_factor : p[i];
      T mi = m[i] * a.beta1 + a.one_minus_beta1 * d;
      T vi = v[i] * a.beta2 + a.one_minus_beta2 * d * d;
      m[i] = mi, v[i] = vi;
      if (vmax) vi = vmax[i] = (vmax[i] >= vi || std::isnan(vmax[i])) ? vmax[i] : vi;  // NaN-propagating, as torch.maximum
      T denom = std::sqrt(vi) / a.bias_correction2_sqrt + a.eps;
      p[i] = pi + a.neg_step_size * mi / denom;
    }
  });
}

template <typename T> struct RMSpropArgs {
  T neg_lr, alpha, one_minus_alpha, eps, weight_decay, momentum;
  bool centered, maximize;
};

// grad_avg may be null (not centered), buf may be null (momentum == 0).
template <typename T>
void rmsprop_update(T* p, const T* g, T* sq, T* grad_avg, T* buf, int64_t n, const RMSpropArgs<T>& a) {
  parallel_chunks(n, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      T d = effective_grad(g[i], p[i], a.maximize, a.weight_decay);
      T s = sq[i] * a.alpha + a.one_minus_alpha * d * d;
      sq[i] = s;
      T avg;
      if (grad_avg) {
        T ga = grad_avg[i] * a.alpha + a.one_minus_alpha * d;
        grad_avg[i] = ga;
        avg = std::sqrt(s + T(-1) * ga * ga);
      } else {
        avg = std::sqrt(s);
      }
      avg = avg + a.eps;
      if (buf) {
        T bi = buf[i] * a.momentum + d / avg;
        buf[i] = bi;
        p[i] = p[i] + a.neg_lr * bi;
      } else {
        p[i] = p[i] + a.neg_lr * d / avg;
      }
    }
  });
}

template <typename T> struct AdagradArgs {
  T neg_clr, eps, weight_decay;
  bool maximize;
};

template <typename T> void adagrad_update(T* p, const T* g, T* sum, int64_t n, const AdagradArgs<T>& a) {
  parallel_chunks(n, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      T d = effective_grad(g[i], p[i], a.maximize, a.weight_decay);
      T s = sum[i] + T(1) * d * d;
      sum[i] = s;
      p[i] = p[i] + a.neg_clr * d / (std::sqrt(s) + a.eps);
    }
  });
}

}  // namespace ember::cpu
