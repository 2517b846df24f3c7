#pragma once
// Datasets: indexable collections of (data, target) examples, as in torch.utils.data.
#include <cstdint>
#include <memory>
#include <vector>

#include "ember/random.h"
#include "ember/tensor.h"

namespace ember::data {

// One sample. `target` may be undefined for unlabelled data.
struct Example {
  Tensor data;
  Tensor target;
};

// The seed of the generator that drives sample `index`'s random transforms in `epoch` of a
// loader seeded with `seed`. A pure function of its arguments, so a sample gets the same
// randomness whichever worker thread loads it.
uint64_t sample_seed(uint64_t seed, int64_t epoch, int64_t index);

// A map-style dataset. get() may be called from several threads at once: keep it const and
// free of shared mutable state.
class Dataset {
 public:
  virtual ~Dataset() = default;
  virtual int64_t size() const = 0;
  // The example at `index` in [0, size()). `gen` drives any random transform; the DataLoader
  // seeds it with sample_seed(seed, epoch, index).
  virtual Example get(int64_t index, Generator& gen) const = 0;
  // get(index) with a generator seeded by sample_seed(0, 0, index). Subclasses that override
  // get(index, gen) should add `using Dataset::get;` to keep this form visible.
  Example get(int64_t index) const;
};

// Pairs data[i] with targets[i] along dim 0 (the samples are views: no copy).
class TensorDataset : public Dataset {
 public:
  // targets may be undefined (examples then have no target).
  explicit TensorDataset(Tensor data, Tensor targets = Tensor());
  int64_t size() const override { return size_; }
  using Dataset::get;
  Example get(int64_t index, Generator& gen) const override;
  const Tensor& data() const { return data_; }
  const Tensor& targets() const { return targets_; }

 private:
  Tensor data_, targets_;
  int64_t size_ = 0;
};

// The examples of `dataset` at `indices`, in that order.
class Subset : public Dataset {
 public:
  Subset(std::shared_ptr<const Dataset> dataset, std::vector<int64_t> indices);
  int64_t size() const override { return static_cast<int64_t>(indices_.size()); }
  using Dataset::get;
  Example get(int64_t index, Generator& gen) const override;
  const std::vector<int64_t>& indices() const { return indices_; }
  const std::shared_ptr<const Dataset>& dataset() const { return dataset_; }

 private:
  std::shared_ptr<const Dataset> dataset_;
  std::vector<int64_t> indices_;
};

// Splits `dataset` into non-overlapping random subsets of the given lengths, which must add up
// to dataset->size(). The permutation comes from `gen` (as torch.utils.data.random_split).
std::vector<Subset> random_split(std::shared_ptr<const Dataset> dataset, const std::vector<int64_t>& lengths,
                                 Generator& gen);

}  // namespace ember::data
