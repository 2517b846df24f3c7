#pragma once
// train::Trainer: Ember's one training loop. A recipe (or a user's program) supplies the model,
// the optimizer, the data and a step function that returns the loss; the trainer runs the steps
// (zero_grad, forward through the step function, backward, clipping, optimizer step), evaluates,
// keeps the metrics history (CSV/JSONL, a PNG of the curves, TensorBoard event files and the
// checkpoint), checkpoints and resumes exactly, stops early, and runs data-parallel under mpirun
// unchanged.
//
//   auto model = std::make_shared<Net>();
//   optim::SGD opt(model->parameters(), optim::SGDOptions(0.01).momentum(0.9));
//   train::Trainer trainer(model, opt, {.epochs = 10, .checkpoint_dir = "run"});
//   trainer.fit(loader, [&](const data::Batch& b) {
//     Tensor out = model->forward(b.data);                               // (B, 10)
//     return train::StepOutput{cross_entropy(out, b.target), b.data.size(0)};
//   });
//
// Two shapes of run: epochs over a DataLoader (one history row per epoch), or a number of steps
// drawing batches from a function (one history row per evaluation, every eval_every steps).
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "ember/data/dataloader.h"
#include "ember/distributed/context.h"
#include "ember/nn/module.h"
#include "ember/optim/optimizer.h"
#include "ember/random.h"
#include "ember/train/metrics.h"
#include "ember/train/report.h"
#include "ember/train/tensorboard.h"

namespace ember::train {

using Metrics = std::vector<std::pair<std::string, double>>;

// What the trainer throws when a run diverged (a NaN or infinite loss it was told to stop on, or
// an epoch of nothing but such losses); a search (ember tune) ranks such a trial last instead.
class NonFiniteLoss : public Error {
 public:
  using Error::Error;
};

// What one training step hands back.
struct StepOutput {
  Tensor loss;             // scalar: backward() runs on it
  int64_t samples = 0;     // examples in the batch (throughput, and per-sample means for a summed loss)
  int64_t correct = -1;    // classifiers: correct predictions in the batch (-1: not counted)
  int64_t tokens = 0;      // sequence models: tokens in the batch (tokens/s)
};
using StepFn = std::function<StepOutput(const data::Batch&)>;

struct TrainerOptions {
  // Epoch runs (fit with a DataLoader).
  int64_t epochs = 1;
  int64_t max_steps_per_epoch = 0;  // 0: the whole epoch
  // Step runs (fit with a batch function).
  int64_t steps = 0;                // total steps; an lr schedule spans them
  int64_t stop_after = 0;           // stop once this many steps are done (0: at `steps`)
  int64_t eval_every = 0;           // evaluate (and checkpoint) every N steps and at the end
  int64_t log_every = 0;            // print the step's loss every N steps (0: never)
  // The step's loss is a sum over its batch (a VAE's ELBO): reported per sample. Otherwise a mean,
  // reported as the mean over steps.
  bool loss_is_sum = false;
  double grad_clip = 0;             // clip the global gradient norm to this (0: off)
  // "float32", or "bf16": the step function and evaluation run under AutocastGuard (autocast.h);
  // weights, gradients and the optimizer stay float32.
  std::string precision = "float32";
  // A step whose loss is NaN or infinite (on any rank): "stop" throws an ember::Error naming the
  // epoch (or step) and the loss before the optimizer steps, so the last checkpoint stays the last
  // good one; "skip" drops that batch (no backward, no step) and counts it, and throws only when
  // every step of an epoch (or evaluation interval) was dropped.
  std::string nonfinite = "stop";
  // Per-step learning rate, set on every parameter group before the step (empty: untouched). The
  // step counts from the run's start, resumed steps included.
  std::function<double(int64_t step)> lr_at{};
  // Outputs ("" -> nothing, or the file of that name in checkpoint_dir when there is one).
  std::string checkpoint_dir{};       // <dir>/last.safetensors at each epoch or evaluation
  std::string resume{};               // a checkpoint, or "auto": <checkpoint_dir>/last.safetensors if it exists
  std::string metrics_path{};         // .csv or .jsonl
  std::string plot_path{};            // .png of the loss (and accuracy) curves
  // A folder for TensorBoard event files (rank 0 writes; a resumed run adds a file beside the
  // first): every history value as "metrics/<column>" at x = the row's epoch (or step), equal to
  // metrics.csv; each step's "train_step/loss" and "train_step/lr"; histograms "weights/<name>"
  // and "gradients/<name>" per row; and the config as hyperparameters with the last row's metrics.
  std::string tensorboard_dir{};
  // Checkpoint metadata: the recipe's name (resume checks it) and its settings (for readers).
  std::string recipe{};
  std::string config{};
  // Stop when the monitored value (val_loss, else test_loss) has not improved by more than
  // min_delta for this many rows (0: never). Derived from the history, so it carries across resume.
  int64_t early_stopping_patience = 0;
  double early_stopping_min_delta = 0;
  bool progress = true;             // a progress bar when stdout is a terminal (epoch runs)
  std::string sample_unit = "images";  // "<unit>_per_second" in the history, "<unit>/s" in the log
  distributed::DDPOptions ddp{};      // under mpirun
};

// What a recipe adds to the loop; every member may be left empty.
struct Callbacks {
  // Evaluation figures (e.g. {"test_loss", l}, {"test_accuracy", a}), the same on every rank.
  std::function<Metrics()> evaluate;
  // One line for the log from evaluate's figures (default: "test loss 0.1234, test accuracy 98.00%").
  std::function<std::string(const Metrics&)> describe;
  // After each history row is recorded and written (every rank): sample images, step schedulers.
  std::function<void(const EpochRecord&)> on_record;
  // Extra checkpoint metadata (a vocabulary, the model's shape), and its check before a resume
  // loads any tensor (throw an ember::Error naming the flag that differs).
  std::function<void(std::map<std::string, std::string>&)> save_metadata;
  std::function<void(const std::map<std::string, std::string>&, const std::string& path)> check_resume;
};

struct FitResult {
  std::vector<EpochRecord> history;
  std::vector<double> step_losses;  // every step's loss over all ranks (per sample when loss_is_sum)
  Metrics last_eval;                // the last evaluation's figures (empty without one)
  double samples_per_second = 0;    // training only, all ranks, over the steps this run took
  double tokens_per_second = 0;
  int64_t steps_done = 0;           // steps this run took (not counting those before a resume)
  bool stopped_early = false;
  bool resumed = false;
};

class Trainer {
 public:
  Trainer(std::shared_ptr<nn::Module> model, optim::Optimizer& optimizer, TrainerOptions options,
          distributed::Context dist = distributed::Context::from_env());

