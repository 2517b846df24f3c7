#pragma once
// Sampler: decides which dataset indices a DataLoader visits in an epoch, and in what order
// (torch.utils.data.Sampler). The loader passes its epoch number, so a sampler that shuffles
// reshuffles every epoch without a set_epoch call. distributed::DistributedSampler is one.
#include <cstdint>
#include <vector>

namespace ember::data {

class Sampler {
 public:
  virtual ~Sampler() = default;
  // Indices per epoch (the same every epoch).
  virtual int64_t size() const = 0;
  // The dataset indices of `epoch`, in visiting order; size() of them, each in [0, dataset size).
  virtual std::vector<int64_t> indices(int64_t epoch) const = 0;
};

}  // namespace ember::data
