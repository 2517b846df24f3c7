#pragma once
// `ember train mnist-vae`: PyTorch's VAE example (models/autoencoder.h) on MNIST with Adam,
// reporting the test loss (the negative ELBO per image: BCE + KL) each epoch, and drawing digits
// decoded from fixed N(0, I) samples and test digits above their reconstructions.
#include <iosfwd>
#include <string>
#include <vector>

#include "ember/train/report.h"

namespace ember::recipes {

struct MnistVaeConfig {
  int64_t epochs = 10;
  int64_t batch_size = 128;
  double lr = 1e-3;               // Adam
  int64_t latent_dim = 20;
  int64_t hidden = 400;
  int threads = 0;                // 0: keep the current setting
  std::string precision = "float32";  // or "bf16": autocast (ember/autocast.h), float32 weights
  std::string nonfinite = "stop";     // or "skip": a NaN/inf loss (train::TrainerOptions)
  uint64_t seed = 1;
  std::string data_root;          // "" -> EMBER_DATA or ../shared/data
  std::string checkpoint_dir;     // last.safetensors, metrics.csv, samples.png, reconstructions.png
  std::string resume;             // a checkpoint path, or "auto" (last.safetensors in checkpoint_dir)
  std::string metrics_path;       // .csv or .jsonl; "" -> <checkpoint_dir>/metrics.csv if any
  std::string tensorboard_dir;  // TensorBoard event files (train::TrainerOptions); "" -> none
  std::string samples_path;       // .png; "" -> <checkpoint_dir>/samples.png if any
  std::string recon_path;         // .png; "" -> <checkpoint_dir>/reconstructions.png if any
  int64_t num_samples = 64;       // digits decoded from N(0, I) for samples.png (8 per row)
  int64_t max_steps_per_epoch = 0;  // 0: the whole epoch
  int64_t train_limit = 0;        // use only the first N training images (0: all)
  int64_t num_workers = 1;
  bool progress = true;
  bool evaluate_test = true;
  int64_t validation_size = 0;    // evaluate on the last N training images instead of the test set (tune)
  // Under mpirun (one process per rank; batch_size is per rank): DDP, optionally ZeRO-1.
  bool zero = false;              // shard Adam's state across ranks (ZeRO stage 1)
  double bucket_cap_mb = 25;      // DDP's gradient bucket size
};

struct MnistVaeResult {
  std::vector<train::EpochRecord> history;  // train_loss, test_loss, test_bce, test_kl, test_mse, ...
  double test_loss = 0;           // last epoch: BCE (sum over pixels) + KL per test image
  double test_bce = 0, test_kl = 0;  // its two terms, per image
  double test_mse = 0;            // per pixel, of the reconstruction from the posterior mean
  double images_per_second = 0;
  std::vector<double> step_losses;  // per image
};

MnistVaeResult train_mnist_vae(const MnistVaeConfig& cfg, std::ostream& out);

}  // namespace ember::recipes
