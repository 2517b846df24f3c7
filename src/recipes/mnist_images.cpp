#include "recipes/mnist_images.h"

#include <cmath>
#include <cstdio>
#include <filesystem>

#include "ember/data/data_root.h"
#include "ember/data/mnist.h"
#include "ember/io/image_grid.h"
#include "ember/ops.h"
#include "ember/train/checkpoint.h"

namespace ember::recipes::detail {

namespace fs = std::filesystem;

MnistImages load_mnist_images(const std::string& root_flag, int64_t train_limit) {
  std::string root = data::resolve_data_root(root_flag);
  auto train = std::make_shared<data::MNIST>(root, true);
  data::MNIST test(root, false);
  MnistImages out{train, test.images()};
  if (train_limit > 0 && train_limit < train->size()) {
    std::vector<int64_t> idx(static_cast<size_t>(train_limit));
    for (int64_t i = 0; i < train_limit; ++i) idx[static_cast<size_t>(i)] = i;
    out.train = std::make_shared<data::Subset>(out.train, idx);
  }
  return out;
}

void validate_common(int64_t epochs, int64_t batch_size, double lr, int64_t latent_dim, int threads,
                     int64_t num_workers, int64_t max_steps, int64_t train_limit) {
  EMBER_CHECK(epochs > 0, "--epochs", "must be positive, got ", epochs);
  EMBER_CHECK(batch_size > 0, "--batch-size", "must be positive, got ", batch_size);
  EMBER_CHECK(lr > 0 && std::isfinite(lr), "--lr", "must be a positive number, got ", lr);
  EMBER_CHECK(latent_dim > 0, "--latent-dim", "must be positive, got ", latent_dim);
  EMBER_CHECK(threads >= 0, "--threads", "must be positive, got ", threads);
  EMBER_CHECK(num_workers >= 0, "--workers", "must be non-negative, got ", num_workers);
  EMBER_CHECK(max_steps >= 0, "--max-steps", "must be non-negative, got ", max_steps);
  EMBER_CHECK(train_limit >= 0, "--train-limit", "must be non-negative, got ", train_limit);
}

void write_reconstruction_grid(const std::string& path, const Tensor& inputs, const Tensor& recon) {
  const int64_t per_row = 8, n = inputs.size(0);
  EMBER_CHECK(n > 0 && n % per_row == 0 && recon.shape() == inputs.shape(), "write_reconstruction_grid",
              "expected inputs and reconstructions of the same shape with a multiple of ", per_row,
              " images, got ", shape_str(inputs.shape()), " and ", shape_str(recon.shape()));
  std::vector<Tensor> rows;
  for (int64_t i = 0; i < n; i += per_row) {
    rows.push_back(inputs.narrow(0, i, per_row));  // (8, 1, 28, 28)
    rows.push_back(recon.narrow(0, i, per_row));
  }
  io::ImageGridOptions o;
  o.columns = per_row;
  o.scale = 2;
  io::write_image_grid(path, cat(rows, 0), o);
}

void save_epoch_checkpoint(const distributed::Context& dist, const std::string& dir, const std::string& recipe,
                           int64_t epoch, const std::string& config, const nn::Module& model, optim::Optimizer& opt) {
  train::save_checkpoint(dist, (fs::path(dir) / "last.safetensors").string(), model, &opt,
                       {{"recipe", recipe}, {"epoch", std::to_string(epoch)}, {"config", config}});
}

std::string format_values(const std::vector<std::pair<std::string, double>>& values) {
  std::string s;
  char b[64];
  for (auto& [k, v] : values) {
    std::snprintf(b, sizeof b, "%s%s %.4f", s.empty() ? "" : ", ", k.c_str(), v);
    s += b;
  }
  return s;
}

}  // namespace ember::recipes::detail
