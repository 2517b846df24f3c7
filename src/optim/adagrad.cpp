// Adagrad.
#include "ember/optim/adagrad.h"

#include "optim/update_util.h"

namespace ember::optim {

using detail::check_nonnegative;

void AdagradOptions::validate(const std::string& optimizer) const {
  check_nonnegative(optimizer, "lr", lr_);
  check_nonnegative(optimizer, "lr_decay", lr_decay_);
  check_nonnegative(optimizer, "weight_decay", weight_decay_);
  check_nonnegative(optimizer, "initial_accumulator_value", initial_accumulator_value_);
  check_nonnegative(optimizer, "eps", eps_);
}

Adagrad::Adagrad(std::vector<Tensor> params, const AdagradOptions& options)
    : Adagrad(std::vector<ParamGroup>{ParamGroup(std::move(params))}, options) {}
Adagrad::Adagrad(std::vector<ParamGroup> groups, const AdagradOptions& defaults)
    : Optimizer("Adagrad", std::move(groups), defaults) {
  for (auto& g : param_groups()) on_group_added(g);
}

// PyTorch creates Adagrad's state with the optimizer, so a state dict taken before the first step
// already holds "sum" filled with initial_accumulator_value.
void Adagrad::on_group_added(ParamGroup& group) {
  const double init = group.options_as<AdagradOptions>().initial_accumulator_value();
  for (auto& p : group.params()) {
    ParamState& st = state_of(p);
    if (st.find("step") == st.end()) st.emplace("step", zeros({}, kFloat32));
    if (st.find("sum") == st.end()) st.emplace("sum", full(p.shape(), init, p.dtype()));
  }
}

void Adagrad::update_group(ParamGroup& group) {
  const auto& o = group.options_as<AdagradOptions>();
  for (auto& p : group.params()) {
    Tensor grad = p.grad();
    if (!grad.defined()) continue;
    ParamState& st = state_of(p);
    const double step = detail::increment_step(st);
    detail::check_grad(name(), p, grad);
    Tensor sum = detail::state_tensor(st, "sum", p, o.initial_accumulator_value());
    adagrad_step_(p, grad, sum,
                  {.lr = o.lr(), .lr_decay = o.lr_decay(), .weight_decay = o.weight_decay(), .eps = o.eps(),
                   .maximize = o.maximize(), .step = step});
  }
}

}  // namespace ember::optim
