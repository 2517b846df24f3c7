// RMSprop.
#include "ember/optim/rmsprop.h"

#include "backend/cpu/optimizer_kernels.h"
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
    detail::update_param(name(), p, grad, [&](auto* pd, const auto* gd, int64_t n) {
      using T = std::remove_pointer_t<decltype(pd)>;
      T* sq = detail::state_buffer<T>(st, "square_avg", p, 0.0);
      T* buf = o.momentum() > 0 ? detail::state_buffer<T>(st, "momentum_buffer", p, 0.0) : nullptr;
      T* grad_avg = o.centered() ? detail::state_buffer<T>(st, "grad_avg", p, 0.0) : nullptr;
      cpu::RMSpropArgs<T> a{T(-o.lr()), T(o.alpha()), T(1 - o.alpha()), T(o.eps()), T(o.weight_decay()),
                            T(o.momentum()), o.centered(), o.maximize()};
      cpu::rmsprop_update<T>(pd, gd, sq, grad_avg, buf, n, a);
    });
  }
}

}  // namespace ember::optim
