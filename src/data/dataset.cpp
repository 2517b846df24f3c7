// Dataset basics: per-sample seeds, TensorDataset, Subset, random_split.
#include "ember/data/dataset.h"

#include <numeric>

#include "ember/autograd.h"
#include "ember/error.h"
#include "ember/ops.h"

namespace ember::data {

namespace {
// SplitMix64's finaliser: a bijective mix, so distinct inputs never collide.
uint64_t mix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}
}  // namespace

uint64_t sample_seed(uint64_t seed, int64_t epoch, int64_t index) {
  uint64_t h = mix64(seed);
  h = mix64(h ^ static_cast<uint64_t>(epoch));
  return mix64(h ^ static_cast<uint64_t>(index));
}

Example Dataset::get(int64_t index) const {
  Generator gen(sample_seed(0, 0, index));
  return get(index, gen);
}

TensorDataset::TensorDataset(Tensor data, Tensor targets) : data_(std::move(data)), targets_(std::move(targets)) {
  EMBER_CHECK(data_.defined(), "TensorDataset", "data tensor is undefined");
  EMBER_CHECK(data_.dim() >= 1, "TensorDataset", "data must have a leading sample dim, got a 0-dim tensor");
  size_ = data_.size(0);
  if (targets_.defined()) {
    EMBER_CHECK(targets_.dim() >= 1 && targets_.size(0) == size_, "TensorDataset", "data has ", size_,
                " samples (shape ", shape_str(data_.shape()), ") but targets have shape ", shape_str(targets_.shape()),
                "; both need the same size along dim 0");
  }
}

Example TensorDataset::get(int64_t index, Generator&) const {
  EMBER_CHECK(index >= 0 && index < size_, "TensorDataset::get", "index ", index,
              " is out of range for a dataset of size ", size_);
  NoGradGuard no_grad;  // samples are data, not part of a graph
  return {data_.select(0, index), targets_.defined() ? targets_.select(0, index) : Tensor()};
}

Subset::Subset(std::shared_ptr<const Dataset> dataset, std::vector<int64_t> indices)
    : dataset_(std::move(dataset)), indices_(std::move(indices)) {
  EMBER_CHECK(dataset_ != nullptr, "Subset", "dataset is null");
  int64_t n = dataset_->size();
  for (size_t i = 0; i < indices_.size(); ++i)
    EMBER_CHECK(indices_[i] >= 0 && indices_[i] < n, "Subset", "indices[", i, "] = ", indices_[i],
                " is out of range for a dataset of size ", n);
}

Example Subset::get(int64_t index, Generator& gen) const {
  EMBER_CHECK(index >= 0 && index < size(), "Subset::get", "index ", index, " is out of range for a subset of size ",
              size());
  return dataset_->get(indices_[static_cast<size_t>(index)], gen);
}

std::vector<Subset> random_split(std::shared_ptr<const Dataset> dataset, const std::vector<int64_t>& lengths,
                                 Generator& gen) {
  EMBER_CHECK(dataset != nullptr, "random_split", "dataset is null");
  int64_t total = 0;
  for (size_t i = 0; i < lengths.size(); ++i) {
    EMBER_CHECK(lengths[i] >= 0, "random_split", "lengths[", i, "] = ", lengths[i], " is negative");
    total += lengths[i];
  }
  EMBER_CHECK(total == dataset->size(), "random_split", "lengths ", shape_str(lengths), " add up to ", total,
              " but the dataset has ", dataset->size(), " examples");
  Tensor perm = randperm(total, &gen);
  const int64_t* p = perm.data_ptr<int64_t>();
  std::vector<Subset> out;
  int64_t start = 0;
  for (int64_t len : lengths) {
    out.emplace_back(dataset, std::vector<int64_t>(p + start, p + start + len));
    start += len;
  }
  return out;
}

}  // namespace ember::data
