// Fused optimizer updates (see optim.h). Each loop performs the same float operations in the same
// order as PyTorch's single-tensor path (scalars rounded to the parameter's type first, as ATen
// does), so results agree to rounding.
//
// Speed: option flags become template parameters (with_flags), so every inner loop is
// branch-free and vectorizes; square roots go through sqrt_block, because std::sqrt does not
// vectorize while it may set errno (and -fno-math-errno is not a project-wide flag).
#include "backend/cpu/optim.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <type_traits>
#include <vector>
#if defined(__AVX__)
#include <immintrin.h>
#endif

#include "core/op_helpers.h"
#include "ember/parallel.h"

namespace ember::cpu {

namespace {

// Calls f(std::bool_constant<b>...) with the runtime flags turned into compile-time ones.
template <class F> void with_flags(F&& f) { f(); }
template <class F, class... B> void with_flags(F&& f, bool b, B... rest) {
  if (b) with_flags([&](auto... c) { f(std::true_type{}, c...); }, rest...);
  else with_flags([&](auto... c) { f(std::false_type{}, c...); }, rest...);
}

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

// x = sqrt(x) in place; IEEE square roots, so identical to std::sqrt element by element.
template <typename T> inline void sqrt_block(T* x, int64_t n) {
  int64_t i = 0;
#if defined(__AVX__)
  if constexpr (std::is_same_v<T, float>)
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, _mm256_sqrt_ps(_mm256_loadu_ps(x + i)));
  else
    for (; i + 4 <= n; i += 4) _mm256_storeu_pd(x + i, _mm256_sqrt_pd(_mm256_loadu_pd(x + i)));
#endif
  for (; i < n; ++i) x[i] = std::sqrt(x[i]);
}

// Elements per block in the kernels that take square roots: the roots go through a buffer on the
// stack, between a loop that produces their arguments and one that consumes them.
constexpr int64_t kSqrtBlock = 256;

template <typename T> struct SgdScalars {
  T lr, momentum, dampening, weight_decay;
  bool nesterov, maximize, first_step;  // first_step: the momentum buffer starts as the gradient
};

// buf may be null when momentum == 0.
template <typename T> void sgd_update(T* p, const T* g, T* buf, int64_t n, const SgdScalars<T>& a) {
  const T neg_lr = -a.lr, one_minus_damp = T(1) - a.dampening, mom = a.momentum, wd = a.weight_decay;
  with_flags(
      [&](auto has_buf, auto first, auto nesterov, auto maximize, auto l2) {
        parallel_chunks(n, [&](int64_t b, int64_t e) {
          T* __restrict P = p;
          const T* __restrict G = g;
          T* __restrict B = buf;
          for (int64_t i = b; i < e; ++i) {
            T d = G[i];
            if constexpr (decltype(maximize)::value) d = -d;
            if constexpr (decltype(l2)::value) d = d + wd * P[i];  // torch: grad.add(param, alpha=wd)
            if constexpr (decltype(has_buf)::value) {
              T m;
              if constexpr (decltype(first)::value) m = d;
              else m = B[i] * mom + one_minus_damp * d;
              B[i] = m;
              if constexpr (decltype(nesterov)::value) d = d + mom * m;
              else d = m;
            }
            P[i] = P[i] + neg_lr * d;
          }
        });
      },
      buf != nullptr, a.first_step, a.nesterov, a.maximize, a.weight_decay != T(0));
}

template <typename T> struct AdamScalars {
  T beta1, beta2, one_minus_beta1, one_minus_beta2, eps, weight_decay;  // weight_decay: L2 (Adam)
  T decay_factor;      // AdamW's 1 - lr * wd (1 for Adam)
  T bias_correction2_sqrt, neg_step_size;
  bool maximize;
};

// vmax may be null (no amsgrad).
template <typename T> void adam_update(T* p, const T* g, T* m, T* v, T* vmax, int64_t n, const AdamScalars<T>& a) {
  with_flags(
      [&](auto maximize, auto l2, auto decoupled, auto amsgrad) {
        parallel_chunks(n, [&](int64_t b, int64_t e) {
          alignas(64) T root[kSqrtBlock];
          for (int64_t s = b; s < e; s += kSqrtBlock) {
            const int64_t len = std::min(kSqrtBlock, e - s);
            T* __restrict P = p + s;
            const T* __restrict G = g + s;
            T* __restrict M = m + s;
            T* __restrict V = v + s;
            T* __restrict VM = amsgrad ? vmax + s : nullptr;
            T* __restrict R = root;
            for (int64_t i = 0; i < len; ++i) {
              T d = G[i];
              if constexpr (decltype(maximize)::value) d = -d;
              if constexpr (decltype(l2)::value) d = d + a.weight_decay * P[i];
              M[i] = M[i] * a.beta1 + a.one_minus_beta1 * d;      // exp_avg.mul_(b1).add_(g, alpha=1-b1)
              T vi = V[i] * a.beta2 + a.one_minus_beta2 * d * d;  // exp_avg_sq.mul_(b2).addcmul_(g, g, value=1-b2)
              V[i] = vi;
              if constexpr (decltype(amsgrad)::value) {
                T x = VM[i];
                vi = (x >= vi || x != x) ? x : vi;  // torch.maximum: NaN propagates
                VM[i] = vi;
              }
              R[i] = vi;
            }
            sqrt_block(root, len);
            for (int64_t i = 0; i < len; ++i) {
              T pi = P[i];
              if constexpr (decltype(decoupled)::value) pi = pi * a.decay_factor;  // param.mul_(1 - lr*wd)
              T denom = R[i] / a.bias_correction2_sqrt + a.eps;
              P[i] = pi + a.neg_step_size * M[i] / denom;  // param.addcdiv_(exp_avg, denom, value=-step_size)
            }
          }
        });
      },
      a.maximize, a.weight_decay != T(0), a.decay_factor != T(1), vmax != nullptr);
}

template <typename T> struct RmspropScalars {
  T neg_lr, alpha, one_minus_alpha, eps, weight_decay, momentum;
  bool centered, maximize;
};

// grad_avg may be null (not centered), buf may be null (momentum == 0).
template <typename T>
void rmsprop_update(T* p, const T* g, T* sq, T* grad_avg, T* buf, int64_t n, const RmspropScalars<T>& a) {
  with_flags(
      [&](auto maximize, auto l2, auto centered, auto has_buf) {
        parallel_chunks(n, [&](int64_t b, int64_t e) {
          alignas(64) T root[kSqrtBlock];
          for (int64_t s = b; s < e; s += kSqrtBlock) {
            const int64_t len = std::min(kSqrtBlock, e - s);
            T* __restrict P = p + s;
            const T* __restrict G = g + s;
            T* __restrict SQ = sq + s;
            T* __restrict GA = centered ? grad_avg + s : nullptr;
            T* __restrict B = has_buf ? buf + s : nullptr;
            T* __restrict R = root;
            for (int64_t i = 0; i < len; ++i) {
              T d = G[i];
              if constexpr (decltype(maximize)::value) d = -d;
              if constexpr (decltype(l2)::value) d = d + a.weight_decay * P[i];
              T sv = SQ[i] * a.alpha + a.one_minus_alpha * d * d;
              SQ[i] = sv;
              if constexpr (decltype(centered)::value) {
                T ga = GA[i] * a.alpha + a.one_minus_alpha * d;
                GA[i] = ga;
                sv = sv + T(-1) * ga * ga;  // square_avg.addcmul(grad_avg, grad_avg, value=-1)
              }
              R[i] = sv;
            }
            sqrt_block(root, len);
            for (int64_t i = 0; i < len; ++i) {
              T d = G[i];
              if constexpr (decltype(maximize)::value) d = -d;
              if constexpr (decltype(l2)::value) d = d + a.weight_decay * P[i];
              T avg = R[i] + a.eps;
              if constexpr (decltype(has_buf)::value) {
                T bi = B[i] * a.momentum + d / avg;  // buf.mul_(momentum).addcdiv_(grad, avg)
                B[i] = bi;
                P[i] = P[i] + a.neg_lr * bi;
              } else {
                P[i] = P[i] + a.neg_lr * d / avg;
              }
            }
          }
        });
      },
      a.maximize, a.weight_decay != T(0), grad_avg != nullptr, buf != nullptr);
}

template <typename T> struct AdagradScalars {
  T neg_clr, eps, weight_decay;
  bool maximize;
};

template <typename T> void adagrad_update(T* p, const T* g, T* sum, int64_t n, const AdagradScalars<T>& a) {
  with_flags(
      [&](auto maximize, auto l2) {
        parallel_chunks(n, [&](int64_t b, int64_t e) {
          alignas(64) T root[kSqrtBlock];
          for (int64_t s = b; s < e; s += kSqrtBlock) {
            const int64_t len = std::min(kSqrtBlock, e - s);
            T* __restrict P = p + s;
            const T* __restrict G = g + s;
            T* __restrict S = sum + s;
            T* __restrict R = root;
            for (int64_t i = 0; i < len; ++i) {
              T d = G[i];
              if constexpr (decltype(maximize)::value) d = -d;
              if constexpr (decltype(l2)::value) d = d + a.weight_decay * P[i];
              T sv = S[i] + T(1) * d * d;  // state_sum.addcmul_(grad, grad, value=1)
              S[i] = sv;
              R[i] = sv;
            }
            sqrt_block(root, len);
            for (int64_t i = 0; i < len; ++i) {
              T d = G[i];
              if constexpr (decltype(maximize)::value) d = -d;
              if constexpr (decltype(l2)::value) d = d + a.weight_decay * P[i];
              P[i] = P[i] + a.neg_clr * d / (R[i] + a.eps);  // param.addcdiv_(grad, std, value=-clr)
            }
          }
        });
      },
      a.maximize, a.weight_decay != T(0));
}

// sum |x|^p (or max |x| when p is inf) over a contiguous buffer, accumulated in double. Blocks of
// fixed size are reduced in parallel and combined in block order, so the result does not depend on
// the thread count.
template <typename T> double power_sum(const T* x, int64_t n, double p) {
  constexpr int64_t kBlock = 16384;
  const int64_t blocks = (n + kBlock - 1) / kBlock;
  const bool inf = std::isinf(p);
  // Eight independent accumulators (combined in a fixed order) let the compiler vectorize the
  // sum without reassociating it.
  auto block = [&](int64_t b) {
    const int64_t lo = b * kBlock, hi = std::min(n, lo + kBlock);
    double lane[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int64_t i = lo;
    auto sweep = [&](auto term) {
      for (; i + 8 <= hi; i += 8)
        for (int k = 0; k < 8; ++k) lane[k] += term(static_cast<double>(x[i + k]));
      for (int k = 0; i < hi; ++i, ++k) lane[k] += term(static_cast<double>(x[i]));
      double acc = 0;
      for (double v : lane) acc += v;
      return acc;
    };
    if (inf) {
      double acc = 0;
      for (; i < hi; ++i) {
        double a = std::abs(static_cast<double>(x[i]));
        if (!(a <= acc)) acc = a;  // NaN wins, as torch's max
      }
      return acc;
    }
    if (p == 2.0) return sweep([](double v) { return v * v; });
    if (p == 1.0) return sweep([](double v) { return std::abs(v); });
    return sweep([p](double v) { return std::pow(std::abs(v), p); });
  };
  std::vector<double> partial(blocks);
  const int nt = get_num_threads();
#pragma omp parallel for num_threads(nt) schedule(static) if (n >= 4 * kBlock && nt > 1)
  for (int64_t b = 0; b < blocks; ++b) partial[b] = block(b);
  double total = 0;
  for (double v : partial) {
    if (inf) total = (!(v <= total)) ? v : total;
    else total += v;
  }
  return total;
}

// x *= c over a contiguous buffer (gradient clipping's scale).
template <typename T> void scale_inplace(T* x, int64_t n, T c) {
  parallel_chunks(n, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) x[i] *= c;
  });
}

}  // namespace

