#pragma once
// The seed's recipe: its CNN on MNIST with SGD + momentum, batch 64, 10 epochs, as the PyTorch
// tutorial, plus the options of `ember train mnist-cnn`.
#include <cmath>
#include <iosfwd>
#include <string>
#include <vector>

#include "ember/train/report.h"

namespace ember::recipes {

struct MnistCnnConfig {
  int64_t epochs = 10;
  int64_t batch_size = 64;
  double lr = 0.01;
  double momentum = 0.9;
  std::string optimizer = "sgd";  // sgd, nesterov, gd, adam, adamw, rmsprop, adagrad
  double weight_decay = 0.0;      // L2 (decoupled for adamw)
  double l1 = 0.0;                // L1 penalty added to the loss
  double dropout = 0.0;
  bool augment = false;           // random shifts and small rotations
  int threads = 0;                // 0: keep the current setting
  std::string precision = "float32";  // or "bf16": autocast (ember/autocast.h), float32 weights
  std::string nonfinite = "stop";     // or "skip": a NaN/inf loss (train::TrainerOptions)
  uint64_t seed = 1;
  // A data root holding mnist/, or any folder of IDX files in MNIST's layout (Fashion-MNIST,
  // KMNIST: {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz], 28x28, labels 0-9).
  std::string data_root;          // "" -> EMBER_DATA or ../shared/data
  // Inputs are standardized with this mean and std; NaN: computed from the training images and
  // rounded to 4 decimals (MNIST gives PyTorch's example's 0.1307, 0.3081).
  double mean = NAN, std = NAN;
  std::string checkpoint_dir;     // "" -> no checkpoints
  std::string resume;             // a checkpoint path, or "auto" (latest in checkpoint_dir)
  std::string metrics_path;       // .csv or .jsonl; "" -> <checkpoint_dir>/metrics.csv if any
  std::string tensorboard_dir;  // TensorBoard event files (train::TrainerOptions); "" -> none
  std::string plot_path;          // .png; "" -> <checkpoint_dir>/curves.png if any
  int64_t max_steps_per_epoch = 0;  // 0: the whole epoch (tests and benchmarks shorten it)
  int64_t train_limit = 0;        // use only the first N training images (0: all)
  int64_t num_workers = 1;        // data loader threads
  bool progress = true;           // a progress bar when stdout is a terminal
  int64_t validation_size = 0;    // hold out this many training images for validation (tune)
  bool evaluate_test = true;
  // Stop when the test (or validation) loss has not improved by more than min_delta for this many
  // epochs (0: never). Derived from the history, so it carries across --resume.
  int64_t early_stopping_patience = 0;
  double early_stopping_min_delta = 0.0;
  // Data-parallel training when started by mpirun (distributed::Context): batch_size is per
  // rank, so the global batch is batch_size times the number of ranks, as in PyTorch DDP.
  bool zero = false;              // shard the optimizer state across ranks (ZeRO stage 1)
  double bucket_cap_mb = 25;      // DDP's gradient bucket size
};

struct MnistCnnResult {
  std::vector<train::EpochRecord> history;
  double test_accuracy = 0;       // last epoch (or the validation accuracy when validation_size > 0)
  double test_loss = 0;
  double images_per_second = 0;   // training throughput over all epochs run (all ranks together)
  std::vector<double> step_losses;  // every training step's loss, averaged over ranks (for exact-resume tests)
  bool stopped_early = false;
};

MnistCnnResult train_mnist_cnn(const MnistCnnConfig& cfg, std::ostream& out);

struct MnistEvalResult {
  double accuracy = 0, loss = 0;
  std::string report;  // per-class precision/recall/F1 and confusion matrix
};
MnistEvalResult evaluate_mnist_cnn_checkpoint(const std::string& checkpoint, const std::string& data_root,
                                              int64_t batch_size = 1000);

}  // namespace ember::recipes
