#pragma once
// RMSprop (torch.optim.RMSprop).
#include "ember/optim/optimizer.h"

namespace ember::optim {

// square_avg = alpha * square_avg + (1 - alpha) * g^2; centered subtracts the squared running mean
// of g; the step is g / (sqrt(.) + eps), through a momentum buffer when momentum > 0.
class RMSpropOptions : public OptionsBase<RMSpropOptions> {
 public:
  RMSpropOptions() = default;
  explicit RMSpropOptions(double lr) : lr_(lr) { mark_set("lr"); }
  EMBER_OPTIM_ARG(double, lr, 1e-2)
  EMBER_OPTIM_ARG(double, alpha, 0.99)
  EMBER_OPTIM_ARG(double, eps, 1e-8)
  EMBER_OPTIM_ARG(double, weight_decay, 0.0)
  EMBER_OPTIM_ARG(double, momentum, 0.0)
  EMBER_OPTIM_ARG(bool, centered, false)
  EMBER_OPTIM_ARG(bool, maximize, false)
  template <class F> void visit(F&& f) {
    f("lr", lr_), f("alpha", alpha_), f("eps", eps_), f("weight_decay", weight_decay_), f("momentum", momentum_),
        f("centered", centered_), f("maximize", maximize_);
  }
  void validate(const std::string& optimizer) const override;
};

class RMSprop : public Optimizer {
 public:
  RMSprop(std::vector<Tensor> params, const RMSpropOptions& options = RMSpropOptions());
  RMSprop(std::vector<ParamGroup> groups, const RMSpropOptions& defaults = RMSpropOptions());

 protected:
  void update_group(ParamGroup& group) override;
  std::vector<std::string> state_names() const override { return {"step", "square_avg", "momentum_buffer", "grad_avg"}; }
};

}  // namespace ember::optim
