// Reduction parsing and shared checks for the losses.
#include "ops/loss_common.h"

#include "core/op_helpers.h"
#include "ember/ops.h"

namespace ember::detail {

Reduction parse_reduction(const std::string& s, const char* op, bool allow_batchmean) {
  if (s == "none") return Reduction::None;
  if (s == "mean") return Reduction::Mean;
  if (s == "sum") return Reduction::Sum;
  if (s == "batchmean" && allow_batchmean) return Reduction::BatchMean;
  EMBER_FAIL(op, "unknown reduction '", s, "'; expected 'mean', 'sum' or 'none'",
             allow_batchmean ? " (or 'batchmean')" : "");
}

Tensor reduce_loss(const Tensor& per_element, Reduction r) {
  switch (r) {
    case Reduction::None: return per_element;
    case Reduction::Sum: return sum(per_element);
    case Reduction::Mean: return mean(per_element);
    case Reduction::BatchMean:
      return per_element.dim() == 0 ? sum(per_element) : sum(per_element) / static_cast<double>(per_element.size(0));
  }
  return per_element;
}

void check_same_shape(const Tensor& input, const Tensor& target, const char* op) {
  EMBER_CHECK(input.shape() == target.shape(), op, "input of shape ", shape_str(input.shape()), " and target of shape ",
              shape_str(target.shape()), " must have the same shape; reshape the target (e.g. target.view(",
              shape_str(input.shape()), "))");
}

void check_loss_input(const Tensor& t, const char* what, const char* op) {
  EMBER_CHECK(t.dtype() == kFloat32 || t.dtype() == kFloat64, op, what, " must be a float32 or float64 tensor, got ",
              dtype_name(t.dtype()), "; convert with .to(ember::kFloat32)");
}

}  // namespace ember::detail
