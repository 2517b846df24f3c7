#pragma once
// Optimizer base: parameter groups with their own hyperparameters, per-parameter state, zero_grad,
// step and a state dict that captures everything needed to resume training bit-exactly.
// Names and update rules follow torch.optim (1.13, the default single-tensor path).
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "ember/tensor.h"

namespace ember::optim {

// Hyperparameters of one parameter group. Concrete options (SGDOptions, AdamOptions, ...) declare
// fields with EMBER_OPTIM_ARG, which gives LibTorch-style fluent setters and getters:
//   SGDOptions(0.1).momentum(0.9).nesterov(true);   opts.momentum() == 0.9
// The generic interface below lets schedulers and state dicts reach them by PyTorch name.
class OptimizerOptions {
 public:
  virtual ~OptimizerOptions() = default;
  virtual std::unique_ptr<OptimizerOptions> clone() const = 0;
  // Every hyperparameter by PyTorch name, in declaration order (flags as 0/1; Adam's betas as
  // "beta1" and "beta2").
  virtual std::vector<std::pair<std::string, double>> values() const = 0;
  // Sets one hyperparameter by name; returns false when there is no such option. A flag accepts
  // only 0 or 1 (anything else throws ember::Error).
  virtual bool set(std::string_view name, double value) = 0;
  // Throws ember::Error naming `optimizer` and the option when a value is out of range.
  virtual void validate(const std::string& optimizer) const = 0;
  // By name; throws ember::Error for an unknown name.
  double get(std::string_view name) const;
  double get_lr() const { return get("lr"); }
  void set_lr(double lr) { set("lr", lr); }
  // Whether `name` was set explicitly (constructor argument, setter or set()) rather than left at
  // its default: a param group's unset options come from the optimizer's defaults, as PyTorch's
  // group.setdefault does.
  bool is_set(std::string_view name) const;
  void mark_set(std::string_view name);

