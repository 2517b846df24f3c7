#pragma once
// Adagrad (torch.optim.Adagrad).
#include "ember/optim/optimizer.h"

namespace ember::optim {

// sum += g^2; p -= clr * g / (sqrt(sum) + eps) with clr = lr / (1 + (step - 1) * lr_decay).
// The accumulator starts at initial_accumulator_value and is created with the optimizer.
class AdagradOptions : public OptionsBase<AdagradOptions> {
 public:
  AdagradOptions() = default;
  explicit AdagradOptions(double lr) : lr_(lr) { mark_set("lr"); }
  EMBER_OPTIM_ARG(double, lr, 1e-2)
  EMBER_OPTIM_ARG(double, lr_decay, 0.0)
  EMBER_OPTIM_ARG(double, weight_decay, 0.0)
  EMBER_OPTIM_ARG(double, initial_accumulator_value, 0.0)
  EMBER_OPTIM_ARG(double, eps, 1e-10)
  EMBER_OPTIM_ARG(bool, maximize, false)
  template <class F> void visit(F&& f) {
    f("lr", lr_), f("lr_decay", lr_decay_), f("weight_decay", weight_decay_),
        f("initial_accumulator_value", initial_accumulator_value_), f("eps", eps_), f("maximize", maximize_);
  }
  void validate(const std::string& optimizer) const override;
};

class Adagrad : public Optimizer {
 public:
  Adagrad(std::vector<Tensor> params, const AdagradOptions& options = AdagradOptions());
  Adagrad(std::vector<ParamGroup> groups, const AdagradOptions& defaults = AdagradOptions());

 protected:
  void update_group(ParamGroup& group) override;
  std::vector<std::string> state_names() const override { return {"step", "sum"}; }
  void on_group_added(ParamGroup& group) override;
};

}  // namespace ember::optim
