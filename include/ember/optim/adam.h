#pragma once
// Adam and AdamW (torch.optim.Adam, torch.optim.AdamW).
#include "ember/optim/optimizer.h"

namespace ember::optim {

// Shared by Adam and AdamW; they differ in weight decay: Adam adds wd * p to the gradient (L2),
// AdamW multiplies p by (1 - lr * wd) before the update (decoupled). amsgrad normalizes by the
// running maximum of the second moment.
template <class Derived>
class AdamOptionsBase : public OptionsBase<Derived> {
 public:
  explicit AdamOptionsBase(double weight_decay) : weight_decay_(weight_decay) {}
  EMBER_OPTIM_ARG(double, lr, 1e-3)
  EMBER_OPTIM_ARG(double, eps, 1e-8)
  EMBER_OPTIM_ARG(double, weight_decay, 0.0)
  EMBER_OPTIM_ARG(bool, amsgrad, false)
  EMBER_OPTIM_ARG(bool, maximize, false)
 public:
  Derived& betas(double beta1, double beta2) {
    beta1_ = beta1, beta2_ = beta2;
    this->mark_set("beta1"), this->mark_set("beta2");
    return static_cast<Derived&>(*this);
  }
  double beta1() const { return beta1_; }
  double beta2() const { return beta2_; }
  template <class F> void visit(F&& f) {
    f("lr", lr_), f("beta1", beta1_), f("beta2", beta2_), f("eps", eps_), f("weight_decay", weight_decay_),
        f("amsgrad", amsgrad_), f("maximize", maximize_);
  }
  void validate(const std::string& optimizer) const override;

 private:
  double beta1_ = 0.9, beta2_ = 0.999;
};

class AdamOptions : public AdamOptionsBase<AdamOptions> {
 public:
  AdamOptions() : AdamOptionsBase(0.0) {}
  explicit AdamOptions(double lr) : AdamOptionsBase(0.0) { this->lr(lr); }
};
class AdamWOptions : public AdamOptionsBase<AdamWOptions> {
 public:
  AdamWOptions() : AdamOptionsBase(1e-2) {}  // PyTorch's default decay
  explicit AdamWOptions(double lr) : AdamOptionsBase(1e-2) { this->lr(lr); }
};

class Adam : public Optimizer {
 public:
  Adam(std::vector<Tensor> params, const AdamOptions& options = AdamOptions());
  Adam(std::vector<ParamGroup> groups, const AdamOptions& defaults = AdamOptions());

 protected:
  void update_group(ParamGroup& group) override;
  std::vector<std::string> state_names() const override { return {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}; }
};

class AdamW : public Optimizer {
 public:
  AdamW(std::vector<Tensor> params, const AdamWOptions& options = AdamWOptions());
  AdamW(std::vector<ParamGroup> groups, const AdamWOptions& defaults = AdamWOptions());

 protected:
  void update_group(ParamGroup& group) override;
  std::vector<std::string> state_names() const override { return {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}; }
};

}  // namespace ember::optim
