#pragma once
// What every attribution method shares: checking inputs and targets, running the model on a
// batch of rows and picking each row's target score, and the gradient of those scores.
#include <vector>

#include "ember/explain/attribution.h"

namespace ember::explain::detail {

// inputs: (N, ...) floating point with N >= 1; integer_ok: token ids too (the perturbation methods
// that only swap features for the baseline's). Errors name `op`.
void check_inputs(const char* op, const Tensor& inputs, bool integer_ok = false);

// targets (size N, or 1 for all) -> one target per example; negative entries are errors.
// Classes above the model's are caught once its output is known.
std::vector<int64_t> expand_targets(const char* op, const std::vector<int64_t>& targets, int64_t n);

// baseline broadcast to x's shape and dtype, contiguous; undefined -> zeros (for token ids: id 0).
// Floating for floating x, integer for integer x. `what` names it.
Tensor broadcast_baseline(const char* op, const char* what, const Tensor& baseline, const Tensor& x);

// model(rows) -> (R, C), checked, then the target score of each row: (R, ...) -> (R,).
// row_targets[r] is row r's class.
Tensor target_scores(const char* op, const Forward& model, const Tensor& rows, const std::vector<int64_t>& row_targets);

// d(sum_r score_r[target_r]) / d(rows): each row's gradient of its own score (rows are
// independent). Errors when the output has no gradient path to the input. (R, ...) -> (R, ...)
Tensor target_gradient(const char* op, const Forward& model, const Tensor& rows, const std::vector<int64_t>& row_targets);

}  // namespace ember::explain::detail
