#pragma once
// DDP's gradient reducer: assigns parameters to buckets, receives each gradient from a
// post-accumulate hook, allreduces full buckets while backward goes on, and finishes in a
// callback at the end of the backward pass.
#include <memory>
#include <string>
#include <vector>

#include "ember/distributed/ddp.h"

namespace ember::distributed::detail {

class Reducer : public std::enable_shared_from_this<Reducer> {
 public:
  Reducer(std::vector<std::pair<std::string, Tensor>> params, std::shared_ptr<ProcessGroup> group, DDPOptions options);
  void install_hooks();
  void remove_hooks();
  bool sync_enabled() const { return sync_; }
  void set_sync_enabled(bool on) { sync_ = on; }
  // Throws when the previous backward pass stopped half-way (its collectives are out of step).
  void check_idle() const;
  void on_grad_ready(size_t index);
  const DDPStats& stats() const { return stats_; }
  std::vector<std::vector<std::string>> bucket_names() const;

 private:
  struct Bucket {
    DType dtype;
    Tensor flat;                  // (numel,) the gradients of its parameters, back to back
    Tensor divisor;               // () the world size in dtype: each gradient is divided by it
    std::vector<size_t> params;   // indices into params_
    std::vector<int64_t> offsets; // each parameter's first element in flat
    size_t pending = 0;           // gradients still missing this backward pass
    std::shared_ptr<Work> work;   // the allreduce in flight
  };
  void assign_buckets();
  void mark_ready(size_t index, const Tensor& grad);
  void launch_ready_buckets();
  void poll();
  void finalize();
  void reset_iteration();

  std::vector<std::pair<std::string, Tensor>> params_;
  std::shared_ptr<ProcessGroup> group_;
  DDPOptions options_;
  std::vector<Bucket> buckets_;
  std::vector<std::pair<size_t, size_t>> where_;  // param -> (bucket, position in bucket)
  std::vector<char> ready_, used_;
  size_t next_launch_ = 0;      // buckets launch strictly in index order on every rank
  bool in_iteration_ = false;   // a gradient arrived and the finishing callback is queued
  bool sync_ = true;
  double hook_seconds_ = 0;     // this backward pass's time in on_grad_ready
  DDPStats stats_;
};

}  // namespace ember::distributed::detail
