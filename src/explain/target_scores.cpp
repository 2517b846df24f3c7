#include "explain/target_scores.h"

#include "ember/autograd.h"
#include "ember/ops.h"

namespace ember::explain::detail {

void check_inputs(const char* op, const Tensor& inputs, bool integer_ok) {
  EMBER_CHECK(inputs.defined(), op, "the inputs tensor is undefined");
  EMBER_CHECK(inputs.dim() >= 1 && inputs.size(0) >= 1, op, "expected inputs of shape (N, ...) with N >= 1, got ",
              shape_str(inputs.shape()));
  EMBER_CHECK(inputs.is_floating_point() || (integer_ok && is_integral(inputs.dtype())), op,
              integer_ok ? "expected floating-point or integer (token id) inputs, got dtype "
                         : "expected floating-point inputs, got dtype ",
              dtype_name(inputs.dtype()));
}

std::vector<int64_t> expand_targets(const char* op, const std::vector<int64_t>& targets, int64_t n) {
  EMBER_CHECK(targets.size() == 1 || static_cast<int64_t>(targets.size()) == n, op, "expected one target per example (",
              n, ") or a single target for all, got ", targets.size());
  for (size_t i = 0; i < targets.size(); ++i)
    EMBER_CHECK(targets[i] >= 0, op, "target ", targets[i], " (example ", i, ") is negative");
  if (targets.size() == 1) return std::vector<int64_t>(static_cast<size_t>(n), targets[0]);
  return targets;
}

Tensor broadcast_baseline(const char* op, const char* what, const Tensor& baseline, const Tensor& x) {
  if (!baseline.defined()) return zeros_like(x);
  EMBER_CHECK(x.is_floating_point() ? baseline.is_floating_point() : is_integral(baseline.dtype()), op, what,
              x.is_floating_point() ? " must be floating point, got dtype " : " must hold integer ids (as the inputs), got dtype ",
              dtype_name(baseline.dtype()));
  const Shape& b = baseline.shape();
  const Shape& s = x.shape();
  bool ok = b.size() <= s.size();
  for (size_t i = 0; ok && i < b.size(); ++i) {
    int64_t bi = b[b.size() - 1 - i], si = s[s.size() - 1 - i];
    ok = bi == si || bi == 1;
  }
  EMBER_CHECK(ok, op, what, " of shape ", shape_str(b), " does not broadcast to the inputs' shape ", shape_str(s));
  return baseline.detach().to(x.dtype()).expand(s).contiguous();
}

namespace {

// (R, C) scores checked against the rows and the targets.
void check_output(const char* op, const Tensor& out, const Tensor& rows, const std::vector<int64_t>& row_targets) {
  EMBER_CHECK(out.defined(), op, "the model returned an undefined tensor");
  EMBER_CHECK(out.dim() == 2 && out.size(0) == rows.size(0), op, "expected the model to map inputs of shape ",
              shape_str(rows.shape()), " to scores of shape (", rows.size(0), ", C), got ", shape_str(out.shape()));
  const int64_t c = out.size(1);
  for (size_t r = 0; r < row_targets.size(); ++r)
    EMBER_CHECK(row_targets[r] < c, op, "target ", row_targets[r], " is out of range: the model has ", c,
                " classes (0 to ", c - 1, ")");
}

Tensor pick(const Tensor& out, const std::vector<int64_t>& row_targets) {
  Tensor idx = tensor<int64_t>(row_targets, {static_cast<int64_t>(row_targets.size()), 1});
  return gather(out, 1, idx).squeeze(1);  // (R, C) -> (R,)
}

}  // namespace

Tensor target_scores(const char* op, const Forward& model, const Tensor& rows, const std::vector<int64_t>& row_targets) {
  NoGradGuard ng;
  Tensor out = model(rows);
  check_output(op, out, rows, row_targets);
  return pick(out, row_targets);
}

Tensor target_gradient(const char* op, const Forward& model, const Tensor& rows, const std::vector<int64_t>& row_targets) {
  EnableGradGuard eg;  // as Captum: gradients even when the caller is under no_grad
  Tensor x = rows.detach().contiguous();  // a leaf of our own: the caller's tensor is untouched
  x.requires_grad_(true);
  Tensor out = model(x);
  check_output(op, out, x, row_targets);
  const char* why =
      "the model's output has no gradient path to its input (does it run under no_grad, detach its input, or "
      "go through a non-differentiable op such as argmax?); occlusion needs no gradients";
  EMBER_CHECK(out.requires_grad(), op, why);
  Tensor s = sum(pick(out, row_targets));
  Tensor g = autograd::grad({s}, {x}, {}, false, false, /*allow_unused=*/true)[0];
  EMBER_CHECK(g.defined(), op, why);
  return g;
}

}  // namespace ember::explain::detail
