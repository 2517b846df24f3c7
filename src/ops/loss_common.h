#pragma once
// Shared by the loss files: reduction names and argument checks.
#include <string>

#include "ember/tensor.h"

namespace ember::detail {

enum class Reduction { None, Mean, Sum, BatchMean };

// "none" / "mean" / "sum" (and "batchmean" where allowed), or an ember::Error naming `op`.
Reduction parse_reduction(const std::string& s, const char* op, bool allow_batchmean = false);

// Reduces per-element losses: none keeps them, sum adds them, mean divides by their count,
// batchmean divides the sum by the batch size (the first dim's size).
Tensor reduce_loss(const Tensor& per_element, Reduction r);

// input and target must have the same shape (PyTorch broadcasts some losses with a warning;
// a mismatch is almost always a bug, so Ember asks for an explicit reshape).
void check_same_shape(const Tensor& input, const Tensor& target, const char* op);

// A floating-point input (float32/float64).
void check_loss_input(const Tensor& t, const char* what, const char* op);

}  // namespace ember::detail
