#pragma once
// Fused, in-place optimizer updates: one pass over a parameter, its gradient and its state (as
// PyTorch's fused / foreach paths), with the same float operations in the same order as
// PyTorch's single-tensor path. ember::optim's optimizers and gradient clipping are built on them;
// a custom optimizer can call them too.
//
// `grad` may have any floating dtype and strides (it is converted to the parameter's); state
// tensors are written in place and must be contiguous, with the parameter's shape and dtype; an
// undefined state tensor means the option that needs it is off. A non-contiguous parameter is
// updated through a contiguous copy written back. The parameter's version is bumped, as for any
// in-place write. Call under NoGradGuard when the parameter requires grad (optim's step() does).
#include <vector>

#include "ember/tensor.h"

namespace ember {

struct SGDStepOptions {
  double lr = 0, momentum = 0, dampening = 0, weight_decay = 0;
  bool nesterov = false, maximize = false;
};
// momentum_buffer: required when momentum != 0. first_step: the buffer is new and starts as the
// (decayed) gradient instead of being blended with it.
void sgd_step_(Tensor& param, const Tensor& grad, const Tensor& momentum_buffer, bool first_step,
               const SGDStepOptions& o);

struct AdamStepOptions {
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0;
  bool decoupled_weight_decay = false;  // AdamW: p *= 1 - lr * wd instead of adding wd * p to the gradient
  bool maximize = false;
  double step = 1;  // this update's number, from 1: the bias corrections are 1 - beta^step
};
// max_exp_avg_sq: AMSGrad's running maximum, or undefined.
void adam_step_(Tensor& param, const Tensor& grad, const Tensor& exp_avg, const Tensor& exp_avg_sq,
                const Tensor& max_exp_avg_sq, const AdamStepOptions& o);

struct RMSpropStepOptions {
  double lr = 1e-2, alpha = 0.99, eps = 1e-8, weight_decay = 0, momentum = 0;
  bool centered = false, maximize = false;
};
// grad_avg: required when centered; momentum_buffer: required when momentum > 0.
void rmsprop_step_(Tensor& param, const Tensor& grad, const Tensor& square_avg, const Tensor& grad_avg,
                   const Tensor& momentum_buffer, const RMSpropStepOptions& o);

struct AdagradStepOptions {
  double lr = 1e-2, lr_decay = 0, weight_decay = 0, eps = 1e-10;
  bool maximize = false;
  double step = 1;  // this update's number, from 1: the learning rate is lr / (1 + (step - 1) * lr_decay)
};
void adagrad_step_(Tensor& param, const Tensor& grad, const Tensor& sum, const AdagradStepOptions& o);

// sum |x|^p over a floating tensor's elements (max |x| when p is inf), accumulated in float64 in
// an order that does not depend on the thread count: one tensor's share of a total p-norm (the
// norm of several tensors is (sum over them)^(1/p), as clip_grad_norm_ computes it).
double norm_power_sum(const Tensor& t, double p);

// Multiplies each tensor in place by `scalar`, rounded to the tensor's dtype first
// (torch._foreach_mul_); no autograd.
void foreach_mul_(const std::vector<Tensor>& tensors, double scalar);

}  // namespace ember
