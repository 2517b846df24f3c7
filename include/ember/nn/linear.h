#pragma once
// Linear and Identity.
#include "ember/nn/module.h"

namespace ember::nn {

class Linear : public Module {
 public:
  Linear(int64_t in_features, int64_t out_features, bool bias = true);
  Tensor forward(const Tensor& x) override;  // (*, in) -> (*, out)
  std::string name() const override { return "Linear"; }
  std::string extra_repr() const override;
  void reset_parameters();
  Tensor weight, bias;  // (out, in), (out)
  int64_t in_features, out_features;
};

class Identity : public Module {
 public:
  Tensor forward(const Tensor& x) override { return x; }
  std::string name() const override { return "Identity"; }
};

}  // namespace ember::nn
