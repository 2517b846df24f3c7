#pragma once
// Fused optimizer updates over contiguous parameter, gradient and state buffers of one dtype
// (Kernels::sgd_step ... scale): one pass per parameter instead of a chain of in-place tensor ops,
// and no temporaries, performing PyTorch's single-tensor float operations in the same order.
#include "backend/kernel_args.h"

namespace ember::cpu {

using backend::AdagradArgs;
using backend::AdamArgs;
using backend::RmspropArgs;
using backend::SgdArgs;

void sgd_step(const Tensor& p, const Tensor& g, const Tensor& momentum_buffer, const SgdArgs& a);
void adam_step(const Tensor& p, const Tensor& g, const Tensor& exp_avg, const Tensor& exp_avg_sq,
               const Tensor& max_exp_avg_sq, const AdamArgs& a);
void rmsprop_step(const Tensor& p, const Tensor& g, const Tensor& square_avg, const Tensor& grad_avg,
                  const Tensor& momentum_buffer, const RmspropArgs& a);
void adagrad_step(const Tensor& p, const Tensor& g, const Tensor& sum, const AdagradArgs& a);
// sum |x|^p (max |x| when p is inf) in double, in an order independent of the thread count.
double norm_power_sum(const Tensor& t, double p);
void scale(const Tensor& t, double c);  // t *= c rounded to t's dtype

}  // namespace ember::cpu
