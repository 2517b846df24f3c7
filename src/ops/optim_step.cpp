// Fused optimizer updates (see ember/ops/optim_step.h): argument checks, then one kernel pass
// (CPU: backend/cpu/optim) over the parameter, its gradient and its state.
#include "ember/ops/optim_step.h"

#include <cmath>

#include "backend/backend.h"
#include "core/op_helpers.h"
#include "ember/ops.h"

namespace ember {

namespace {

// The contiguous buffers an update runs on: the parameter (a contiguous copy when it is not) and
// its gradient in the parameter's dtype.
struct Operands {
  Tensor p, g;
};

Operands prepare(const char* op, const Tensor& param, const Tensor& grad) {
  EMBER_CHECK(param.defined() && grad.defined(), op, "the parameter and its gradient must be defined tensors");
  detail::check_floating(param, op);
  EMBER_CHECK(grad.is_floating_point(), op, "the gradient has dtype ", dtype_name(grad.dtype()),
              "; expected floating point");
  EMBER_CHECK(grad.shape() == param.shape(), op, "gradient of shape ", shape_str(grad.shape()),
              " does not match its parameter's shape ", shape_str(param.shape()));
  Tensor g = grad.dtype() == param.dtype() ? grad : grad.to(param.dtype());
  if (!g.is_contiguous()) g = g.contiguous();
  return {param.is_contiguous() ? param : param.contiguous(), g};
}

// A state tensor the update needs: contiguous, with the parameter's shape and dtype.
void check_state(const char* op, const Tensor& s, const char* name, const Tensor& param) {
  EMBER_CHECK(s.defined(), op, name, " is undefined but the options need it; create it with "
              "zeros_like(param)");
  EMBER_CHECK(s.shape() == param.shape() && s.dtype() == param.dtype() && s.is_contiguous(), op, name, " is a ",
              s.is_contiguous() ? "" : "non-contiguous ", dtype_name(s.dtype()), " tensor of shape ",
              shape_str(s.shape()), "; expected a contiguous ", dtype_name(param.dtype()), " tensor of shape ",
              shape_str(param.shape()));
}

// Writes a contiguous copy back and bumps the parameter's version.
void finish(Tensor& param, const Tensor& updated) {
  if (!updated.is_same(param)) param.copy_(updated);
  detail::bump_version(param);
}

}  // namespace

void sgd_step_(Tensor& param, const Tensor& grad, const Tensor& momentum_buffer, bool first_step,
               const SGDStepOptions& o) {
  const char* op = "sgd_step_";
  Operands x = prepare(op, param, grad);
  if (o.momentum != 0) check_state(op, momentum_buffer, "momentum_buffer", param);
  EMBER_KERNEL(sgd_step, op, x.p)(x.p, x.g, momentum_buffer,
                                  {o.lr, o.momentum, o.dampening, o.weight_decay, o.nesterov, o.maximize, first_step});
  finish(param, x.p);
}

void adam_step_(Tensor& param, const Tensor& grad, const Tensor& exp_avg, const Tensor& exp_avg_sq,
                const Tensor& max_exp_avg_sq, const AdamStepOptions& o) {
  const char* op = "adam_step_";
  Operands x = prepare(op, param, grad);
  check_state(op, exp_avg, "exp_avg", param);
  check_state(op, exp_avg_sq, "exp_avg_sq", param);
  if (max_exp_avg_sq.defined()) check_state(op, max_exp_avg_sq, "max_exp_avg_sq", param);
  EMBER_CHECK(o.step >= 1, op, "step must be >= 1 (the first update is step 1), got ", o.step);
  EMBER_KERNEL(adam_step, op, x.p)(x.p, x.g, exp_avg, exp_avg_sq, max_exp_avg_sq,
                                   {o.lr, o.beta1, o.beta2, o.eps, o.weight_decay, o.step, o.decoupled_weight_decay,
                                    o.maximize});
  finish(param, x.p);
}

void rmsprop_step_(Tensor& param, const Tensor& grad, const Tensor& square_avg, const Tensor& grad_avg,
                   const Tensor& momentum_buffer, const RMSpropStepOptions& o) {
  const char* op = "rmsprop_step_";
  Operands x = prepare(op, param, grad);
  check_state(op, square_avg, "square_avg", param);
  if (o.centered) check_state(op, grad_avg, "grad_avg", param);
  if (o.momentum > 0) check_state(op, momentum_buffer, "momentum_buffer", param);
  EMBER_KERNEL(rmsprop_step, op, x.p)(x.p, x.g, square_avg, grad_avg, momentum_buffer,
                                      {o.lr, o.alpha, o.eps, o.weight_decay, o.momentum, o.centered, o.maximize});
  finish(param, x.p);
}

void adagrad_step_(Tensor& param, const Tensor& grad, const Tensor& sum, const AdagradStepOptions& o) {
  const char* op = "adagrad_step_";
  Operands x = prepare(op, param, grad);
  check_state(op, sum, "sum", param);
  EMBER_CHECK(o.step >= 1, op, "step must be >= 1 (the first update is step 1), got ", o.step);
  EMBER_KERNEL(adagrad_step, op, x.p)(x.p, x.g, sum, {o.lr, o.lr_decay, o.weight_decay, o.eps, o.step, o.maximize});
  finish(param, x.p);
}

double norm_power_sum(const Tensor& t, double p) {
  const char* op = "norm_power_sum";
  EMBER_CHECK(t.defined(), op, "the tensor is undefined");
  EMBER_CHECK(t.is_floating_point(), op, "expected a floating-point tensor, got ", dtype_name(t.dtype()));
  EMBER_CHECK(p > 0, op, "p must be positive (or infinity), got ", p);
  // Storage-only float types (bfloat16, float16) are summed from a float32 copy.
  Tensor c = is_compute_dtype(t.dtype()) ? t : t.to(kFloat32);
  if (!c.is_contiguous()) c = c.contiguous();
  return EMBER_KERNEL(norm_power_sum, op, c)(c, p);
}

void foreach_mul_(const std::vector<Tensor>& tensors, double scalar) {
  for (const Tensor& t0 : tensors) {
    Tensor t = t0;
    EMBER_CHECK(t.defined(), "foreach_mul_", "a tensor in the list is undefined");
    if (t.is_contiguous() && is_floating(t.dtype()) && is_compute_dtype(t.dtype())) {
      EMBER_KERNEL(scale, "foreach_mul_", t)(t, scalar);
      detail::bump_version(t);
    } else {
      t.mul_(scalar);
    }
  }
}

}  // namespace ember