void sgd_step(const Tensor& p, const Tensor& g, const Tensor& buf, const SgdArgs& o) {
  EMBER_DISPATCH_FLOATING(p.dtype(), "sgd_step_", [&]<typename T>() {
    sgd_update<T>(p.data_ptr<T>(), g.data_ptr<T>(), o.momentum != 0 ? buf.data_ptr<T>() : nullptr, p.numel(),
                  {T(o.lr), T(o.momentum), T(o.dampening), T(o.weight_decay), o.nesterov, o.maximize, o.first_step});
  });
}

void adam_step(const Tensor& p, const Tensor& g, const Tensor& exp_avg, const Tensor& exp_avg_sq,
               const Tensor& max_exp_avg_sq, const AdamArgs& o) {
  const double bias_correction1 = 1 - std::pow(o.beta1, o.step);
  const double bias_correction2 = 1 - std::pow(o.beta2, o.step);
  const double step_size = o.lr / bias_correction1;
  const bool decoupled = o.decoupled_weight_decay;
  EMBER_DISPATCH_FLOATING(p.dtype(), "adam_step_", [&]<typename T>() {
    AdamScalars<T> a{};
    a.beta1 = T(o.beta1), a.beta2 = T(o.beta2);
    a.one_minus_beta1 = T(1 - o.beta1), a.one_minus_beta2 = T(1 - o.beta2);
    a.eps = T(o.eps);
    a.weight_decay = decoupled ? T(0) : T(o.weight_decay);
    a.decay_factor = decoupled ? T(1 - o.lr * o.weight_decay) : T(1);
    a.bias_correction2_sqrt = T(std::sqrt(bias_correction2));
    a.neg_step_size = T(-step_size);
    a.maximize = o.maximize;
    adam_update<T>(p.data_ptr<T>(), g.data_ptr<T>(), exp_avg.data_ptr<T>(), exp_avg_sq.data_ptr<T>(),
                   max_exp_avg_sq.defined() ? max_exp_avg_sq.data_ptr<T>() : nullptr, p.numel(), a);
  });
}

