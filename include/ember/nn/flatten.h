#pragma once
// Flatten and Unflatten.
#include "ember/nn/module.h"

namespace ember::nn {

class Flatten : public Module {
 public:
  explicit Flatten(int64_t start_dim = 1, int64_t end_dim = -1) : start_dim(start_dim), end_dim(end_dim) {}
  Tensor forward(const Tensor& x) override { return x.flatten(start_dim, end_dim); }
  std::string name() const override { return "Flatten"; }
  std::string extra_repr() const override;
  int64_t start_dim, end_dim;
};

// Splits dim into `sizes` (one may be -1): (N, 1568) -> (N, 32, 7, 7) for Unflatten(1, {32, 7, 7}).
class Unflatten : public Module {
 public:
  Unflatten(int64_t dim, Shape unflattened_size);
  Tensor forward(const Tensor& x) override { return x.unflatten(dim, unflattened_size); }
  std::string name() const override { return "Unflatten"; }
  std::string extra_repr() const override;
  int64_t dim;
  Shape unflattened_size;
};

}  // namespace ember::nn
