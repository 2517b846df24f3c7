#pragma once
// Shared by the MNIST autoencoder recipes: raw MNIST pixels in [0, 1] (no standardization: the
// decoders' sigmoid outputs and the BCE targets live in that range), output paths and the
// per-epoch files.
#include <memory>
#include <string>
#include <vector>

#include "ember/data/dataset.h"
#include "ember/distributed/context.h"
#include "ember/nn/module.h"
#include "ember/optim/optimizer.h"
#include "ember/train/report.h"
#include "recipes/output_files.h"

namespace ember::recipes::detail {

struct MnistImages {
  std::shared_ptr<const data::Dataset> train;  // (1, 28, 28) images; targets unused
  Tensor test;                                  // (10000, 1, 28, 28) float32 in [0, 1]
};
// root: a data root ("" -> EMBER_DATA or ../shared/data); train_limit > 0 keeps the first N images.
MnistImages load_mnist_images(const std::string& root, int64_t train_limit);

// Common flag checks, each error naming the flag.
void validate_common(int64_t epochs, int64_t batch_size, double lr, int64_t latent_dim, int threads,
                     int64_t num_workers, int64_t max_steps, int64_t train_limit);


// Inputs and their reconstructions as a grid: 8 per row, a row of inputs above the row of their
// reconstructions. inputs, recon: (G, 1, 28, 28) in [0, 1].
void write_reconstruction_grid(const std::string& path, const Tensor& inputs, const Tensor& recon);

// <dir>/last.safetensors with the model, the optimizer and the recipe's metadata. Every rank
// calls it (a ZeRO optimizer gathers its shards); rank 0 writes.
void save_epoch_checkpoint(const distributed::Context& dist, const std::string& dir, const std::string& recipe,
                           int64_t epoch, const std::string& config, const nn::Module& model, optim::Optimizer& opt);

// The seed of this rank's own random stream (noise, data windows): `seed` itself on rank 0, so a
// single process draws what it drew before distributed training existed.
inline uint64_t rank_seed(uint64_t seed, int rank) {
  return seed + static_cast<uint64_t>(rank) * 0x9e3779b97f4a7c15ull;
}

// "  test mse 0.0123, bce 0.0834" style: name value pairs with 4 significant decimals.
std::string format_values(const std::vector<std::pair<std::string, double>>& values);

}  // namespace ember::recipes::detail
