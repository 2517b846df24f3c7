#pragma once
// DistributedDataParallel: data-parallel training of any module (torch.nn.parallel.DistributedDataParallel).
//
//   auto pg = distributed::init_process_group();                 // mpirun: one process per rank
//   auto ddp = std::make_shared<distributed::DistributedDataParallel>(net, pg);
//   for (batch : loader) {                                       // loader over a DistributedSampler
//     opt.zero_grad();
//     Tensor loss = cross_entropy(ddp->forward(batch.data), batch.target);
//     loss.backward();                                           // gradients averaged over ranks here
//     opt.step();                                                // identical update on every rank
//   }
//
// At construction it checks that every rank built the same model (names, shapes and dtypes of
// parameters and buffers; a mismatch throws on every rank, naming the ranks and the first
// difference) and broadcasts rank 0's parameters and buffers. During backward, a hook after each
// parameter's gradient accumulation copies the gradient into its bucket; a full bucket starts a
// non-blocking allreduce at once, while backward goes on. Buckets hold parameters in reverse
// order (the order backward produces their gradients) and are launched in index order on every
// rank, as PyTorch does. When the backward pass ends (autograd::queue_callback), the reducer
// waits for every bucket and writes the averaged gradients back, so optimizer.step() needs no
// change. Results are bit-identical run to run for a fixed number of ranks and threads.
#include <memory>
#include <string>
#include <vector>

#include "ember/distributed/process_group.h"
#include "ember/nn/module.h"

namespace ember::distributed {

struct DDPOptions {
  double bucket_cap_mb = 25;        // bucket size in MiB (PyTorch's bucket_cap_mb)
  double first_bucket_cap_mb = 1;   // the first bucket is small, so communication starts early
  bool broadcast_buffers = true;    // rank 0's buffers (BatchNorm statistics) at each training forward
  // Parameters that get no gradient in a backward pass (on some or all ranks) count as zero
  // gradients; a parameter no rank used keeps its .grad unchanged. Without it such a parameter
  // is an error (its bucket would never be complete).
  bool find_unused_parameters = false;
  // After averaging, .grad becomes a view into the bucket instead of a copy (saves one copy per
  // step; a .grad kept across steps then changes with the next backward).
  bool gradient_as_bucket_view = false;
};

// Communication figures of the last and of all synchronized backward passes.
struct DDPStats {
  int64_t iterations = 0;            // backward passes that averaged gradients
  int64_t buckets = 0;
  int64_t bytes_per_iteration = 0;   // gradient bytes allreduced per backward pass
  // Time the backward thread spent on DDP's work (on the critical path, not overlapped):
  double last_hook_seconds = 0;      // in the gradient hooks: copies into buckets, launches, polls
  double last_wait_seconds = 0;      // at backward's end, waiting for the last allreduces and copying back
  double total_hook_seconds = 0;
  double total_wait_seconds = 0;
};

namespace detail { class Reducer; }

class DistributedDataParallel : public nn::Module {
 public:
  // group: null for the default group (init_process_group()).
  explicit DistributedDataParallel(std::shared_ptr<nn::Module> module, std::shared_ptr<ProcessGroup> group = nullptr,
                                   DDPOptions options = {});
  ~DistributedDataParallel() override;
  DistributedDataParallel(const DistributedDataParallel&) = delete;
  DistributedDataParallel& operator=(const DistributedDataParallel&) = delete;

  // pre_forward() then module()->forward(x).
  Tensor forward(const Tensor& x) override;
  // What forward() does before the wrapped module runs: broadcasts rank 0's buffers (training,
  // grad mode on, broadcast_buffers) and checks that the previous backward pass finished. Call it
  // yourself before a forward with another signature: ddp->pre_forward(); gpt->forward(idx, targets).
  void pre_forward();
  // Broadcasts rank 0's buffers now (e.g. before evaluating on every rank).
  void sync_buffers();

  std::shared_ptr<nn::Module> module() const { return module_; }
  ProcessGroup& process_group() const { return *group_; }
  const DDPOptions& options() const { return options_; }

  // Gradient accumulation without communication (torch's no_sync()): backward passes inside the
  // guard only accumulate .grad locally; the first backward after it averages the sum.
  //   { auto guard = ddp->no_sync(); loss1.backward(); }  loss2.backward();  opt.step();
  class NoSync {
   public:
    ~NoSync();
    NoSync(NoSync&& o) noexcept : ddp_(o.ddp_), prev_(o.prev_) { o.ddp_ = nullptr; }
    NoSync(const NoSync&) = delete;
    NoSync& operator=(const NoSync&) = delete;
    NoSync& operator=(NoSync&&) = delete;

   private:
    friend class DistributedDataParallel;
    NoSync(DistributedDataParallel* ddp, bool prev) : ddp_(ddp), prev_(prev) {}
    DistributedDataParallel* ddp_;
    bool prev_;
  };
  [[nodiscard]] NoSync no_sync();

  const DDPStats& stats() const;
  // Parameter names of each bucket, in launch order (for inspection and tests).
  std::vector<std::vector<std::string>> bucket_parameter_names() const;

  std::string name() const override { return "DistributedDataParallel"; }

 private:
  std::shared_ptr<nn::Module> module_;
  std::shared_ptr<ProcessGroup> group_;
  DDPOptions options_;
  std::shared_ptr<detail::Reducer> reducer_;
};

// Every rank's copy of `tensors` becomes rank root's, with one broadcast per dtype (flattened).
// Every rank must pass the same count, shapes and dtypes (check_same_across_ranks checks that).
void broadcast_coalesced(ProcessGroup& group, const std::vector<Tensor>& tensors, int root = 0);

// Throws an ember::Error on every rank when the ranks' entries differ: `entries` are
// (name, tensor) pairs whose names, shapes and dtypes every rank must share. `who` names the
// caller in the message ("DistributedDataParallel").
void check_same_across_ranks(ProcessGroup& group, const std::vector<std::pair<std::string, Tensor>>& entries,
                             const char* who);

}  // namespace ember::distributed