void rmsprop_step(const Tensor& p, const Tensor& g, const Tensor& square_avg, const Tensor& grad_avg,
                  const Tensor& momentum_buffer, const RmspropArgs& o) {
  EMBER_DISPATCH_FLOATING(p.dtype(), "rmsprop_step_", [&]<typename T>() {
    RmspropScalars<T> a{T(-o.lr), T(o.alpha), T(1 - o.alpha), T(o.eps), T(o.weight_decay), T(o.momentum), o.centered,
                     o.maximize};
    rmsprop_update<T>(p.data_ptr<T>(), g.data_ptr<T>(), square_avg.data_ptr<T>(),
                      o.centered ? grad_avg.data_ptr<T>() : nullptr,
                      o.momentum > 0 ? momentum_buffer.data_ptr<T>() : nullptr, p.numel(), a);
  });
}

void adagrad_step(const Tensor& p, const Tensor& g, const Tensor& sum, const AdagradArgs& o) {
  const double clr = o.lr / (1 + (o.step - 1) * o.lr_decay);
  EMBER_DISPATCH_FLOATING(p.dtype(), "adagrad_step_", [&]<typename T>() {
    adagrad_update<T>(p.data_ptr<T>(), g.data_ptr<T>(), sum.data_ptr<T>(), p.numel(),
                      {T(-clr), T(o.eps), T(o.weight_decay), o.maximize});
  });
}

double norm_power_sum(const Tensor& t, double p) {
  return EMBER_DISPATCH_FLOATING(t.dtype(), "norm_power_sum", [&]<typename T>() {
    return power_sum<T>(t.data_ptr<T>(), t.numel(), p);
  });
}

void scale(const Tensor& t, double c) {
  EMBER_DISPATCH_FLOATING(t.dtype(), "foreach_mul_", [&]<typename T>() {
    scale_inplace<T>(t.data_ptr<T>(), t.numel(), static_cast<T>(c));
  });
}

}  // namespace ember::cpu
