#pragma once
// MNIST handwritten digits from the IDX files {train,t10k}-{images-idx3,labels-idx1}-ubyte,
// gzip'd (.gz) or raw.
#include <string>
#include <vector>

#include "ember/data/dataset.h"
#include "ember/data/transforms.h"

namespace ember::data {

class MNIST : public Dataset {
 public:
  // root: a data root holding mnist/ (or the folder with the files itself); empty resolves it
  // with resolve_data_root(). train: the 60,000 training images, else the 10,000 test images.
  // transform: applied to each (1, 28, 28) image in get().
  explicit MNIST(const std::string& root = "", bool train = true, Transform transform = {});

  int64_t size() const override { return images_.size(0); }
  using Dataset::get;
  // data: (1, 28, 28) float32 in [0, 1] (a view of images() unless transformed), target: int64 scalar.
  Example get(int64_t index, Generator& gen) const override;

  const Tensor& images() const { return images_; }   // (N, 1, 28, 28) float32 in [0, 1]
  const Tensor& targets() const { return targets_; }  // (N,) int64 in [0, 9]
  const std::string& folder() const { return folder_; }

  // Downloads the four .gz files into <root>/mnist (root resolved as above when empty; it must
  // exist), trying `mirrors` (base URLs ending in '/') in order, default_mirrors() when empty.
  // Files already present with the right content are kept. Each file is verified by the SHA-256
  // of its decompressed content, which does not depend on how a mirror compressed it.
  static void download(const std::string& root = "", const std::vector<std::string>& mirrors = {});
  static const std::vector<std::string>& default_mirrors();

 private:
  Tensor images_, targets_;
  Transform transform_;
  std::string folder_;
};

// IDX readers (gzip or raw). Errors name the file and what is wrong.
// Images: magic 2051, (N, rows, cols) uint8 -> (N, 1, rows, cols) float32 / 255.
Tensor read_idx_images(const std::string& path, int64_t expected_rows = 28, int64_t expected_cols = 28);
// Labels: magic 2049, (N) uint8 -> (N) int64.
Tensor read_idx_labels(const std::string& path);

}  // namespace ember::data
