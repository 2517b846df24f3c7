// Optimizer base: parameter groups, zero_grad, step, state dicts.
#include "ember/optim/optimizer.h"

#include <algorithm>
#include <charconv>
#include <typeinfo>
#include <unordered_set>

#include "ember/autograd.h"
#include "ember/ops.h"

namespace ember::optim {

// ---- options ----

double OptimizerOptions::get(std::string_view name) const {
  for (auto& [n, v] : values())
    if (n == name) return v;
  EMBER_FAIL("optimizer options", "no option named '", name, "'");
}

bool OptimizerOptions::is_set(std::string_view name) const {
  return std::find(set_names_.begin(), set_names_.end(), name) != set_names_.end();
}

void OptimizerOptions::mark_set(std::string_view name) {
  if (!is_set(name)) set_names_.emplace_back(name);
}

// ---- param groups ----

ParamGroup::ParamGroup(std::vector<Tensor> params) : params_(std::move(params)) {}
ParamGroup::ParamGroup(std::vector<Tensor> params, const OptimizerOptions& options)
    : params_(std::move(params)), options_(options.clone()) {}
ParamGroup::ParamGroup(const ParamGroup& o)
    : initial_lr(o.initial_lr), params_(o.params_), options_(o.options_ ? o.options_->clone() : nullptr) {}
ParamGroup& ParamGroup::operator=(const ParamGroup& o) {
  if (this != &o) {
    params_ = o.params_;
    options_ = o.options_ ? o.options_->clone() : nullptr;
    initial_lr = o.initial_lr;
  }
  return *this;
}
OptimizerOptions& ParamGroup::options() {
  EMBER_CHECK(options_, "ParamGroup", "this group has no options yet; add it to an optimizer first");
  return *options_;
}
const OptimizerOptions& ParamGroup::options() const { return const_cast<ParamGroup*>(this)->options(); }

// ---- optimizer ----

Optimizer::Optimizer(std::string name, std::vector<ParamGroup> groups, const OptimizerOptions& defaults)
    : name_(std::move(name)), defaults_(defaults.clone()) {
  defaults_->validate(name_);
  EMBER_CHECK(!groups.empty(), name_, "got an empty parameter list; pass the model's parameters");
  for (auto& g : groups) {
    add_param_group(std::move(g));
  }
}

void Optimizer::add_param_group(ParamGroup group) {
  const size_t gi = groups_.size();
  // Options: the optimizer's defaults, overridden by whatever the group set explicitly.
  auto merged = defaults_->clone();
  if (group.has_options()) {
    const OptimizerOptions& own = group.options();
    EMBER_CHECK(typeid(own) == typeid(*defaults_), name_, "param group ", gi,
                " carries options of another optimizer; build it with this optimizer's options type");
    for (auto& [n, v] : own.values())
      if (own.is_set(n)) merged->set(n, v);
  }
  merged->validate(name_);
  EMBER_CHECK(!group.params().empty(), name_, "param group ", gi, " has an empty parameter list; pass at least one parameter");

  std::unordered_set<const TensorImpl*> seen;
  for (auto& g : groups_)
    for (auto& p : g.params()) seen.insert(p.impl_ptr().get());
  for (size_t i = 0; i < group.params().size(); ++i) {
    const Tensor& p = group.params()[i];
    EMBER_CHECK(p.defined(), name_, "parameter ", i, " of param group ", gi, " is an undefined tensor");
    EMBER_CHECK(p.dtype() == kFloat32 || p.dtype() == kFloat64, name_, "parameter ", i, " of param group ", gi,
                " has dtype ", dtype_name(p.dtype()), "; optimizers update float32 or float64 parameters "
                "(keep float32 master weights for half-precision models)");
    EMBER_CHECK(p.requires_grad(), name_, "parameter ", i, " of param group ", gi, " (shape ", shape_str(p.shape()),
                ") does not require grad; call requires_grad_() on it or leave it out of the optimizer");
    EMBER_CHECK(p.is_leaf(), name_, "parameter ", i, " of param group ", gi,
                " is not a leaf tensor (it was computed from other tensors); optimize the leaf it came from");
    EMBER_CHECK(seen.insert(p.impl_ptr().get()).second, name_, "parameter ", i, " of param group ", gi,
                " appears more than once across the param groups; list each parameter once");
  }
  group.set_options(std::move(merged));
  groups_.push_back(std::move(group));
  on_group_added(groups_.back());
}

Tensor Optimizer::step(const std::function<Tensor()>& closure) {
  Tensor loss;
  if (closure) {
    EnableGradGuard eg(true);
    loss = closure();
  }
  NoGradGuard ng;
  for (auto& g : groups_) update_group(g);
  return loss;
}

void Optimizer::step_parameter(const Tensor& param) {
  EMBER_CHECK(param.defined(), name_, "step_parameter got an undefined tensor");
  for (auto& g : groups_)
    for (auto& p : g.params())
      if (p.is_same(param)) {
        if (!p.grad().defined()) return;
        NoGradGuard ng;
        // A one-parameter group with the same options: update_group's rule on this parameter
        // alone (its state is keyed by the parameter, so it is the same state step() uses).
        ParamGroup single({p}, g.options());
        update_group(single);
        return;
      }
  EMBER_FAIL(name_, "step_parameter: the tensor of shape ", shape_str(param.shape()),
             " is not in any of this optimizer's param groups; pass one of the parameters it was built with");
}

void Optimizer::zero_grad(bool set_to_none) {
  NoGradGuard ng;
  for (auto& group : groups_)
    for (auto& p : group.params()) {
      Tensor g = p.grad();
      if (!g.defined()) continue;
      if (set_to_none) {
        p.set_grad(Tensor());
        continue;
      }
      if (g.grad_fn() || g.requires_grad()) {  // a gradient kept differentiable by create_graph
        g = g.detach();
        p.set_grad(g);
      }
      g.zero_();
    }
}

const ParamState* Optimizer::state(const Tensor& param) const {
  auto it = state_.find(param.impl_ptr().get());
  return it == state_.end() ? nullptr : &it->second;
}

OptimizerStateDict Optimizer::state_dict() const {
  OptimizerStateDict sd;
  sd.optimizer = name_;
  int64_t id = 0;
  for (auto& group : groups_) {
    OptimizerStateDict::Group gs;
    gs.options = group.options().values();
    if (group.initial_lr) gs.options.emplace_back("initial_lr", *group.initial_lr);
    for (auto& p : group.params()) {
      gs.params.push_back(id);
      if (auto* st = state(p); st && !st->empty())
        for (auto& [n, t] : *st) sd.state[id][n] = t.detach().clone();
      ++id;
    }
    sd.param_groups.push_back(std::move(gs));
  }
  return sd;
}

void Optimizer::load_state_dict(const OptimizerStateDict& sd) {
  const std::string op = name_ + " load_state_dict";
  EMBER_CHECK(sd.optimizer.empty() || sd.optimizer == name_, op, "the state dict was saved by ", sd.optimizer,
              ", not ", name_);
  EMBER_CHECK(sd.param_groups.size() == groups_.size(), op, "the state dict has ", sd.param_groups.size(),
              " param groups but the optimizer has ", groups_.size(), "; build the optimizer with the same groups");
  // Everything is checked and built first, so a bad state dict leaves the optimizer unchanged.
  std::vector<std::unique_ptr<OptimizerOptions>> options;
  std::vector<std::optional<double>> initial_lrs;
  std::map<int64_t, const Tensor*> params_by_id;  // saved id -> current parameter
  for (size_t gi = 0; gi < groups_.size(); ++gi) {
    const auto& saved = sd.param_groups[gi];
    const auto& params = groups_[gi].params();
    EMBER_CHECK(saved.params.size() == params.size(), op, "param group ", gi, " has ", params.size(),
                " parameters but the state dict's group has ", saved.params.size());
    for (size_t i = 0; i < params.size(); ++i)
      EMBER_CHECK(params_by_id.emplace(saved.params[i], &params[i]).second, op, "parameter id ", saved.params[i],
                  " appears twice in the state dict's param groups");
    auto o = groups_[gi].options().clone();
    std::optional<double> initial_lr;
    for (auto& [n, v] : saved.options) {
      if (n == "initial_lr") {
        initial_lr = v;
        continue;
      }
      EMBER_CHECK(o->set(n, v), op, "param group ", gi, " has option '", n, "', which ", name_,
                  " does not have (was the state dict saved by another optimizer?)");
    }
    o->validate(name_);
    options.push_back(std::move(o));
    initial_lrs.push_back(initial_lr);
  }
  const auto names = state_names();
  std::unordered_map<const TensorImpl*, ParamState> state;
  for (auto& [id, entries] : sd.state) {
    auto it = params_by_id.find(id);
    EMBER_CHECK(it != params_by_id.end(), op, "state for parameter id ", id, " which is in no param group");
    const Tensor& p = *it->second;
    ParamState st;
    for (auto& [n, t] : entries) {
      EMBER_CHECK(std::find(names.begin(), names.end(), n) != names.end(), op, "parameter ", id, " has state '", n,
                  "', which ", name_, " does not keep (was the state dict saved by another optimizer?)");
      EMBER_CHECK(t.defined(), op, "state '", n, "' of parameter ", id, " is an undefined tensor");
      if (n == "step") {
        EMBER_CHECK(t.numel() == 1 && t.dtype() != kBool, op, "state 'step' of parameter ", id,
                    " should be a one-element number, got shape ", shape_str(t.shape()), " ", dtype_name(t.dtype()));
        st[n] = t.detach().to(kFloat32).reshape({}).clone();
      } else {
        EMBER_CHECK(t.shape() == p.shape(), op, "state '", n, "' of parameter ", id, " has shape ",
                    shape_str(t.shape()), " but the parameter has shape ", shape_str(p.shape()),
                    "; the model's parameters must match the ones the state dict was saved for");
        EMBER_CHECK(t.is_floating_point(), op, "state '", n, "' of parameter ", id, " has dtype ",
                    dtype_name(t.dtype()), "; expected a floating-point tensor");
        st[n] = t.detach().to(p.dtype()).contiguous().clone();
      }
    }
    state.emplace(p.impl_ptr().get(), std::move(st));
  }
  for (size_t gi = 0; gi < groups_.size(); ++gi) {
    groups_[gi].set_options(std::move(options[gi]));
    groups_[gi].initial_lr = initial_lrs[gi];
  }
  state_ = std::move(state);
}

// ---- flattening for checkpoints ----

std::vector<std::pair<std::string, Tensor>> flatten_state_dict(const OptimizerStateDict& sd, const std::string& prefix) {
  std::vector<std::pair<std::string, Tensor>> out;
  for (size_t gi = 0; gi < sd.param_groups.size(); ++gi) {
    const auto& g = sd.param_groups[gi];
    std::string base = prefix + "param_groups." + std::to_string(gi) + ".";
    for (auto& [n, v] : g.options) out.emplace_back(base + n, scalar_tensor(v, kFloat64));
    out.emplace_back(base + "params", tensor(g.params, {static_cast<int64_t>(g.params.size())}));
  }
  for (auto& [id, entries] : sd.state)
    for (auto& [n, t] : entries) out.emplace_back(prefix + "state." + std::to_string(id) + "." + n, t);
  return out;
}

namespace {
// "12.rest" -> (12, "rest"); false when malformed.
bool split_index(std::string_view s, int64_t& idx, std::string& rest) {
  auto dot = s.find('.');
  if (dot == std::string_view::npos || dot == 0) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + dot, idx);
  if (ec != std::errc() || ptr != s.data() + dot || idx < 0) return false;
  rest = std::string(s.substr(dot + 1));
  return !rest.empty();
}
}  // namespace

