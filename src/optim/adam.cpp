// Adam and AdamW.
#include "ember/optim/adam.h"

#include <cmath>

#include "optim/update_util.h"

namespace ember::optim {

using detail::check_nonnegative;

template <class Derived> void AdamOptionsBase<Derived>::validate(const std::string& optimizer) const {
  check_nonnegative(optimizer, "lr", lr_);
  check_nonnegative(optimizer, "eps", eps_);
  EMBER_CHECK(beta1_ >= 0.0 && beta1_ < 1.0, optimizer, "invalid beta1 ", beta1_, "; betas must be in [0, 1)");
  EMBER_CHECK(beta2_ >= 0.0 && beta2_ < 1.0, optimizer, "invalid beta2 ", beta2_, "; betas must be in [0, 1)");
  check_nonnegative(optimizer, "weight_decay", weight_decay_);
}
template class AdamOptionsBase<AdamOptions>;
template class AdamOptionsBase<AdamWOptions>;

namespace {

// decoupled: AdamW's weight decay (p *= 1 - lr * wd) instead of Adam's L2 term in the gradient.
template <class Options>
void adam_group(Optimizer& opt, ParamGroup& group, bool decoupled,
                const std::function<ParamState&(const Tensor&)>& state_of) {
  const auto& o = group.options_as<Options>();
  for (auto& p : group.params()) {
    Tensor grad = p.grad();
    if (!grad.defined()) continue;
    ParamState& st = state_of(p);
    const double step = detail::increment_step(st);
    detail::check_grad(opt.name(), p, grad);
    Tensor m = detail::state_tensor(st, "exp_avg", p, 0.0);
    Tensor v = detail::state_tensor(st, "exp_avg_sq", p, 0.0);
    Tensor vmax = o.amsgrad() ? detail::state_tensor(st, "max_exp_avg_sq", p, 0.0) : Tensor();
    adam_step_(p, grad, m, v, vmax,
               {.lr = o.lr(), .beta1 = o.beta1(), .beta2 = o.beta2(), .eps = o.eps(),
                .weight_decay = o.weight_decay(), .decoupled_weight_decay = decoupled, .maximize = o.maximize(),
                .step = step});
  }
}

}  // namespace

Adam::Adam(std::vector<Tensor> params, const AdamOptions& options)
    : Adam(std::vector<ParamGroup>{ParamGroup(std::move(params))}, options) {}
Adam::Adam(std::vector<ParamGroup> groups, const AdamOptions& defaults) : Optimizer("Adam", std::move(groups), defaults) {}
void Adam::update_group(ParamGroup& group) {
  adam_group<AdamOptions>(*this, group, false, [this](const Tensor& p) -> ParamState& { return state_of(p); });
}

AdamW::AdamW(std::vector<Tensor> params, const AdamWOptions& options)
    : AdamW(std::vector<ParamGroup>{ParamGroup(std::move(params))}, options) {}
AdamW::AdamW(std::vector<ParamGroup> groups, const AdamWOptions& defaults)
    : Optimizer("AdamW", std::move(groups), defaults) {}
void AdamW::update_group(ParamGroup& group) {
  adam_group<AdamWOptions>(*this, group, true, [this](const Tensor& p) -> ParamState& { return state_of(p); });
}

}  // namespace ember::optim
