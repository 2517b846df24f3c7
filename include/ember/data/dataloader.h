#pragma once
// DataLoader: batches, shuffling and background prefetch over a Dataset (torch.utils.data.DataLoader).
//
//   data::DataLoader loader(dataset, {.batch_size = 64, .shuffle = true, .seed = 1, .num_workers = 2});
//   for (const data::Batch& b : loader) { ... b.data ... b.target ... }  // one epoch
//
// Determinism: the batches (their samples, order and random transforms) depend only on the
// dataset, the options' seed and the epoch number, never on num_workers or thread timing.
#include <cstddef>
#include <cstdint>
#include <concepts>
#include <iterator>
#include <memory>
#include <vector>

#include "ember/data/dataset.h"
#include "ember/data/sampler.h"

namespace ember::data {

struct DataLoaderOptions {
  int64_t batch_size = 1;
  bool shuffle = false;      // a new permutation each epoch, drawn from (seed, epoch)
  uint64_t seed = 0;         // shuffling and per-sample transform randomness
  bool drop_last = false;    // drop a final batch smaller than batch_size
  int64_t num_workers = 0;   // background loader threads; 0 loads in the calling thread
  int64_t prefetch_factor = 2;  // batches each worker may hold ready ahead of the consumer
  // Which indices each epoch visits, in order (e.g. distributed::DistributedSampler); null: all,
  // shuffled or not. Excludes shuffle = true, as in PyTorch.
  std::shared_ptr<const Sampler> sampler = nullptr;
};

// Samples stacked along a new leading dim: data (B, ...), target (B, ...) or undefined when the
// examples have no target.
struct Batch {
  Tensor data;
  Tensor target;
};

// Stacks examples of equal shape and dtype into a Batch (contiguous copies).
Batch collate(const std::vector<Example>& examples);

namespace detail { class EpochRun; }

class DataLoader {
 public:
  class Iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = Batch;
    using difference_type = std::ptrdiff_t;
    using pointer = const Batch*;
    using reference = const Batch&;
    Iterator() = default;  // the end iterator
    const Batch& operator*() const;
    const Batch* operator->() const { return &**this; }
    Iterator& operator++();
    // Iterators are equal when both are at the end (or are the same run at the same batch).
    bool operator==(const Iterator& other) const;

   private:
    friend class DataLoader;
    explicit Iterator(std::shared_ptr<detail::EpochRun> run) : run_(std::move(run)) {}
    bool at_end() const;
    // Shared by copies; when the last copy goes (a finished or abandoned loop) the workers stop
    // and are joined.
    std::shared_ptr<detail::EpochRun> run_;
  };

  DataLoader(std::shared_ptr<const Dataset> dataset, DataLoaderOptions options = {});
  // Takes a concrete dataset by value (moved into shared ownership).
  template <typename D>
    requires std::derived_from<D, Dataset>
  DataLoader(D dataset, DataLoaderOptions options = {})
      : DataLoader(std::shared_ptr<const Dataset>(std::make_shared<D>(std::move(dataset))), options) {}

  // Starts the next epoch (shuffled with sample_seed-style mixing of seed and epoch) and loads its
  // first batch. Each call advances the epoch counter.
  Iterator begin();
  Iterator end() const { return Iterator(); }

  int64_t size() const;  // batches per epoch
  int64_t epoch() const { return epoch_; }  // the epoch the next begin() runs
  void set_epoch(int64_t epoch);            // e.g. to resume a run
  const DataLoaderOptions& options() const { return options_; }
  const std::shared_ptr<const Dataset>& dataset() const { return dataset_; }
  // The dataset indices of the epoch's samples, in visiting order.
  std::vector<int64_t> epoch_order(int64_t epoch) const;

 private:
  std::shared_ptr<const Dataset> dataset_;
  DataLoaderOptions options_;
  int64_t epoch_ = 0;
};

}  // namespace ember::data