OptimizerStateDict unflatten_state_dict(const std::vector<std::pair<std::string, Tensor>>& tensors,
                                        const std::string& prefix) {
  const char* op = "unflatten_state_dict";
  OptimizerStateDict sd;
  std::map<int64_t, OptimizerStateDict::Group> groups;
  std::map<int64_t, bool> has_params;
  for (auto& [name, t] : tensors) {
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    std::string_view key = std::string_view(name).substr(prefix.size());
    int64_t idx = 0;
    std::string rest;
    if (key.starts_with("param_groups.")) {
      EMBER_CHECK(split_index(key.substr(13), idx, rest), op, "malformed entry '", name,
                  "'; expected param_groups.<index>.<option>");
      auto& g = groups[idx];
      if (rest == "params") {
        EMBER_CHECK(t.dim() == 1 && t.dtype() == kInt64, op, "entry '", name, "' should be a 1-D int64 tensor, got ",
                    shape_str(t.shape()), " ", dtype_name(t.dtype()));
        g.params = t.to_vector<int64_t>();
        has_params[idx] = true;
      } else {
        EMBER_CHECK(t.numel() == 1, op, "entry '", name, "' should hold one number, got shape ", shape_str(t.shape()));
        g.options.emplace_back(rest, t.item<double>());
      }
    } else if (key.starts_with("state.")) {
      EMBER_CHECK(split_index(key.substr(6), idx, rest), op, "malformed entry '", name,
                  "'; expected state.<parameter id>.<name>");
      sd.state[idx][rest] = t;
    } else {
      EMBER_FAIL(op, "unexpected entry '", name, "'; expected param_groups.* or state.*");
    }
  }
  int64_t expect = 0;
  for (auto& [idx, g] : groups) {
    EMBER_CHECK(idx == expect, op, "param group ", expect, " is missing (found group ", idx, ")");
    EMBER_CHECK(has_params[idx], op, "param group ", idx, " has no '", prefix, "param_groups.", idx, ".params' entry");
    sd.param_groups.push_back(std::move(g));
    ++expect;
  }
  return sd;
}

}  // namespace ember::optim
