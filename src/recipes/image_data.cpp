#include "recipes/image_data.h"

#include <cmath>

#include "ember/data/data_root.h"
#include "ember/data/mnist.h"
#include "ember/io/file.h"
#include "ember/io/image_grid.h"
#include "ember/ops.h"

namespace ember::recipes::detail {

ImageData load_image_data(const std::string& root_flag, int64_t train_limit, int64_t validation_size) {
  std::string root = data::resolve_data_root(root_flag);
  auto train = std::make_shared<data::MNIST>(root, true);
  const int64_t n = train->size();
  EMBER_CHECK(validation_size >= 0 && validation_size < n, "--validation-size", "must be in [0, ", n,
              ") for the ", n, " training images, got ", validation_size);
  ImageData out{train, Tensor(), "test"};
  int64_t keep = n;
  if (validation_size > 0) {
    keep = n - validation_size;
    out.eval = train->images().narrow(0, keep, validation_size);
    out.split = "val";
  } else {
    out.eval = data::MNIST(root, false).images();
  }
  if (train_limit > 0) keep = std::min(keep, train_limit);
  if (keep < n) {
    std::vector<int64_t> idx(static_cast<size_t>(keep));
    for (int64_t i = 0; i < keep; ++i) idx[static_cast<size_t>(i)] = i;
    out.train = std::make_shared<data::Subset>(train, idx);
  }
  return out;
}

std::pair<double, double> pixel_mean_std(const Tensor& images) {
  EMBER_CHECK(images.numel() > 0 && images.dtype() == kFloat32, "pixel_mean_std",
              "expected float32 images, got ", images.numel() ? dtype_name(images.dtype()) : "none");
  const Tensor x = images.contiguous();  // no copy for a dataset's images
  const float* p = x.data_ptr<float>();
  const int64_t n = x.numel();
  double mean = 0, m2 = 0;  // two passes in double: exact enough for 47M pixels
  for (int64_t i = 0; i < n; ++i) mean += p[i];
  mean /= static_cast<double>(n);
  for (int64_t i = 0; i < n; ++i) m2 += (p[i] - mean) * (p[i] - mean);
  const double sd = std::sqrt(m2 / static_cast<double>(n));
  auto round4 = [](double v) { return std::round(v * 1e4) / 1e4; };
  return {round4(mean), round4(sd)};
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

std::string reconstruction_grid_png(const Tensor& inputs, const Tensor& recon) {
  const int64_t per_row = 8, n = inputs.size(0);
  EMBER_CHECK(n > 0 && n % per_row == 0 && recon.shape() == inputs.shape(), "reconstruction_grid_png",
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
  return io::encode_image_grid(cat(rows, 0), o);
}

void save_png(const std::string& png, const std::string& path, train::TensorBoardWriter* tb, const std::string& tag,
              int64_t step) {
  if (!path.empty()) io::write_file_atomic(path, png, "write_image_grid");
  if (tb) tb->add_image_png(tag, png, step);
}

}  // namespace ember::recipes::detail
