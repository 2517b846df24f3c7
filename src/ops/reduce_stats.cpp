// var, std, logsumexp and norm. Forward passes are fused kernels (backend/cpu/stats.cpp) on the
// reduction plan; backward formulas are Ember ops, so they are differentiable again under create_graph.
#include <cmath>
#include <limits>

#include "backend/backend.h"
#include "core/op_helpers.h"
#include "ember/autograd.h"
#include "ember/ops.h"
#include "ops/reduce_common.h"
#include "ops/reduce_plan.h"
#include "ember/ops/trace.h"

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

Tensor var_impl(const Tensor& a, const Shape& dims, int64_t correction, bool keepdim, bool take_sqrt, const char* op) {
  auto kernel = EMBER_KERNEL(var, op, a);
  auto plan = detail::plan_reduce(a, dims, keepdim);
  Tensor out = detail::make_tensor(plan.out_shape, a.dtype(), a.device());
  // PyTorch divides by max(0, N - correction): N <= correction gives inf or nan.
  double denom = std::max<double>(0.0, static_cast<double>(plan.R - correction));
  kernel(out, plan.src, plan.shape(), denom, take_sqrt);
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
  auto kernel = EMBER_KERNEL(logsumexp, "logsumexp", x);
  auto plan = detail::plan_reduce(x, dims, keepdim);
  Tensor out = detail::make_tensor(plan.out_shape, x.dtype(), x.device());
  kernel(out, plan.src, plan.shape());
  return out;
}

// ---------------- norm ----------------

enum class NormKind { Zero, One, Two, Inf, NegInf, P };

NormKind norm_kind(double p) {
  if (p == 0) return NormKind::Zero;
  if (p == 1) return NormKind::One;
  if (p == 2) return NormKind::Two;
  if (std::isinf(p)) return p > 0 ? NormKind::Inf : NormKind::NegInf;
  return NormKind::P;
}

Tensor norm_impl(const Tensor& a, double p, const Shape& dims, bool keepdim) {
  auto kernel = EMBER_KERNEL(norm, "norm", a);
  auto plan = detail::plan_reduce(a, dims, keepdim);
  Tensor out = detail::make_tensor(plan.out_shape, a.dtype(), a.device());
  kernel(out, plan.src, plan.shape(), p);
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
  trace::OpScope scope;
  Tensor out_ = [&]() -> Tensor {
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
}();
  if (scope) scope.record("norm", {a}, {out_}, {trace::num("p", p), trace::ints("dims", detail::reduce_dims(a, dims_in, "norm")), trace::integer("keepdim", keepdim)});
  return out_;
}

}  // namespace ember
