#pragma once
// Gradient descent and stochastic gradient descent with momentum (torch.optim.SGD).
#include "ember/optim/optimizer.h"

namespace ember::optim {

// Plain gradient descent: p -= lr * grad. The same update as SGD without momentum or weight
// decay, kept as its own name for full-batch training.
class GDOptions : public OptionsBase<GDOptions> {
 public:
  GDOptions() = default;  // for param-group overrides; the optimizer's defaults must set lr
  explicit GDOptions(double lr) : lr_(lr) { mark_set("lr"); }
  EMBER_OPTIM_ARG(double, lr, 0.0)
  template <class F> void visit(F&& f) { f("lr", lr_); }
  void validate(const std::string& optimizer) const override;
};

class GD : public Optimizer {
 public:
  GD(std::vector<Tensor> params, const GDOptions& options);
  GD(std::vector<ParamGroup> groups, const GDOptions& defaults);

 protected:
  void update_group(ParamGroup& group) override;
  std::vector<std::string> state_names() const override { return {}; }
};

// torch.optim.SGD: with weight decay g += wd * p (L2 added to the gradient); with momentum the
// buffer is b = g on the first step and b = momentum * b + (1 - dampening) * g afterwards; the step
// uses g + momentum * b (nesterov) or b. maximize ascends instead. lr has no default (as in PyTorch).
class SGDOptions : public OptionsBase<SGDOptions> {
 public:
  SGDOptions() = default;  // for param-group overrides; the optimizer's defaults must set lr
  explicit SGDOptions(double lr) : lr_(lr) { mark_set("lr"); }
  EMBER_OPTIM_ARG(double, lr, 0.0)
  EMBER_OPTIM_ARG(double, momentum, 0.0)
  EMBER_OPTIM_ARG(double, dampening, 0.0)
  EMBER_OPTIM_ARG(double, weight_decay, 0.0)
  EMBER_OPTIM_ARG(bool, nesterov, false)
  EMBER_OPTIM_ARG(bool, maximize, false)
  template <class F> void visit(F&& f) {
    f("lr", lr_), f("momentum", momentum_), f("dampening", dampening_), f("weight_decay", weight_decay_),
        f("nesterov", nesterov_), f("maximize", maximize_);
  }
  void validate(const std::string& optimizer) const override;
};

class SGD : public Optimizer {
 public:
  SGD(std::vector<Tensor> params, const SGDOptions& options);
  SGD(std::vector<ParamGroup> groups, const SGDOptions& defaults);

 protected:
  void update_group(ParamGroup& group) override;
  std::vector<std::string> state_names() const override { return {"momentum_buffer"}; }
};

}  // namespace ember::optim
