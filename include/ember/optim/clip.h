#pragma once
// Gradient clipping (torch.nn.utils.clip_grad_norm_ / clip_grad_value_). Both act in place on the
// .grad of each parameter that has one and skip parameters without a gradient.
#include <limits>
#include <vector>

#include "ember/tensor.h"

namespace ember::nn::utils {

constexpr double kInfNorm = std::numeric_limits<double>::infinity();

// Scales all gradients by max_norm / (total_norm + 1e-6) when that is below 1, where total_norm is
// the norm_type-norm of all gradients together (norm_type > 0, or kInfNorm for the max-abs norm).
// Returns total_norm (accumulated in double). error_if_nonfinite: throw instead of scaling when
// the norm is NaN or infinite. With no gradients at all, returns 0.
double clip_grad_norm_(const std::vector<Tensor>& parameters, double max_norm, double norm_type = 2.0,
                       bool error_if_nonfinite = false);
// Clamps every gradient element to [-clip_value, clip_value].
void clip_grad_value_(const std::vector<Tensor>& parameters, double clip_value);

}  // namespace ember::nn::utils
