#pragma once
// Learning-rate schedulers (torch.optim.lr_scheduler, 1.13): each step() computes the new lr of
// every param group from its current lr (PyTorch's recursive, chainable form), so several
// schedulers can drive one optimizer. A scheduler keeps a reference to its optimizer, which must
// outlive it. Construction performs the initial step (epoch 0), as in PyTorch.
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "ember/optim/optimizer.h"

namespace ember::optim {

// A scheduler's state (torch's scheduler.state_dict()): each field by its PyTorch name as a list of
// numbers (scalars have one element; integers are exact). ReduceLROnPlateau codes its strings as
// numbers: mode 0 = "min", 1 = "max"; threshold_mode 0 = "rel", 1 = "abs".
using SchedulerState = std::map<std::string, std::vector<double>>;

// Named 1-D float64 tensors "<prefix><field>" for io::save_safetensors, and back (entries without
// the prefix are ignored).
std::vector<std::pair<std::string, Tensor>> flatten_scheduler_state(const SchedulerState& state,
                                                                    const std::string& prefix = "");
SchedulerState unflatten_scheduler_state(const std::vector<std::pair<std::string, Tensor>>& tensors,
                                         const std::string& prefix = "");

class LRScheduler {
 public:
  virtual ~LRScheduler() = default;
  LRScheduler(const LRScheduler&) = delete;
  LRScheduler& operator=(const LRScheduler&) = delete;

  // Advances one epoch and writes the new lrs into the optimizer's groups; call it after
  // optimizer.step().
  void step();
  const std::vector<double>& get_last_lr() const { return last_lr_; }
  const std::vector<double>& base_lrs() const { return base_lrs_; }
  int64_t last_epoch() const { return last_epoch_; }
  const std::string& name() const { return name_; }
  // Fields: base_lrs, last_epoch, _step_count, _last_lr and the scheduler's hyperparameters.
  SchedulerState state_dict() const;
  // Restores every field; the state must come from the same kind of scheduler over the same number
  // of param groups. The optimizer's lrs are not touched (they live in the optimizer's state dict).
  void load_state_dict(const SchedulerState& state);

 protected:
  // last_epoch = -1 starts fresh and records each group's lr as its initial_lr; any other value
  // resumes, and requires initial_lr in every group.
  LRScheduler(std::string name, Optimizer& optimizer, int64_t last_epoch);
  // Derived constructors call this last, after checking their arguments (so a rejected scheduler
  // leaves the optimizer untouched): records initial_lr/base_lrs and takes the first step, which
  // the base constructor cannot do since it cannot reach get_lr().
  void initial_step();
  virtual std::vector<double> get_lr() = 0;
  // The derived class's hyperparameters, for the state dict.
  struct Field {
    const char* name;
    std::variant<double*, int64_t*, std::vector<int64_t>*> value;
  };
  virtual std::vector<Field> fields() { return {}; }
  std::vector<double> group_lrs() const;

  Optimizer& optimizer_;
  std::string name_;
  std::vector<double> base_lrs_;
  int64_t last_epoch_;
  int64_t step_count_ = 0;
  std::vector<double> last_lr_;
};

// lr *= gamma every step_size epochs.
class StepLR : public LRScheduler {
 public:
  StepLR(Optimizer& optimizer, int64_t step_size, double gamma = 0.1, int64_t last_epoch = -1);

 protected:
  std::vector<double> get_lr() override;
  std::vector<Field> fields() override { return {{"step_size", &step_size_}, {"gamma", &gamma_}}; }

 private:
  int64_t step_size_;
  double gamma_;
};

// lr *= gamma at each milestone epoch (a milestone listed k times multiplies by gamma^k).
class MultiStepLR : public LRScheduler {
 public:
  MultiStepLR(Optimizer& optimizer, std::vector<int64_t> milestones, double gamma = 0.1, int64_t last_epoch = -1);

 protected:
  std::vector<double> get_lr() override;
  std::vector<Field> fields() override { return {{"milestones", &milestones_}, {"gamma", &gamma_}}; }

 private:
  std::vector<int64_t> milestones_;  // sorted
  double gamma_;
};

// lr *= gamma every epoch.
class ExponentialLR : public LRScheduler {
 public:
  ExponentialLR(Optimizer& optimizer, double gamma, int64_t last_epoch = -1);

 protected:
  std::vector<double> get_lr() override;
  std::vector<Field> fields() override { return {{"gamma", &gamma_}}; }

 private:
  double gamma_;
};

// Scales the lr linearly from start_factor * lr to end_factor * lr over total_iters epochs, then
// holds it: LinearLR(opt, 0.1, 1.0, 5) is a 5-epoch linear warmup.
class LinearLR : public LRScheduler {
 public:
  LinearLR(Optimizer& optimizer, double start_factor = 1.0 / 3, double end_factor = 1.0, int64_t total_iters = 5,
           int64_t last_epoch = -1);

 protected:
  std::vector<double> get_lr() override;
  std::vector<Field> fields() override {
    return {{"start_factor", &start_factor_}, {"end_factor", &end_factor_}, {"total_iters", &total_iters_}};
  }

 private:
  double start_factor_, end_factor_;
  int64_t total_iters_;
};

// Cosine annealing from the initial lr to eta_min over T_max epochs (and back up over the next
// T_max, periodically, as PyTorch's recursive form does).
class CosineAnnealingLR : public LRScheduler {
 public:
  CosineAnnealingLR(Optimizer& optimizer, int64_t T_max, double eta_min = 0.0, int64_t last_epoch = -1);

 protected:
  std::vector<double> get_lr() override;
  std::vector<Field> fields() override { return {{"T_max", &T_max_}, {"eta_min", &eta_min_}}; }

 private:
  int64_t T_max_;
  double eta_min_;
};

struct ReduceLROnPlateauOptions {
  std::string mode = "min";            // "min": lower metric is better; "max": higher is better
  double factor = 0.1;                 // new_lr = max(lr * factor, min_lr), 0 <= factor < 1
  int64_t patience = 10;               // epochs without improvement tolerated before reducing
  double threshold = 1e-4;             // what counts as an improvement (see threshold_mode)
  std::string threshold_mode = "rel";  // "rel": best * (1 -/+ threshold); "abs": best -/+ threshold
  int64_t cooldown = 0;                // epochs to wait after a reduction before counting again
  double min_lr = 0.0;                 // for every group, unless min_lrs is given
  std::vector<double> min_lrs = {};    // one per param group
  double eps = 1e-8;                   // reductions smaller than eps are skipped
};

// Reduces the lr when a metric has stopped improving. Not an LRScheduler: step() takes the metric.
class ReduceLROnPlateau {
 public:
  ReduceLROnPlateau(Optimizer& optimizer, const ReduceLROnPlateauOptions& options = {});
  void step(double metric);
  const std::vector<double>& get_last_lr() const { return last_lr_; }
  double best() const { return best_; }
  int64_t num_bad_epochs() const { return num_bad_epochs_; }
  int64_t last_epoch() const { return last_epoch_; }
  SchedulerState state_dict() const;
  void load_state_dict(const SchedulerState& state);

 private:
  bool is_better(double a, double best) const;
  Optimizer& optimizer_;
  double factor_, threshold_, eps_;
  int64_t patience_, cooldown_;
  bool mode_max_, threshold_abs_;
  std::vector<double> min_lrs_;
  double best_, mode_worse_;
  int64_t num_bad_epochs_ = 0, cooldown_counter_ = 0, last_epoch_ = 0;
  std::vector<double> last_lr_;
};

}  // namespace ember::optim
