#pragma once
// Dropout.
#include "ember/nn/module.h"
#include "ember/random.h"

namespace ember::nn {

class Dropout : public Module {
 public:
  explicit Dropout(double p = 0.5, Generator* gen = nullptr);
  Tensor forward(const Tensor& x) override;
  std::string name() const override { return "Dropout"; }
  std::string extra_repr() const override;
  double p;
  Generator* gen;  // null: the default generator
};

}  // namespace ember::nn
