#pragma once
// `ember train mnist-autoencoder`: the convolutional autoencoder (models/autoencoder.h) on MNIST
// with Adam, reporting the test reconstruction error each epoch and drawing test digits above
// their reconstructions.
#include <iosfwd>
#include <string>
#include <vector>

#include "ember/train/report.h"

namespace ember::recipes {

struct MnistAutoencoderConfig {
  int64_t epochs = 10;
  int64_t batch_size = 128;
  double lr = 1e-3;               // Adam
  int64_t latent_dim = 32;
  int64_t width = 16;             // channels of the first convolution (the second has twice as many)
  std::string loss = "bce";       // training loss per pixel: bce (binary cross-entropy) or mse
  int threads = 0;                // 0: keep the current setting
  std::string precision = "float32";  // or "bf16": autocast (ember/autocast.h), float32 weights
  std::string nonfinite = "stop";     // or "skip": a NaN/inf loss (train::TrainerOptions)
  uint64_t seed = 1;
  std::string data_root;          // "" -> EMBER_DATA or ../shared/data
  std::string checkpoint_dir;     // last.safetensors, metrics.csv, reconstructions.png; "" -> none
  std::string resume;             // a checkpoint path, or "auto" (last.safetensors in checkpoint_dir)
  std::string metrics_path;       // .csv or .jsonl; "" -> <checkpoint_dir>/metrics.csv if any
  std::string tensorboard_dir;  // TensorBoard event files (train::TrainerOptions); "" -> none
  std::string image_path;         // .png; "" -> <checkpoint_dir>/reconstructions.png if any
  int64_t max_steps_per_epoch = 0;  // 0: the whole epoch
  int64_t train_limit = 0;        // use only the first N training images (0: all)
  int64_t num_workers = 1;        // data loader threads
  bool progress = true;           // a progress bar when stdout is a terminal
  bool evaluate_test = true;
  int64_t validation_size = 0;    // evaluate on the last N training images instead of the test set (tune)
  // Under mpirun (one process per rank; batch_size is per rank): DDP, optionally ZeRO-1.
  bool zero = false;              // shard Adam's state across ranks (ZeRO stage 1)
  double bucket_cap_mb = 25;      // DDP's gradient bucket size
};

struct MnistAutoencoderResult {
  std::vector<train::EpochRecord> history;  // train_loss, test_mse, test_bce, images_per_second
  double test_mse = 0;            // last epoch: mean squared error per pixel on the test set
  double test_bce = 0;            // last epoch: binary cross-entropy per pixel on the test set
  double images_per_second = 0;
  std::vector<double> step_losses;
};

MnistAutoencoderResult train_mnist_autoencoder(const MnistAutoencoderConfig& cfg, std::ostream& out);

}  // namespace ember::recipes