  // A random stream to checkpoint with the run: each rank's state is saved ("<name>" on rank 0,
  // "<name>.<r>" on rank r) and restored on resume (data windows, a VAE's noise). The default
  // generator is always saved.
  void track_generator(std::string name, Generator& gen);

  // Epochs over `loader`; its sampler should be dist().train_sampler(...).
  FitResult fit(data::DataLoader& loader, const StepFn& step, const Callbacks& cb = {}, std::ostream* log = nullptr);
  // options.steps steps, each on next_batch().
  FitResult fit(const std::function<data::Batch()>& next_batch, const StepFn& step, const Callbacks& cb = {},
                std::ostream* log = nullptr);

  // The event-file writer on rank 0 when options.tensorboard_dir is set (else null): recipes add
  // their images and text samples to it from their callbacks. Created when fit starts.
  TensorBoardWriter* tensorboard() const { return tb_.get(); }

  const distributed::Context& dist() const { return dist_; }
  const TrainerOptions& options() const { return opt_; }

 private:
  std::ostream& out(std::ostream* log) const;
  int64_t resume(const Callbacks& cb, FitResult& r, std::ostream& log);  // returns the epoch or step reached
  // first_step: the 1-based step this run starts at (after a resume, older events from there on
  // are dropped from TensorBoard's view).
  void before_training(std::ostream& log, int64_t first_step);
  // False when the loss was not finite on some rank (every rank returns the same): nothing stepped.
  bool run_step(const StepFn& step, const data::Batch& batch, int64_t global_step, StepOutput& o);
  // A step's non-finite loss: throws under "stop"; under "skip" returns.
  void on_nonfinite(const StepOutput& o, const std::string& where) const;
  // At the end of an epoch (or interval) under "skip": prints the count; throws when all were.
  void report_skipped(int64_t skipped, int64_t steps, const std::string& where, std::ostream& log) const;
  bool record(EpochRecord rec, const Callbacks& cb, FitResult& r, std::ostream& log);
  std::string describe(const Callbacks& cb, const Metrics& m) const;
  void finish_tensorboard(const FitResult& r);  // the hyperparameters with the last row's metrics; flush

  std::shared_ptr<nn::Module> model_;
  optim::Optimizer& optim_;
  TrainerOptions opt_;
  distributed::Context dist_;
  std::shared_ptr<distributed::DistributedDataParallel> ddp_;
  std::vector<std::pair<std::string, Generator*>> generators_;
  std::string metrics_path_, plot_path_, x_name_;
  std::unique_ptr<TensorBoardWriter> tb_;
};

// Classification figures over a loader, without gradients and in eval mode (restored after).
// `forward` gives a batch's scores (N, C), its targets (N) and the summed loss (a scalar). With
// `dist`, each rank evaluates its share (the loader's sampler) and the counts are combined.
struct ClassifierBatch {
  Tensor scores, targets, loss_sum;
};
struct ClassifierEvaluation {
  double loss = 0;  // per example
  ClassificationMetrics metrics;
};
ClassifierEvaluation evaluate_classifier(nn::Module& model, data::DataLoader& loader, int64_t classes,
                                         const std::function<ClassifierBatch(const data::Batch&)>& forward,
                                         const distributed::Context* dist = nullptr);

// How every training run starts: the distributed context (a world of one without mpirun), the
// compute threads (0 keeps the current setting) and the default generator's seed (initial weights).
distributed::Context start_run(int threads, uint64_t seed);

// "<dir>/<name>" when `path` is empty and there is a dir, else `path`.
std::string output_path(const std::string& path, const std::string& dir, const std::string& name);
// Creates the checkpoint folder (and parents); the error names --checkpoint-dir.
void make_checkpoint_dir(const std::string& dir);

}  // namespace ember::train
