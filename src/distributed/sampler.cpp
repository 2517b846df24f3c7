// DistributedSampler: one permutation for every rank, strided shards (PyTorch's layout).
#include "ember/distributed/sampler.h"

#include "ember/data/dataset.h"
#include "ember/distributed/process_group.h"
#include "ember/error.h"
#include "ember/ops.h"

namespace ember::distributed {

DistributedSampler::DistributedSampler(int64_t dataset_size, int num_replicas, int rank, DistributedSamplerOptions options)
    : n_(dataset_size), replicas_(num_replicas), rank_(rank), opt_(options) {
  EMBER_CHECK(dataset_size >= 0, "DistributedSampler", "the dataset size must be non-negative, got ", dataset_size);
  EMBER_CHECK(num_replicas >= 1, "DistributedSampler", "num_replicas must be at least 1, got ", num_replicas);
  EMBER_CHECK(rank >= 0 && rank < num_replicas, "DistributedSampler", "rank ", rank, " is outside [0, ", num_replicas,
              ") for ", num_replicas, " replicas");
  EMBER_CHECK(!(options.drop_last && !options.pad), "DistributedSampler",
              "drop_last = true and pad = false both say how to handle the tail; choose one");
  EMBER_CHECK(!options.drop_last || dataset_size >= num_replicas, "DistributedSampler", "drop_last with ",
              num_replicas, " replicas needs at least ", num_replicas, " examples, but the dataset has ", dataset_size);
}

DistributedSampler::DistributedSampler(int64_t dataset_size, const ProcessGroup& group, DistributedSamplerOptions options)
    : DistributedSampler(dataset_size, group.size(), group.rank(), options) {}

int64_t DistributedSampler::size() const {
  if (opt_.drop_last) return n_ / replicas_;
  if (opt_.pad) return (n_ + replicas_ - 1) / replicas_;
  return n_ / replicas_ + (rank_ < n_ % replicas_ ? 1 : 0);
}

std::vector<int64_t> DistributedSampler::indices(int64_t epoch) const {
  std::vector<int64_t> order(static_cast<size_t>(n_));
  if (opt_.shuffle) {
    // The DataLoader's own shuffle: one replica gives exactly the order of shuffle = true.
    Generator gen(data::sample_seed(opt_.seed, epoch, -1));
    Tensor perm = randperm(n_, &gen);
    const int64_t* p = perm.data_ptr<int64_t>();
    order.assign(p, p + n_);
  } else {
    for (int64_t i = 0; i < n_; ++i) order[static_cast<size_t>(i)] = i;
  }
  const int64_t per_rank = size();
  const int64_t total = opt_.pad && !opt_.drop_last ? per_rank * replicas_ : n_;
  for (int64_t i = n_; i < total && n_ > 0; ++i) order.push_back(order[static_cast<size_t>(i % n_)]);  // pad
  std::vector<int64_t> mine;
  mine.reserve(static_cast<size_t>(per_rank));
  for (int64_t i = rank_; i < total && static_cast<int64_t>(mine.size()) < per_rank; i += replicas_)
    mine.push_back(order[static_cast<size_t>(i)]);
  return mine;
}

}  // namespace ember::distributed
