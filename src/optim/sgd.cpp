// GD and SGD.
#include "ember/optim/sgd.h"

#include "backend/cpu/optimizer_kernels.h"
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
    detail::update_param(name(), p, grad, [&](auto* pd, const auto* gd, int64_t n) {
      using T = std::remove_pointer_t<decltype(pd)>;
      cpu::sgd_update<T>(pd, gd, nullptr, n, {T(o.lr()), T(0), T(0), T(0), false, false, false});
    });
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
    detail::update_param(name(), p, grad, [&](auto* pd, const auto* gd, int64_t n) {
      using T = std::remove_pointer_t<decltype(pd)>;
      T* buf = nullptr;
      bool first = false;
      if (o.momentum() != 0) buf = detail::state_buffer<T>(st, "momentum_buffer", p, 0.0, &first);
      cpu::sgd_update<T>(pd, gd, buf, n,
                         {T(o.lr()), T(o.momentum()), T(o.dampening()), T(o.weight_decay()), o.nesterov(),
                          o.maximize(), first});
    });
  }
}

}  // namespace ember::optim
