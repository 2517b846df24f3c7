// var, std, logsumexp and norm. Forward passes are fused kernels on the reduction plan; backward
// formulas are Ember ops, so they are differentiable again under create_graph.
#include <cmath>
#include <limits>

#include "backend/cpu/reduce_kernels.h"
#include "backend/cpu/softmax_kernels.h"
#include "core/op_helpers.h"
#include "ember/autograd.h"
#include "ember/ops.h"
#include "ops/reduce_common.h"
#include "ops/reduce_plan.h"

namespace ember {

using autograd::SavedTensor;

namespace {

bool needs(const Tensor& a) { return autograd::any_requires_grad({&a}); }

// Float inputs only (integer variance/norms are not defined in PyTorch either).
void check_float_input(const Tensor& a, const char* op) {
  EMBER_CHECK(a.dtype() == kFloat32 || a.dtype() == kFloat64, op, "expected a float32 or float64 input, got ",
              dtype_name(a.dtype()), "; convert with .to(ember::kFloat32)");
}

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

Tensor var_impl(const Tensor& a, const Shape& dims, int64_t correction, bool keepdim, bool take_sqrt, const char* op) {
  auto plan = detail::plan_reduce(a, dims, keepdim);
  Tensor out = detail::make_tensor(plan.out_shape, a.dtype());
  // PyTorch divides by max(0, N - correction): N <= correction gives inf or nan.
  double denom = std::max<double>(0.0, static_cast<double>(plan.R - correction));
  EMBER_DISPATCH_FLOATING(a.dtype(), op, [&]<typename T>() {
    const T* src = plan.src.template data_ptr<T>();
    std::vector<double> mean(plan.O);
    cpu::reduce_block(src, plan.O, plan.R, plan.col_major,
                      SumOp<T>{mean.data(), plan.R ? 1.0 / static_cast<double>(plan.R) : 0.0});
    cpu::reduce_block(src, plan.O, plan.R, plan.col_major,
                      CenteredOp<T>{mean.data(), out.template data_ptr<T>(), denom, take_sqrt, plan.R});
  });
  return out;
}

Tensor var_or_std(const Tensor& a, const Shape& dims_in, int64_t correction, bool keepdim, bool is_std) {
  const char* op = is_std ? "std" : "var";
  check_float_input(a, op);
  EMBER_CHECK(correction >= 0, op, "correction must be >= 0, got ", correction);
  Shape dims = detail::reduce_dims(a, dims_in, op);
  Tensor out = var_impl(a, dims, correction, keepdim, is_std, op);
  if (needs(a)) {
    Shape keep = detail::keepdim_shape(a.shape(), dims);
    double denom = static_cast<double>(std::max<int64_t>(0, detail::reduced_numel(a.shape(), dims) - correction));
    autograd::set_history(out, is_std ? "StdBackward" : "VarBackward", {a},
                          [sa = SavedTensor(a), so = SavedTensor(out.detach()), keep, dims, denom, is_std, op](
                              const Tensor& g, const autograd::Node& n) {
                            const Tensor& x = sa.get(op);
                            // d var / dx = 2 (x - mean) / (N - correction)
                            Tensor centered = x - mean(x, dims, true);  // (in)
                            Tensor gk = g.reshape(keep);                // (keep)
                            if (!is_std) return std::vector<Tensor>{centered * (gk * (2.0 / denom))};
                            // d std / dx = (x - mean) / ((N - correction) std); 0 where std == 0, as PyTorch
                            Tensor s = detail::output_with_history(so.get(op), n).reshape(keep);
                            Tensor coef = where(eq(s, 0.0), zeros_like(gk), gk / (s * denom));
                            return std::vector<Tensor>{centered * coef};
                          });
  }
  return out;
}

// ---------------- logsumexp ----------------

Tensor logsumexp_impl(const Tensor& x, const Shape& dims, bool keepdim) {
  auto plan = detail::plan_reduce(x, dims, keepdim);
  Tensor out = detail::make_tensor(plan.out_shape, x.dtype());
  EMBER_DISPATCH_FLOATING(x.dtype(), "logsumexp", [&]<typename T>() {
    const T* src = plan.src.template data_ptr<T>();
    T* dst = out.template data_ptr<T>();
    // row-major [O, R] is [outer=O, R, inner=1]; column-major [R, O] is [outer=1, R, inner=O]
    if (plan.col_major) cpu::logsumexp_forward(src, dst, 1, plan.R, plan.O);
    else cpu::logsumexp_forward(src, dst, plan.O, plan.R, 1);
  });
  return out;
}

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

Tensor norm_impl(const Tensor& a, double p, const Shape& dims, bool keepdim) {
  auto plan = detail::plan_reduce(a, dims, keepdim);
  Tensor out = detail::make_tensor(plan.out_shape, a.dtype());
  EMBER_DISPATCH_FLOATING(a.dtype(), "norm", [&]<typename T>() {
    const T* src = plan.src.template data_ptr<T>();
    T* dst = out.template data_ptr<T>();
    auto run = [&](auto op) { cpu::reduce_block(src, plan.O, plan.R, plan.col_major, op); };
    switch (norm_kind(p)) {
      case NormKind::Zero: run(NormOp<T, NormKind::Zero>{dst, p}); break;
      case NormKind::One: run(NormOp<T, NormKind::One>{dst, p}); break;
      case NormKind::Two: run(NormOp<T, NormKind::Two>{dst, p}); break;
      case NormKind::Inf: run(NormOp<T, NormKind::Inf>{dst, p}); break;
      case NormKind::NegInf: run(NormOp<T, NormKind::NegInf>{dst, p}); break;
      case NormKind::P: run(NormOp<T, NormKind::P>{dst, p}); break;
    }
  });
  return out;
}

}  // namespace

Tensor var(const Tensor& a, const Shape& dims, int64_t correction, bool keepdim) {
  return var_or_std(a, dims, correction, keepdim, false);
}
Tensor std(const Tensor& a, const Shape& dims, int64_t correction, bool keepdim) {
  return var_or_std(a, dims, correction, keepdim, true);
}

Tensor logsumexp(const Tensor& a, const Shape& dims_in, bool keepdim) {
  detail::check_compute_dtype(a, "logsumexp");
  // Integer inputs compute in float32, as PyTorch.
  Tensor x = is_floating(a.dtype()) ? a : a.to(kFloat32);
  Shape dims = detail::reduce_dims(x, dims_in, "logsumexp");
  Tensor out = logsumexp_impl(x, dims, keepdim);
  if (needs(a)) {
    Shape keep = detail::keepdim_shape(a.shape(), dims);
    autograd::set_history(out, "LogsumexpBackward", {a},
                          [sa = SavedTensor(a), so = SavedTensor(out.detach()), keep](const Tensor& g,
                                                                                      const autograd::Node& n) {
                            // d lse / dx = exp(x - lse) (the softmax over the reduced dims)
                            Tensor lse = detail::output_with_history(so.get("logsumexp"), n).reshape(keep);
                            return std::vector<Tensor>{g.reshape(keep) * exp(sa.get("logsumexp") - lse)};
                          });
  }
  return out;
}

Tensor norm(const Tensor& a, double p, const Shape& dims_in, bool keepdim) {
  check_float_input(a, "norm");
  EMBER_CHECK(!std::isnan(p), "norm", "the order p must be a number, got nan");
  Shape dims = detail::reduce_dims(a, dims_in, "norm");
  if (norm_kind(p) == NormKind::Inf || norm_kind(p) == NormKind::NegInf)
    detail::check_nonempty_reduction(a, dims, "norm");
  Tensor out = norm_impl(a, p, dims, keepdim);
  if (needs(a)) {
    Shape keep = detail::keepdim_shape(a.shape(), dims);
    autograd::set_history(out, "NormBackward", {a},
                          [sa = SavedTensor(a), so = SavedTensor(out.detach()), keep, dims, p](const Tensor& g,
                                                                                             const autograd::Node& n) {
                            const Tensor& x = sa.get("norm");
                            Tensor gk = g.reshape(keep);  // (keep)
                            NormKind k = norm_kind(p);
                            if (k == NormKind::Zero) return std::vector<Tensor>{zeros_like(x)};
                            if (k == NormKind::One) return std::vector<Tensor>{sign(x) * gk};
                            Tensor nk = detail::output_with_history(so.get("norm"), n).reshape(keep);
                            Tensor zero = eq(nk, 0.0);
                            if (k == NormKind::Two)  // x / ||x||, 0 where the norm is 0 (PyTorch)
                              return std::vector<Tensor>{x * where(zero, zeros_like(gk), gk / nk)};
                            if (k == NormKind::Inf || k == NormKind::NegInf) {
                              // sign(x) on the elements whose |x| is the extreme, sharing ties evenly
                              Tensor ax = abs(x);
                              Tensor mask = logical_or(eq(ax, nk), isnan(ax)).to(x.dtype());
                              return std::vector<Tensor>{sign(x) * mask * (gk / sum(mask, dims, true))};
                            }
                            // x |x|^(p-2) / ||x||^(p-1), 0 where the norm is 0
                            Tensor scale = where(zero, zeros_like(gk), gk / pow(nk, p - 1));
                            return std::vector<Tensor>{x * pow(abs(x), p - 2) * scale};
                          });
  }
  return out;
}

}  // namespace ember
