// GD and SGD.
#include "ember/optim/sgd.h"

#include "optim/update_util.h"

namespace ember::optim {

using detail::check_nonnegative;

void GDOptions::validate(const std::string& optimizer) const { check_nonnegative(optimizer, "lr", lr_); }

GD::GD(std::vector<Tensor> params, const GDOptions& options) : GD(std::vector<ParamGroup>{ParamGroup(std::move(params))}, options) {}
namespace {
const OptimizerOptions& require_lr(const OptimizerOptions& o, const char* optimizer, const char* options) {
  EMBER_CHECK(o.is_set("lr"), optimizer, "lr is required and has no default; pass it as ", options, "(lr)");
  return o;
}
}  // namespace

GD::GD(std::vector<ParamGroup> groups, const GDOptions& defaults)
    : Optimizer("GD", std::move(groups), require_lr(defaults, "GD", "GDOptions")) {}

void GD::update_group(ParamGroup& group) {
  const auto& o = group.options_as<GDOptions>();
  for (auto& p : group.params()) {
    Tensor grad = p.grad();
    if (!grad.defined()) continue;
    detail::check_grad(name(), p, grad);
    sgd_step_(p, grad, Tensor(), false, {.lr = o.lr()});
  }
}

void SGDOptions::validate(const std::string& optimizer) const {
  check_nonnegative(optimizer, "lr", lr_);
  check_nonnegative(optimizer, "momentum", momentum_);
  check_nonnegative(optimizer, "weight_decay", weight_decay_);
  EMBER_CHECK(!nesterov_ || (momentum_ > 0 && dampening_ == 0), optimizer,
              "nesterov momentum requires momentum > 0 and dampening = 0, got momentum ", momentum_, " and dampening ",
              dampening_, "; set dampening(0) or nesterov(false)");
}

SGD::SGD(std::vector<Tensor> params, const SGDOptions& options)
    : SGD(std::vector<ParamGroup>{ParamGroup(std::move(params))}, options) {}
SGD::SGD(std::vector<ParamGroup> groups, const SGDOptions& defaults)
    : Optimizer("SGD", std::move(groups), require_lr(defaults, "SGD", "SGDOptions")) {}

void SGD::update_group(ParamGroup& group) {
  const auto& o = group.options_as<SGDOptions>();
  for (auto& p : group.params()) {
    Tensor grad = p.grad();
    if (!grad.defined()) continue;
    ParamState& st = state_of(p);
    detail::check_grad(name(), p, grad);
    Tensor buf;
    bool first = false;
    if (o.momentum() != 0) buf = detail::state_tensor(st, "momentum_buffer", p, 0.0, &first);
    sgd_step_(p, grad, buf, first,
              {.lr = o.lr(), .momentum = o.momentum(), .dampening = o.dampening(), .weight_decay = o.weight_decay(),
               .nesterov = o.nesterov(), .maximize = o.maximize()});
  }
}

}  // namespace ember::optim
