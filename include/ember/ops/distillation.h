#pragma once
// Knowledge distillation (Hinton et al. 2015): a student learns from a teacher's softened
// probabilities as well as from the labels.
#include "ember/tensor.h"

namespace ember {

// alpha * T^2 * KL(softmax(teacher / T) || softmax(student / T)) + (1 - alpha) * CE(student, target),
// the KL averaged over the batch (PyTorch: kl_div(log_softmax(s / T), softmax(t / T), reduction="batchmean")).
// The T^2 keeps the soft term's gradients the size of the hard term's as T grows.
//   student_logits (N, C) float32/float64; teacher_logits (N, C), any floating dtype, no gradient
//   (detached: log-probabilities work as well as logits); target (N) int64 class indices.
//   temperature > 0; alpha in [0, 1] (0: plain cross-entropy, 1: teacher only).
// Returns a scalar in student_logits' dtype.
Tensor distillation_loss(const Tensor& student_logits, const Tensor& teacher_logits, const Tensor& target,
                         double temperature = 4.0, double alpha = 0.9);

}  // namespace ember
