#pragma once
// `ember distill mnist-cnn`: a small student (CNN or MLP) learns MNIST from a trained seed CNN's
// softened outputs (distillation_loss) on the shared trainer, or alone (alpha 0) for comparison.
#include <iosfwd>
#include <string>
#include <vector>

#include "ember/models/mnist_student.h"
#include "ember/train/report.h"

namespace ember::recipes {

struct DistillMnistConfig {
  // A checkpoint written by `ember train mnist-cnn`; needed unless alpha is 0.
  std::string teacher;
  models::MnistStudentSpec student;
  double temperature = 4.0;
  double alpha = 0.9;                 // weight of the teacher's term; 0: plain cross-entropy
  int64_t epochs = 1;
  int64_t batch_size = 64;
  double lr = 0.01;                   // SGD + momentum, as the teacher's recipe
  double momentum = 0.9;
  int threads = 0;                    // 0: keep the current setting
  uint64_t seed = 1;
  std::string data_root;              // "" -> EMBER_DATA or ../shared/data
  std::string checkpoint_dir;         // the student's checkpoints (resume with --resume auto)
  std::string resume;
  std::string metrics_path;
  std::string tensorboard_dir;  // TensorBoard event files (train::TrainerOptions); "" -> none
  std::string plot_path;
  std::string nonfinite = "stop";     // or "skip": a NaN/inf loss (train::TrainerOptions)
  int64_t max_steps_per_epoch = 0;    // 0: whole epochs
  int64_t train_limit = 0;            // the first N training images only (0: all)
  int64_t num_workers = 1;
  bool progress = true;
  bool evaluate_teacher = true;       // report the teacher's own test accuracy first
  // Run the teacher once over the training images and keep its outputs (2.4 MB for MNIST) instead
  // of on every step: the same loss, faster from the second epoch on.
  bool cache_teacher = false;
  // Feature matching (FitNets' hint, Romero et al. 2015), off at 0: adds
  // feature_weight * MSE(hint(student's penultimate features), teacher's (N, 128) hidden features),
  // hint a Linear trained with the student and dropped afterwards (it is not part of the student).
  double feature_weight = 0;
};

struct DistillMnistResult {
  std::vector<train::EpochRecord> history;
  double test_accuracy = 0, test_loss = 0;  // the student's, last epoch
  double teacher_accuracy = -1;             // -1: not evaluated
  int64_t student_parameters = 0, teacher_parameters = 0;  // teacher 0 without one
  double images_per_second = 0;             // training throughput, teacher forward included
  std::vector<double> step_losses;
};

DistillMnistResult distill_mnist_cnn(const DistillMnistConfig& cfg, std::ostream& out);

}  // namespace ember::recipes
