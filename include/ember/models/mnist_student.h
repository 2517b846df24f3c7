#pragma once
// Small MNIST classifiers whose size is set by a few numbers: students for distillation
// (`ember distill mnist-cnn --student cnn|mlp`). Both return logits.
#include <memory>
#include <string>

#include "ember/nn/container.h"

namespace ember::models {

struct MnistStudentSpec {
  std::string kind = "cnn";  // "cnn" or "mlp"
  // cnn: the first conv's channels (the second has twice as many); mlp: units per hidden layer.
  // 0: the kind's default (cnn 8, mlp 64).
  int64_t width = 0;
  int64_t hidden = 64;  // cnn: the hidden fully-connected layer's units
  int64_t layers = 1;   // mlp: hidden layers
};

// cnn: Conv2d(1, w, 3) ReLU MaxPool2d(2) Conv2d(w, 2w, 3) ReLU MaxPool2d(2) Flatten
//      Linear(2w * 5 * 5, hidden) ReLU Linear(hidden, 10)
// mlp: Flatten [Linear(784 or w, w) ReLU] x layers, Linear(w or 784, 10)
// (N, 1, 28, 28) -> (N, 10) logits. Errors name the --student flags.
std::shared_ptr<nn::Sequential> make_mnist_student(const MnistStudentSpec& spec);
// spec with width 0 replaced by its kind's default.
MnistStudentSpec with_defaults(MnistStudentSpec spec);

}  // namespace ember::models
