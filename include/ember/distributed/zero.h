#pragma once
// ZeroRedundancyOptimizer: ZeRO stage 1 (optimizer-state sharding), as DeepSpeed's stage 1 and
// torch.distributed.optim.ZeroRedundancyOptimizer.
//
//   auto opt = distributed::ZeroRedundancyOptimizer(net->parameters(), [](std::vector<Tensor> shard) {
//     return std::make_unique<optim::Adam>(std::move(shard), optim::AdamOptions(1e-3));
//   }, pg);
//
// Each param group's parameters are laid end to end (as one flat vector, never materialized) and
// split into size() equal ranges. A rank keeps the inner optimizer (and so its state: Adam's two
// moments) for its own range only, so optimizer memory per rank falls by about
// (size() - 1) / size(). The inner optimizer works on views: one 1-d view per parameter that
// overlaps the rank's range, aliasing the parameter's storage, with a view of its gradient as
// gradient; a rank holds no copy of its parameters or gradients. A step updates the rank's
// views in place from the (already averaged, e.g. by DDP) gradients, then an allgather in small
// chunks hands every rank the other ranks' updated ranges. Because the inner optimizer works
// element by element, the result equals the unsharded optimizer's.
//
// Requirements: gradients are identical on every rank (true after DDP); within a param group
// either every parameter has a gradient at a step or none has (the group's shard steps as one);
// parameters are contiguous. The inner optimizer must be elementwise (SGD, Adam, AdamW, RMSprop,
// Adagrad are).
//
// Checkpoints: consolidate_state_dict() (every rank) gathers the shards; state_dict() then
// returns exactly what the unsharded optimizer's would, so checkpoints move freely between
// sharded and unsharded runs and between rank counts. load_state_dict() takes such a full state
// dict on every rank and keeps each rank's shard.
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "ember/distributed/process_group.h"
#include "ember/optim/optimizer.h"

namespace ember::distributed {

// Builds the inner optimizer, with its hyperparameters, over the tensors of one shard (1-d views
// of the parameters).
using ShardOptimizerFactory = std::function<std::unique_ptr<optim::Optimizer>(std::vector<Tensor> shard)>;

class ZeroRedundancyOptimizer : public optim::Optimizer {
 public:
  // group: null for the default group (init_process_group()).
  ZeroRedundancyOptimizer(std::vector<Tensor> params, ShardOptimizerFactory make,
                          std::shared_ptr<ProcessGroup> group = nullptr);
  ZeroRedundancyOptimizer(std::vector<optim::ParamGroup> groups, ShardOptimizerFactory make,
                          std::shared_ptr<ProcessGroup> group = nullptr);
  ~ZeroRedundancyOptimizer() override;

  // Collective: gathers every rank's shard of the state. Call it on every rank, then call
  // state_dict() (on any of them) before the next step.
  void consolidate_state_dict();
  // The full state dict (as the inner optimizer unsharded would give), from the last
  // consolidate_state_dict(); with one rank it is computed directly. Otherwise throws, naming
  // consolidate_state_dict().
  optim::OptimizerStateDict state_dict() const override;
  // Takes a full state dict (from state_dict() here, or from the unsharded optimizer) on every
  // rank; each keeps its shard. No communication.
  void load_state_dict(const optim::OptimizerStateDict& sd) override;

  // Bytes of optimizer state (moments, step counters) this rank holds.
  int64_t local_state_bytes() const;
  // Elements of param group `g` each rank owns: ceil(numel / size()) (the last rank's range may
  // run past the parameters' end; that padding is neither stored nor updated).
  int64_t shard_numel(size_t g) const;
  const optim::Optimizer& inner(size_t g) const { return *shards_.at(g).opt; }
  ProcessGroup& process_group() const { return *group_; }

 protected:
  void update_group(optim::ParamGroup& group) override;
  std::vector<std::string> state_names() const override { return {}; }  // load_state_dict is overridden

 private:
  // One parameter's overlap with this rank's range.
  struct Piece {
    size_t param = 0;       // index in the param group
    int64_t offset = 0;     // first element in the parameter (flattened)
    int64_t shard_at = 0;   // where it starts in the rank's range
    Tensor view;            // (len,) aliases the parameter's elements [offset, offset + len)
  };
  struct Shard {
    int64_t numel = 0;        // the group's parameters, end to end
    int64_t per_rank = 0;     // ceil(numel / size())
    std::vector<Piece> pieces;
    // A rank whose range holds no parameter element (numel < size()) still steps an optimizer,
    // over this 1-element zero tensor, so that every rank has the same state entries.
    Tensor placeholder;
    std::unique_ptr<optim::Optimizer> opt;
  };
  struct Init;
  explicit ZeroRedundancyOptimizer(Init init);
  optim::OptimizerStateDict compute_state_dict() const;

  std::shared_ptr<ProcessGroup> group_;
  std::vector<Shard> shards_;
  std::optional<optim::OptimizerStateDict> consolidated_;
};

}  // namespace ember::distributed
