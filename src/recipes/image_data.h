#pragma once
// Shared by the image recipes: images from a folder of IDX files in MNIST's layout (MNIST itself,
// Fashion-MNIST, KMNIST: 28x28 grey images, labels 0-9), their statistics, and the grid of
// inputs above their reconstructions that the autoencoders draw.
#include <memory>
#include <string>
#include <utility>

#include "ember/data/dataset.h"
#include "ember/tensor.h"
#include "ember/train/tensorboard.h"

namespace ember::recipes::detail {

struct ImageData {
  std::shared_ptr<const data::Dataset> train;  // (1, 28, 28) images in [0, 1]; targets unused
  Tensor eval;                                  // (N, 1, 28, 28) float32 in [0, 1]: what evaluation sees
  std::string split;                            // "test", or "val" when eval was held out of training
};
// Raw pixels in [0, 1] (no standardization: the decoders' sigmoid outputs and the BCE targets
// live in that range). root: a data root holding mnist/, or the IDX folder itself ("" ->
// EMBER_DATA or ../shared/data). validation_size > 0 holds out the last N training images for
// evaluation instead of the test set (tuning); train_limit > 0 then keeps the first N of the rest.
ImageData load_image_data(const std::string& root, int64_t train_limit, int64_t validation_size = 0);

// The mean and standard deviation of every pixel of `images` (N, 1, H, W), rounded to 4 decimals
// as PyTorch's MNIST example quotes them: MNIST's training set gives its (0.1307, 0.3081).
std::pair<double, double> pixel_mean_std(const Tensor& images);

// Common flag checks, each error naming the flag.
void validate_common(int64_t epochs, int64_t batch_size, double lr, int64_t latent_dim, int threads,
                     int64_t num_workers, int64_t max_steps, int64_t train_limit);

// Inputs and their reconstructions as a grid: 8 per row, a row of inputs above the row of their
// reconstructions. inputs, recon: (G, 1, 28, 28) in [0, 1]. Returns the PNG's bytes.
std::string reconstruction_grid_png(const Tensor& inputs, const Tensor& recon);

// A recipe's PNG (bytes) to its file (atomically, when `path` is not empty) and to TensorBoard
// (when `tb` is not null) under `tag` at `step`.
void save_png(const std::string& png, const std::string& path, train::TensorBoardWriter* tb, const std::string& tag,
              int64_t step);

}  // namespace ember::recipes::detail
