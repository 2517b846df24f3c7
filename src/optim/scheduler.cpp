// LR schedulers: the base step/state logic and PyTorch's recursive get_lr() of each schedule.
#include "ember/optim/scheduler.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "ember/ops.h"

namespace ember::optim {

// ---- state flattening ----

std::vector<std::pair<std::string, Tensor>> flatten_scheduler_state(const SchedulerState& state,
                                                                    const std::string& prefix) {
  std::vector<std::pair<std::string, Tensor>> out;
  for (auto& [k, v] : state) out.emplace_back(prefix + k, tensor(v, {static_cast<int64_t>(v.size())}));
  return out;
}

SchedulerState unflatten_scheduler_state(const std::vector<std::pair<std::string, Tensor>>& tensors,
                                         const std::string& prefix) {
  SchedulerState s;
  for (auto& [name, t] : tensors) {
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    EMBER_CHECK(t.dim() <= 1 && t.dtype() != kBool, "unflatten_scheduler_state", "entry '", name,
                "' should be a 1-D numeric tensor, got ", shape_str(t.shape()), " ", dtype_name(t.dtype()));
    s[name.substr(prefix.size())] = t.to_vector<double>();
  }
  return s;
}

// ---- state dict helpers ----

namespace {

const std::vector<double>& field(const SchedulerState& s, const std::string& who, const std::string& key) {
  auto it = s.find(key);
  EMBER_CHECK(it != s.end(), who, "load_state_dict: the state has no '", key,
              "' (was it saved by another kind of scheduler?)");
  return it->second;
}

double scalar_field(const SchedulerState& s, const std::string& who, const std::string& key) {
  auto& v = field(s, who, key);
  EMBER_CHECK(v.size() == 1, who, "load_state_dict: '", key, "' should hold one number, got ", v.size());
  return v[0];
}

int64_t int_field(const SchedulerState& s, const std::string& who, const std::string& key) {
  double d = scalar_field(s, who, key);
  EMBER_CHECK(std::isfinite(d) && d == std::floor(d), who, "load_state_dict: '", key, "' should be an integer, got ", d);
  return static_cast<int64_t>(d);
}

void check_keys(const SchedulerState& s, const std::string& who, const std::vector<std::string>& known) {
  for (auto& [k, v] : s)
    EMBER_CHECK(std::find(known.begin(), known.end(), k) != known.end(), who, "load_state_dict: unknown field '", k,
                "' (was the state saved by another kind of scheduler?)");
}

std::vector<double> per_group(const SchedulerState& s, const std::string& who, const std::string& key, size_t groups) {
  auto& v = field(s, who, key);
  EMBER_CHECK(v.size() == groups, who, "load_state_dict: '", key, "' has ", v.size(),
              " values but the optimizer has ", groups, " param groups");
  return v;
}

}  // namespace

// ---- base ----

LRScheduler::LRScheduler(std::string name, Optimizer& optimizer, int64_t last_epoch)
    : optimizer_(optimizer), name_(std::move(name)), last_epoch_(last_epoch) {}

void LRScheduler::initial_step() {
  EMBER_CHECK(last_epoch_ >= -1, name_, "last_epoch must be >= -1, got ", last_epoch_);
  auto& groups = optimizer_.param_groups();
  for (size_t i = 0; i < groups.size(); ++i)
    EMBER_CHECK(last_epoch_ == -1 || groups[i].initial_lr.has_value(), name_, "param group ", i,
                " has no initial_lr, which resuming (last_epoch = ", last_epoch_,
                ") needs; load the optimizer's state dict first or pass last_epoch = -1");
  for (auto& g : groups) {
    if (!g.initial_lr) g.initial_lr = g.lr();
    base_lrs_.push_back(*g.initial_lr);
  }
  step_count_ = 0;
  step();
}

std::vector<double> LRScheduler::group_lrs() const {
  std::vector<double> lrs;
  for (auto& g : optimizer_.param_groups()) lrs.push_back(g.lr());
  return lrs;
}

void LRScheduler::step() {
  auto& groups = optimizer_.param_groups();
  EMBER_CHECK(base_lrs_.size() == groups.size(), name_, "the optimizer has ", groups.size(),
              " param groups but the scheduler was built for ", base_lrs_.size(),
              "; create the scheduler after adding all param groups");
  ++step_count_;
  ++last_epoch_;
  std::vector<double> lrs = get_lr();
  for (size_t i = 0; i < groups.size(); ++i) groups[i].set_lr(lrs[i]);
  last_lr_ = std::move(lrs);
}

SchedulerState LRScheduler::state_dict() const {
  SchedulerState s;
  s["base_lrs"] = base_lrs_;
  s["last_epoch"] = {static_cast<double>(last_epoch_)};
  s["_step_count"] = {static_cast<double>(step_count_)};
  s["_last_lr"] = last_lr_;
  for (auto& f : const_cast<LRScheduler*>(this)->fields()) {
    std::visit(
        [&](auto* p) {
          using P = std::remove_pointer_t<decltype(p)>;
          if constexpr (std::is_same_v<P, std::vector<int64_t>>) s[f.name] = std::vector<double>(p->begin(), p->end());
          else s[f.name] = {static_cast<double>(*p)};
        },
        f.value);
  }
  return s;
}

void LRScheduler::load_state_dict(const SchedulerState& s) {
  const size_t groups = base_lrs_.size();
  std::vector<std::string> known = {"base_lrs", "last_epoch", "_step_count", "_last_lr"};
  auto fs = fields();
  for (auto& f : fs) known.emplace_back(f.name);
  check_keys(s, name_, known);
  // Read everything before assigning anything, so a bad state leaves the scheduler unchanged.
  auto base_lrs = per_group(s, name_, "base_lrs", groups);
  auto last_lr = per_group(s, name_, "_last_lr", groups);
  int64_t last_epoch = int_field(s, name_, "last_epoch");
  int64_t step_count = int_field(s, name_, "_step_count");
  std::vector<std::function<void()>> assign;
  for (auto& f : fs) {
    std::visit(
        [&](auto* p) {
          using P = std::remove_pointer_t<decltype(p)>;
          if constexpr (std::is_same_v<P, std::vector<int64_t>>) {
            std::vector<int64_t> v;
            for (double d : field(s, name_, f.name)) {
              EMBER_CHECK(std::isfinite(d) && d == std::floor(d), name_, "load_state_dict: '", f.name,
                          "' should hold integers, got ", d);
              v.push_back(static_cast<int64_t>(d));
            }
            std::sort(v.begin(), v.end());
            assign.push_back([p, v] { *p = v; });
          } else if constexpr (std::is_same_v<P, int64_t>) {
            int64_t v = int_field(s, name_, f.name);
            assign.push_back([p, v] { *p = v; });
          } else {
            double v = scalar_field(s, name_, f.name);
            assign.push_back([p, v] { *p = v; });
          }
        },
        f.value);
  }
  base_lrs_ = std::move(base_lrs);
  last_lr_ = std::move(last_lr);
  last_epoch_ = last_epoch;
  step_count_ = step_count;
  for (auto& a : assign) a();
}

// ---- schedules ----

StepLR::StepLR(Optimizer& optimizer, int64_t step_size, double gamma, int64_t last_epoch)
    : LRScheduler("StepLR", optimizer, last_epoch), step_size_(step_size), gamma_(gamma) {
  EMBER_CHECK(step_size >= 1, name_, "step_size must be >= 1, got ", step_size);
  EMBER_CHECK(gamma > 0, name_, "gamma must be > 0, got ", gamma);
  initial_step();
}

std::vector<double> StepLR::get_lr() {
  std::vector<double> lrs = group_lrs();
  if (last_epoch_ == 0 || last_epoch_ % step_size_ != 0) return lrs;
  for (double& lr : lrs) lr *= gamma_;
  return lrs;
}

MultiStepLR::MultiStepLR(Optimizer& optimizer, std::vector<int64_t> milestones, double gamma, int64_t last_epoch)
    : LRScheduler("MultiStepLR", optimizer, last_epoch), milestones_(std::move(milestones)), gamma_(gamma) {
  EMBER_CHECK(gamma > 0, name_, "gamma must be > 0, got ", gamma);
  std::sort(milestones_.begin(), milestones_.end());
  initial_step();
}

std::vector<double> MultiStepLR::get_lr() {
  std::vector<double> lrs = group_lrs();
  auto hits = std::count(milestones_.begin(), milestones_.end(), last_epoch_);
  if (hits == 0) return lrs;
  for (double& lr : lrs) lr *= std::pow(gamma_, static_cast<double>(hits));
  return lrs;
}

ExponentialLR::ExponentialLR(Optimizer& optimizer, double gamma, int64_t last_epoch)
    : LRScheduler("ExponentialLR", optimizer, last_epoch), gamma_(gamma) {
  EMBER_CHECK(gamma > 0, name_, "gamma must be > 0, got ", gamma);
  initial_step();
}

std::vector<double> ExponentialLR::get_lr() {
  std::vector<double> lrs = group_lrs();
  if (last_epoch_ == 0) return lrs;
  for (double& lr : lrs) lr *= gamma_;
  return lrs;
}

LinearLR::LinearLR(Optimizer& optimizer, double start_factor, double end_factor, int64_t total_iters,
                   int64_t last_epoch)
    : LRScheduler("LinearLR", optimizer, last_epoch),
      start_factor_(start_factor),
      end_factor_(end_factor),
      total_iters_(total_iters) {
  EMBER_CHECK(start_factor > 0 && start_factor <= 1, name_, "start_factor must be in (0, 1], got ", start_factor);
  EMBER_CHECK(end_factor >= 0 && end_factor <= 1, name_, "end_factor must be in [0, 1], got ", end_factor);
  EMBER_CHECK(total_iters >= 1, name_, "total_iters must be >= 1, got ", total_iters);
  initial_step();
}

std::vector<double> LinearLR::get_lr() {
  std::vector<double> lrs = group_lrs();
  if (last_epoch_ == 0) {
    for (double& lr : lrs) lr *= start_factor_;
    return lrs;
  }
  if (last_epoch_ > total_iters_) return lrs;
  const double f = 1. + (end_factor_ - start_factor_) /
                            (total_iters_ * start_factor_ + (last_epoch_ - 1) * (end_factor_ - start_factor_));
  for (double& lr : lrs) lr *= f;
  return lrs;
}

CosineAnnealingLR::CosineAnnealingLR(Optimizer& optimizer, int64_t T_max, double eta_min, int64_t last_epoch)
    : LRScheduler("CosineAnnealingLR", optimizer, last_epoch), T_max_(T_max), eta_min_(eta_min) {
  EMBER_CHECK(T_max >= 1, name_, "T_max must be >= 1, got ", T_max);
  EMBER_CHECK(eta_min >= 0, name_, "eta_min must be >= 0, got ", eta_min);
  initial_step();
}

std::vector<double> CosineAnnealingLR::get_lr() {
  using std::numbers::pi;
  std::vector<double> lrs = group_lrs();
  const double T = static_cast<double>(T_max_), e = static_cast<double>(last_epoch_);
  if (last_epoch_ == 0) return lrs;
  if (step_count_ == 1 && last_epoch_ > 0) {  // resumed at a later epoch: the closed form
    for (size_t i = 0; i < lrs.size(); ++i)
      lrs[i] = eta_min_ + (base_lrs_[i] - eta_min_) * (1 + std::cos(e * pi / T)) / 2;
    return lrs;
  }
  if ((last_epoch_ - 1 - T_max_) % (2 * T_max_) == 0) {  // the bottom of a period: turn back up
    for (size_t i = 0; i < lrs.size(); ++i) lrs[i] = lrs[i] + (base_lrs_[i] - eta_min_) * (1 - std::cos(pi / T)) / 2;
    return lrs;
  }
  for (double& lr : lrs)
    lr = (1 + std::cos(pi * e / T)) / (1 + std::cos(pi * (e - 1) / T)) * (lr - eta_min_) + eta_min_;
  return lrs;
}

// ---- ReduceLROnPlateau ----

ReduceLROnPlateau::ReduceLROnPlateau(Optimizer& optimizer, const ReduceLROnPlateauOptions& o)
    : optimizer_(optimizer),
      factor_(o.factor),
      threshold_(o.threshold),
      eps_(o.eps),
      patience_(o.patience),
      cooldown_(o.cooldown) {
  const char* who = "ReduceLROnPlateau";
  EMBER_CHECK(o.factor >= 0 && o.factor < 1, who, "factor must be in [0, 1), got ", o.factor);
  EMBER_CHECK(o.mode == "min" || o.mode == "max", who, "mode must be \"min\" or \"max\", got \"", o.mode, "\"");
  EMBER_CHECK(o.threshold_mode == "rel" || o.threshold_mode == "abs", who,
              "threshold_mode must be \"rel\" or \"abs\", got \"", o.threshold_mode, "\"");
  EMBER_CHECK(o.patience >= 0, who, "patience must be >= 0, got ", o.patience);
  EMBER_CHECK(o.cooldown >= 0, who, "cooldown must be >= 0, got ", o.cooldown);
  EMBER_CHECK(o.threshold >= 0, who, "threshold must be >= 0, got ", o.threshold);
  EMBER_CHECK(o.eps >= 0, who, "eps must be >= 0, got ", o.eps);
  const size_t groups = optimizer_.param_groups().size();
  if (o.min_lrs.empty()) {
    EMBER_CHECK(o.min_lr >= 0, who, "min_lr must be >= 0, got ", o.min_lr);
    min_lrs_.assign(groups, o.min_lr);
  } else {
    EMBER_CHECK(o.min_lrs.size() == groups, who, "expected ", groups, " min_lrs (one per param group), got ",
                o.min_lrs.size());
    for (double m : o.min_lrs) EMBER_CHECK(m >= 0, who, "min_lrs must be >= 0, got ", m);
    min_lrs_ = o.min_lrs;
  }
  mode_max_ = o.mode == "max";
  threshold_abs_ = o.threshold_mode == "abs";
  mode_worse_ = mode_max_ ? -INFINITY : INFINITY;
  best_ = mode_worse_;
  for (auto& g : optimizer_.param_groups()) last_lr_.push_back(g.lr());
}

bool ReduceLROnPlateau::is_better(double a, double best) const {
  if (!mode_max_) return threshold_abs_ ? a < best - threshold_ : a < best * (1. - threshold_);
  return threshold_abs_ ? a > best + threshold_ : a > best * (threshold_ + 1.);
}

void ReduceLROnPlateau::step(double metric) {
  last_epoch_ += 1;
  if (is_better(metric, best_)) {
    best_ = metric;
    num_bad_epochs_ = 0;
  } else {
    num_bad_epochs_ += 1;
  }
  if (cooldown_counter_ > 0) {
    cooldown_counter_ -= 1;
    num_bad_epochs_ = 0;  // bad epochs in cooldown do not count
  }
  auto& groups = optimizer_.param_groups();
  EMBER_CHECK(groups.size() == min_lrs_.size(), "ReduceLROnPlateau", "the optimizer has ", groups.size(),
              " param groups but the scheduler was built for ", min_lrs_.size());
  if (num_bad_epochs_ > patience_) {
    for (size_t i = 0; i < groups.size(); ++i) {
      const double old_lr = groups[i].lr();
      const double new_lr = std::max(old_lr * factor_, min_lrs_[i]);
      if (old_lr - new_lr > eps_) groups[i].set_lr(new_lr);
    }
    cooldown_counter_ = cooldown_;
    num_bad_epochs_ = 0;
  }
  last_lr_.clear();
  for (auto& g : groups) last_lr_.push_back(g.lr());
}

SchedulerState ReduceLROnPlateau::state_dict() const {
  auto d = [](auto v) { return std::vector<double>{static_cast<double>(v)}; };
  return {{"factor", d(factor_)},
          {"patience", d(patience_)},
          {"cooldown", d(cooldown_)},
          {"cooldown_counter", d(cooldown_counter_)},
          {"mode", d(mode_max_ ? 1 : 0)},
          {"threshold", d(threshold_)},
          {"threshold_mode", d(threshold_abs_ ? 1 : 0)},
          {"best", d(best_)},
          {"num_bad_epochs", d(num_bad_epochs_)},
          {"mode_worse", d(mode_worse_)},
          {"eps", d(eps_)},
          {"last_epoch", d(last_epoch_)},
          {"min_lrs", min_lrs_},
          {"_last_lr", last_lr_}};
}

void ReduceLROnPlateau::load_state_dict(const SchedulerState& s) {
  const std::string who = "ReduceLROnPlateau";
  check_keys(s, who, {"factor", "patience", "cooldown", "cooldown_counter", "mode", "threshold", "threshold_mode",
                      "best", "num_bad_epochs", "mode_worse", "eps", "last_epoch", "min_lrs", "_last_lr"});
  const size_t groups = min_lrs_.size();
  auto flag = [&](const char* key) {
    int64_t v = int_field(s, who, key);
    EMBER_CHECK(v == 0 || v == 1, who, "load_state_dict: '", key, "' should be 0 or 1, got ", v);
    return v == 1;
  };
  const double factor = scalar_field(s, who, "factor");
  EMBER_CHECK(factor >= 0 && factor < 1, who, "load_state_dict: factor must be in [0, 1), got ", factor);
  const bool mode_max = flag("mode"), threshold_abs = flag("threshold_mode");
  auto min_lrs = per_group(s, who, "min_lrs", groups);
  auto last_lr = per_group(s, who, "_last_lr", groups);
  const double threshold = scalar_field(s, who, "threshold"), best = scalar_field(s, who, "best");
  const double eps = scalar_field(s, who, "eps");
  const int64_t patience = int_field(s, who, "patience"), cooldown = int_field(s, who, "cooldown");
  const int64_t cooldown_counter = int_field(s, who, "cooldown_counter");
  const int64_t num_bad = int_field(s, who, "num_bad_epochs"), last_epoch = int_field(s, who, "last_epoch");
  scalar_field(s, who, "mode_worse");  // recomputed from mode, as PyTorch's _init_is_better does
  factor_ = factor, threshold_ = threshold, eps_ = eps, patience_ = patience, cooldown_ = cooldown;
  mode_max_ = mode_max, threshold_abs_ = threshold_abs;
  min_lrs_ = std::move(min_lrs), last_lr_ = std::move(last_lr);
  best_ = best, num_bad_epochs_ = num_bad, cooldown_counter_ = cooldown_counter, last_epoch_ = last_epoch;
  mode_worse_ = mode_max_ ? -INFINITY : INFINITY;
}

}  // namespace ember::optim
