// var/std, logsumexp and norm on the reduction driver (reduce_block.h) and softmax.h's logsumexp.
#include "backend/cpu/stats.h"

#include <cmath>
#include <limits>
#include <vector>

#include "backend/cpu/reduce_block.h"
#include "backend/cpu/softmax.h"
#include "core/op_helpers.h"

namespace ember::cpu {

namespace {

// ---------------- var / std ----------------

template <typename T>
struct SumOp {
  using Acc = double;
  double* out;
  double scale;
  Acc init(int64_t) const { return 0; }
  void step(Acc& a, T v, int64_t) const { a += v; }
  void merge(Acc& a, const Acc& b) const { a += b; }
  void finish(const Acc& a, int64_t o) const { out[o] = a * scale; }
};

// Second pass of the two-pass variance: sums of d = x - mean and d^2 in double (the sum of d
// corrects the rounding error of the mean). Each state carries its output's mean.
template <typename T>
struct CenteredOp {
  struct Acc {
    double mean, s1, s2;
  };
  const double* mean;
  T* out;
  double denom;
  bool take_sqrt;
  int64_t R;
  Acc init(int64_t o) const { return {mean[o], 0, 0}; }
  void step(Acc& a, T v, int64_t) const {
    double d = static_cast<double>(v) - a.mean;
    a.s1 += d;
    a.s2 += d * d;
  }
  void merge(Acc& a, const Acc& b) const { a.s1 += b.s1, a.s2 += b.s2; }
  void finish(const Acc& a, int64_t o) const {
    double v = R == 0 ? std::numeric_limits<double>::quiet_NaN()
                      : (a.s2 - a.s1 * a.s1 / static_cast<double>(R)) / denom;
    out[o] = static_cast<T>(take_sqrt ? std::sqrt(v) : v);
  }
};

// ---------------- norm ----------------

enum class NormKind { Zero, One, Two, Inf, NegInf, P };

template <typename T, NormKind K>
struct NormOp {
  using Acc = double;
  T* out;
  double p;
  Acc init(int64_t) const {
    if constexpr (K == NormKind::Inf) return 0.0;
    else if constexpr (K == NormKind::NegInf) return std::numeric_limits<double>::infinity();
    else return 0.0;
  }
  void step(Acc& a, T v, int64_t) const {
    double x = std::abs(static_cast<double>(v));
    if constexpr (K == NormKind::Zero) a += x != 0;
    else if constexpr (K == NormKind::One) a += x;
    else if constexpr (K == NormKind::Two) a += x * x;
    else if constexpr (K == NormKind::Inf) a = (x > a || x != x) && a == a ? x : a;
    else if constexpr (K == NormKind::NegInf) a = (x < a || x != x) && a == a ? x : a;
    else a += std::pow(x, p);
  }
  void merge(Acc& a, const Acc& b) const {
    if constexpr (K == NormKind::Inf || K == NormKind::NegInf) step(a, static_cast<T>(b), 0);
    else a += b;
  }
  void finish(const Acc& a, int64_t o) const {
    if constexpr (K == NormKind::Two) out[o] = static_cast<T>(std::sqrt(a));
    else if constexpr (K == NormKind::P) out[o] = static_cast<T>(std::pow(a, 1.0 / p));
    else out[o] = static_cast<T>(a);
  }
};

NormKind norm_kind(double p) {
  if (p == 0) return NormKind::Zero;
  if (p == 1) return NormKind::One;
  if (p == 2) return NormKind::Two;
  if (std::isinf(p)) return p > 0 ? NormKind::Inf : NormKind::NegInf;
  return NormKind::P;
}

}  // namespace

void var(const Tensor& out, const Tensor& src, ReduceShape r, double denom, bool take_sqrt) {
  EMBER_DISPATCH_FLOATING(src.dtype(), take_sqrt ? "std" : "var", [&]<typename T>() {
    const T* s = src.data_ptr<T>();
    std::vector<double> mean(r.O);
    reduce_block(s, r.O, r.R, r.col_major, SumOp<T>{mean.data(), r.R ? 1.0 / static_cast<double>(r.R) : 0.0});
    reduce_block(s, r.O, r.R, r.col_major, CenteredOp<T>{mean.data(), out.data_ptr<T>(), denom, take_sqrt, r.R});
  });
}

void logsumexp(const Tensor& out, const Tensor& src, ReduceShape r) {
  EMBER_DISPATCH_FLOATING(src.dtype(), "logsumexp", [&]<typename T>() {
    const T* s = src.data_ptr<T>();
    T* dst = out.data_ptr<T>();
    // row-major [O, R] is [outer=O, R, inner=1]; column-major [R, O] is [outer=1, R, inner=O]
    if (r.col_major) logsumexp_blocks(s, dst, 1, r.R, r.O);
    else logsumexp_blocks(s, dst, r.O, r.R, 1);
  });
}

void norm(const Tensor& out, const Tensor& src, ReduceShape r, double p) {
  EMBER_DISPATCH_FLOATING(src.dtype(), "norm", [&]<typename T>() {
    const T* s = src.data_ptr<T>();
    T* dst = out.data_ptr<T>();
    auto run = [&](auto op) { reduce_block(s, r.O, r.R, r.col_major, op); };
    switch (norm_kind(p)) {
      case NormKind::Zero: run(NormOp<T, NormKind::Zero>{dst, p}); break;
      case NormKind::One: run(NormOp<T, NormKind::One>{dst, p}); break;
      case NormKind::Two: run(NormOp<T, NormKind::Two>{dst, p}); break;
      case NormKind::Inf: run(NormOp<T, NormKind::Inf>{dst, p}); break;
      case NormKind::NegInf: run(NormOp<T, NormKind::NegInf>{dst, p}); break;
      case NormKind::P: run(NormOp<T, NormKind::P>{dst, p}); break;
    }
  });
}

}  // namespace ember::cpu
