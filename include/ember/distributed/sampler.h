#pragma once
// DistributedSampler: each rank's share of a dataset (torch.utils.data.distributed.DistributedSampler).
//
//   auto sampler = std::make_shared<distributed::DistributedSampler>(train_set->size(), *pg,
//                                                                   distributed::DistributedSamplerOptions{.seed = 1});
//   data::DataLoader loader(train_set, {.batch_size = 32, .sampler = sampler});
//
// Every rank draws the same permutation of the epoch (from the seed and the epoch number, which
// the DataLoader passes, so every epoch is reshuffled), pads it by repeating its first indices
// until it divides evenly, and takes every num_replicas-th index starting at its rank. So step s
// of N ranks with batch B covers exactly the samples of step s of one process with batch N * B,
// and with one replica the order equals a plain DataLoader's with shuffle = true and the same seed.
#include <cstdint>
#include <vector>

#include "ember/data/sampler.h"

namespace ember::distributed {

class ProcessGroup;

struct DistributedSamplerOptions {
  bool shuffle = true;
  uint64_t seed = 0;       // the same on every rank
  bool drop_last = false;  // drop the tail instead of padding, so shards are equal without repeats
  // false: no padding and no dropping; shards differ by at most one sample and every sample is
  // visited exactly once (for exact evaluation; the ranks then run different step counts).
  bool pad = true;
};

class DistributedSampler : public data::Sampler {
 public:
  DistributedSampler(int64_t dataset_size, int num_replicas, int rank, DistributedSamplerOptions options = {});
  // num_replicas and rank from the group.
  DistributedSampler(int64_t dataset_size, const ProcessGroup& group, DistributedSamplerOptions options = {});
  int64_t size() const override;
  std::vector<int64_t> indices(int64_t epoch) const override;
  int num_replicas() const { return replicas_; }
  int rank() const { return rank_; }

 private:
  int64_t n_;
  int replicas_, rank_;
  DistributedSamplerOptions opt_;
};

}  // namespace ember::distributed
