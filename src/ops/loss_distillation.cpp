// distillation_loss: composed from log_softmax, softmax, kl_div and cross_entropy, so autograd
// and the golden-tested kernels of those ops carry it; only the argument checks are its own.
#include <cmath>

#include "backend/backend.h"
#include "core/op_helpers.h"
#include "ember/autograd.h"
#include "ember/ops.h"
#include "ops/loss_common.h"

namespace ember {

namespace {
constexpr const char* kOp = "distillation_loss";

void check_args(const Tensor& s, const Tensor& t, const Tensor& target, double temperature, double alpha) {
  EMBER_CHECK(s.defined() && t.defined() && target.defined(), kOp,
              "student_logits, teacher_logits and target must all be given");
  detail::check_loss_input(s, "student_logits", kOp);
  detail::check_loss_input(t, "teacher_logits", kOp);
  EMBER_CHECK(s.dim() == 2, kOp, "student_logits must be (N, C), got shape ", shape_str(s.shape()));
  EMBER_CHECK(t.shape() == s.shape(), kOp, "teacher_logits of shape ", shape_str(t.shape()),
              " must have student_logits' shape ", shape_str(s.shape()));
  EMBER_CHECK(target.dtype() == kInt64, kOp, "target must be int64 class indices, got ", dtype_name(target.dtype()));
  EMBER_CHECK(target.dim() == 1 && target.size(0) == s.size(0), kOp, "target of shape ", shape_str(target.shape()),
              " must have shape [", s.size(0), "] (one class per row of student_logits ", shape_str(s.shape()), ")");
  EMBER_CHECK(temperature > 0 && std::isfinite(temperature), kOp, "temperature must be a positive number, got ",
              temperature);
  EMBER_CHECK(alpha >= 0 && alpha <= 1, kOp, "alpha must be in [0, 1], got ", alpha);
}
}  // namespace

Tensor distillation_loss(const Tensor& student_logits, const Tensor& teacher_logits, const Tensor& target,
                         double temperature, double alpha) {
  check_args(student_logits, teacher_logits, target, temperature, alpha);
  // A device without the kernels this composite runs on fails here, naming this op.
  EMBER_KERNEL(class_targets, kOp, student_logits);
  EMBER_KERNEL(binary, kOp, student_logits);
  // Terms with weight 0 are skipped (alpha 0: the student trained alone).
  if (alpha == 0) return cross_entropy(student_logits, target);  // () mean over the batch
  const double T = temperature;
  Tensor soft_teacher;  // (N, C) probabilities, a constant for autograd
  {
    NoGradGuard ng;
    soft_teacher = softmax(teacher_logits.detach().to(student_logits.dtype()) / T, 1);
  }
  // () KL summed over classes and rows, / N
  Tensor soft = kl_div(log_softmax(student_logits / T, 1), soft_teacher, "batchmean");
  if (alpha == 1) return soft * (T * T);
  return soft * (alpha * T * T) + cross_entropy(student_logits, target) * (1.0 - alpha);
}

}  // namespace ember
