// RMSprop.
#include "ember/optim/rmsprop.h"

#include "optim/update_util.h"

namespace ember::optim {

using detail::check_nonnegative;

void RMSpropOptions::validate(const std::string& optimizer) const {
  check_nonnegative(optimizer, "lr", lr_);
  check_nonnegative(optimizer, "eps", eps_);
  check_nonnegative(optimizer, "momentum", momentum_);
  check_nonnegative(optimizer, "weight_decay", weight_decay_);
  check_nonnegative(optimizer, "alpha", alpha_);
}

RMSprop::RMSprop(std::vector<Tensor> params, const RMSpropOptions& options)
    : RMSprop(std::vector<ParamGroup>{ParamGroup(std::move(params))}, options) {}
RMSprop::RMSprop(std::vector<ParamGroup> groups, const RMSpropOptions& defaults)
    : Optimizer("RMSprop", std::move(groups), defaults) {}

void RMSprop::update_group(ParamGroup& group) {
  const auto& o = group.options_as<RMSpropOptions>();
  for (auto& p : group.params()) {
    Tensor grad = p.grad();
    if (!grad.defined()) continue;
    ParamState& st = state_of(p);
    detail::increment_step(st);
    detail::check_grad(name(), p, grad);
    Tensor sq = detail::state_tensor(st, "square_avg", p, 0.0);
    Tensor buf = o.momentum() > 0 ? detail::state_tensor(st, "momentum_buffer", p, 0.0) : Tensor();
    Tensor grad_avg = o.centered() ? detail::state_tensor(st, "grad_avg", p, 0.0) : Tensor();
    rmsprop_step_(p, grad, sq, grad_avg, buf,
                  {.lr = o.lr(), .alpha = o.alpha(), .eps = o.eps(), .weight_decay = o.weight_decay(),
                   .momentum = o.momentum(), .centered = o.centered(), .maximize = o.maximize()});
  }
}

}  // namespace ember::optim