 private:
  std::vector<std::string> set_names_;
};

namespace detail {
template <typename T> void assign_option(std::string_view name, T& field, double value) {
  if constexpr (std::is_same_v<T, bool>) {
    EMBER_CHECK(value == 0.0 || value == 1.0, "optimizer options", "option '", name,
                "' is a flag and takes 0 or 1, got ", value);
    field = value != 0.0;
  } else {
    field = static_cast<T>(value);
  }
}
}  // namespace detail

// Implements the generic interface from Derived::visit(f), which calls f("name", field) for
// every hyperparameter.
template <class Derived>
class OptionsBase : public OptimizerOptions {
 public:
  Derived& self_() { return static_cast<Derived&>(*this); }
  std::unique_ptr<OptimizerOptions> clone() const override {
    return std::make_unique<Derived>(static_cast<const Derived&>(*this));
  }
  std::vector<std::pair<std::string, double>> values() const override {
    std::vector<std::pair<std::string, double>> out;
    const_cast<Derived&>(static_cast<const Derived&>(*this)).visit([&](const char* n, auto& v) {
      out.emplace_back(n, static_cast<double>(v));
    });
    return out;
  }
  bool set(std::string_view name, double value) override {
    bool found = false;
    static_cast<Derived&>(*this).visit([&](const char* n, auto& v) {
      if (name == n) found = true, detail::assign_option(name, v, value);
    });
    if (found) mark_set(name);
    return found;
  }
};

// Declares a hyperparameter `name` of type T with default `def`: a fluent setter name(v) that
// returns the options object, and a getter name().
#define EMBER_OPTIM_ARG(T, name, def)  \
 public:                               \
  auto& name(T v) {                    \
    name##_ = v;                       \
    this->mark_set(#name);             \
    return this->self_();              \
  }                                    \
  T name() const { return name##_; }   \
                                       \
 private:                              \
  T name##_ = def;                     \
                                       \
 public:

// Parameters optimized together with one set of hyperparameters (torch's param_groups[i]).
class ParamGroup {
 public:
  ParamGroup(std::vector<Tensor> params);  // NOLINT: hyperparameters are the optimizer's defaults
  ParamGroup(std::vector<Tensor> params, const OptimizerOptions& options);
  ParamGroup(const ParamGroup& o);
  ParamGroup& operator=(const ParamGroup& o);
  ParamGroup(ParamGroup&&) = default;
  ParamGroup& operator=(ParamGroup&&) = default;

  std::vector<Tensor>& params() { return params_; }
  const std::vector<Tensor>& params() const { return params_; }
  bool has_options() const { return options_ != nullptr; }
  OptimizerOptions& options();
  const OptimizerOptions& options() const;
  void set_options(std::unique_ptr<OptimizerOptions> o) { options_ = std::move(o); }
  template <class O> O& options_as() {
    auto* o = dynamic_cast<O*>(&options());
    EMBER_CHECK(o, "ParamGroup", "the group's options are not of the requested optimizer's type");
    return *o;
  }
  template <class O> const O& options_as() const { return const_cast<ParamGroup*>(this)->options_as<O>(); }
  double lr() const { return options().get_lr(); }
  void set_lr(double lr) { options().set_lr(lr); }
  // The lr an LR scheduler started from (torch's group['initial_lr']); set by the first scheduler.
  std::optional<double> initial_lr;

 private:
  std::vector<Tensor> params_;
  std::unique_ptr<OptimizerOptions> options_;
};

// A parameter's state: "step", "exp_avg", "momentum_buffer", ... (lookups by string_view do not allocate).
using ParamState = std::map<std::string, Tensor, std::less<>>;

// A snapshot of an optimizer (torch's optimizer.state_dict()). Parameters are numbered across
// groups in order; `state` holds entries only for parameters that have state. Tensors are copies,
// so later steps do not change a saved snapshot.
struct OptimizerStateDict {
  struct Group {
    std::vector<std::pair<std::string, double>> options;  // includes "initial_lr" when set
    std::vector<int64_t> params;
  };
  std::string optimizer;  // "Adam", ...; checked by load_state_dict when not empty
  std::vector<Group> param_groups;
  std::map<int64_t, std::map<std::string, Tensor>> state;
};

// Flattens a state dict into named tensors for io::save_safetensors: "param_groups.0.lr" (float64
// scalar, so hyperparameters round-trip exactly), "param_groups.0.params" (int64), "state.3.exp_avg".
std::vector<std::pair<std::string, Tensor>> flatten_state_dict(const OptimizerStateDict& sd,
                                                               const std::string& prefix = "");
// The inverse; entries whose names do not start with `prefix` are ignored.
OptimizerStateDict unflatten_state_dict(const std::vector<std::pair<std::string, Tensor>>& tensors,
                                        const std::string& prefix = "");

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  const std::string& name() const { return name_; }
  // Updates every parameter that has a gradient (parameters whose grad is undefined are skipped,
  // as in PyTorch). With a closure, runs it first with grad mode on and returns its loss.
  Tensor step(const std::function<Tensor()>& closure = nullptr);
  // Updates one parameter with its group's hyperparameters, as step() would (nothing happens when
  // its grad is undefined). For StepInBackward, which updates each parameter during backward.
  // Throws ember::Error when `param` is not in any param group.
  void step_parameter(const Tensor& param);
  // set_to_none=true drops the gradients (the default here, as in PyTorch 2); false zeroes them in place.
  void zero_grad(bool set_to_none = true);
  // Adds a group; options it does not set come from the optimizer's defaults.
  void add_param_group(ParamGroup group);

  std::vector<ParamGroup>& param_groups() { return groups_; }
  const std::vector<ParamGroup>& param_groups() const { return groups_; }
  const OptimizerOptions& defaults() const { return *defaults_; }
  // The state of `param`, or nullptr when it has none yet.
  const ParamState* state(const Tensor& param) const;

  // Virtual for wrappers that keep their state elsewhere (distributed::ZeroRedundancyOptimizer).
  virtual OptimizerStateDict state_dict() const;
  // Restores group hyperparameters and per-parameter state; the groups must have the same
  // number of parameters with the same shapes as when the state dict was taken.
  virtual void load_state_dict(const OptimizerStateDict& sd);

 protected:
  Optimizer(std::string name, std::vector<ParamGroup> groups, const OptimizerOptions& defaults);
  // One group's update; runs under NoGradGuard. Parameters whose grad is undefined are skipped.
  virtual void update_group(ParamGroup& group) = 0;
  // The state names this optimizer keeps; "step" is a one-element tensor, the others have the
  // parameter's shape. Used to validate load_state_dict.
  virtual std::vector<std::string> state_names() const = 0;
  // Called for each group added after construction (Adagrad initializes its state eagerly, as
  // PyTorch does; its constructor covers the initial groups, since the base constructor cannot
  // reach a derived override).
  virtual void on_group_added(ParamGroup& group) {}
  ParamState& state_of(const Tensor& param) { return state_[param.impl_ptr().get()]; }

 private:
  std::string name_;
  std::unique_ptr<OptimizerOptions> defaults_;
  std::vector<ParamGroup> groups_;
  std::unordered_map<const TensorImpl*, ParamState> state_;
};

}  // namespace ember::optim
