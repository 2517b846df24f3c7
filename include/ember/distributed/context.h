#pragma once
// distributed::Context: the few calls a training recipe makes to run data-parallel under mpirun
// and unchanged as a single process. Without mpirun it is a world of one: wrap() costs nothing,
// the samplers give the usual shuffled order and the reductions return their input.
//
//   auto dist = distributed::Context::from_env();
//   std::ostream& log = dist.out(std::cout);                        // rank 0 prints, others are silent
//   data::DataLoader loader(train_set, {.batch_size = B, .sampler = dist.train_sampler(train_set->size(), seed)});
//   auto ddp = dist.wrap(model);                                     // DDP; call ddp->forward(x)
//   auto opt = dist.make_optimizer(model->parameters(), factory, /*zero=*/false);
//   ... loss.backward(); opt->step(); ...
//   auto [loss_sum, n] = dist.sum(std::pair{local_loss_sum, local_n});  // metrics over all ranks
//   train::save_checkpoint(dist, path, *model, opt.get(), meta);     // every rank calls; rank 0 writes
//
// --batch-size stays per rank, as in PyTorch DDP: the global batch is size() times larger.
#include <iosfwd>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "ember/data/sampler.h"
#include "ember/distributed/ddp.h"
#include "ember/distributed/process_group.h"
#include "ember/distributed/zero.h"
#include "ember/nn/module.h"
#include "ember/optim/optimizer.h"

namespace ember::distributed {

class Context {
 public:
  // The default group: "mpi" under mpirun, else a world of one.
  static Context from_env();
  explicit Context(std::shared_ptr<ProcessGroup> group);

  int rank() const { return group_->rank(); }
  int size() const { return group_->size(); }
  bool is_main() const { return rank() == 0; }
  ProcessGroup& group() const { return *group_; }
  const std::shared_ptr<ProcessGroup>& group_ptr() const { return group_; }

  // `os` on rank 0; a stream that discards everything on the other ranks.
  std::ostream& out(std::ostream& os) const;

  // The model inside DistributedDataParallel (rank 0's weights everywhere from here on).
  std::shared_ptr<DistributedDataParallel> wrap(std::shared_ptr<nn::Module> model, DDPOptions options = {}) const;
  // Training: this rank's strided share of a shuffled, padded epoch (DistributedSampler).
  std::shared_ptr<const data::Sampler> train_sampler(int64_t dataset_size, uint64_t seed, bool shuffle = true) const;
  // Evaluation: every example exactly once over all ranks, in order, no padding.
  std::shared_ptr<const data::Sampler> eval_sampler(int64_t dataset_size) const;

  // The optimizer `make` builds over `params`; with zero, a ZeroRedundancyOptimizer that builds
  // it over this rank's shard instead.
  std::unique_ptr<optim::Optimizer> make_optimizer(std::vector<Tensor> params, const ShardOptimizerFactory& make,
                                                   bool zero) const;

  // Element-wise sums over every rank (float64). For metrics: sums of losses, counts, hits.
  std::vector<double> sum(std::vector<double> values) const;
  double sum(double value) const { return sum(std::vector<double>{value})[0]; }
  // Element-wise mean over ranks.
  std::vector<double> mean(std::vector<double> values) const;
  // The largest value over ranks (e.g. the slowest rank's epoch time).
  double max(double value) const;

  // The seed of this rank's own random stream (data windows, noise) from a run's seed: `seed`
  // itself on rank 0, so a single process draws what it drew before distributed training existed.
  uint64_t rank_seed(uint64_t seed) const { return seed + static_cast<uint64_t>(rank()) * 0x9e3779b97f4a7c15ull; }

  void barrier() const { group_->barrier(); }

  // Throws ember::Error "<what>: the ranks disagree on the run: rank(s) 1 differ from rank 0
  // (batch_size: rank 0 has 64, rank 1 has 32) ..." on every rank unless all ranks pass the same
  // (name, value) entries. One allgather of a hash when they agree, so it is cheap enough for
  // every epoch. Call it before collectives whose sizes or count depend on the values: ranks
  // that disagree there would otherwise pair mismatched collectives and crash inside MPI.
  void check_agree(const std::vector<std::pair<std::string, std::string>>& values, const std::string& what) const;

 private:
  std::shared_ptr<ProcessGroup> group_;
};

}  // namespace ember::distributed
