// ember::distributed in one process (no MPI): DistributedSampler shards, the DataLoader's sampler
// option, the "single" backend's collectives and their argument errors, DDP's bucket layout and
// its pass-through behaviour in a world of one, and ZeroRedundancyOptimizer against the plain
// optimizer. The multi-rank behaviour is tested under mpirun in tests/distributed/.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "ember/data/dataloader.h"
#include "ember/distributed/distributed.h"
#include "ember/models/mnist_cnn.h"
#include "ember/nn/layers.h"
#include "ember/ops.h"
#include "ember/optim/adam.h"
#include "ember/optim/sgd.h"
#include "op_registry.h"

using namespace ember;
namespace dist = ember::distributed;

// ---- DistributedSampler ----

TEST(DistributedSampler, ShardsCoverThePaddedPermutationOnce) {
  const int64_t n = 10;
  for (int world : {1, 2, 3, 4}) {
    std::multiset<int64_t> seen;
    int64_t per = (n + world - 1) / world;
    for (int r = 0; r < world; ++r) {
      dist::DistributedSampler s(n, world, r, {.seed = 7});
      auto idx = s.indices(3);
      EXPECT_EQ(static_cast<int64_t>(idx.size()), per);
      EXPECT_EQ(s.size(), per);
      seen.insert(idx.begin(), idx.end());
    }
    EXPECT_EQ(static_cast<int64_t>(seen.size()), per * world);
    for (int64_t i = 0; i < n; ++i) EXPECT_GE(seen.count(i), 1u) << "index " << i << " with " << world << " ranks";
  }
}

TEST(DistributedSampler, StridedShardsRebuildTheGlobalBatches) {
  // Step s of 2 ranks with batch B covers the samples of step s of one process with batch 2B.
  dist::DistributedSampler one(100, 1, 0, {.seed = 3});
  dist::DistributedSampler r0(100, 2, 0, {.seed = 3}), r1(100, 2, 1, {.seed = 3});
  auto all = one.indices(5), a = r0.indices(5), b = r1.indices(5);
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i], all[2 * i]);
    EXPECT_EQ(b[i], all[2 * i + 1]);
  }
}

TEST(DistributedSampler, OneReplicaMatchesTheLoadersShuffleAndEpochsDiffer) {
  auto ds = std::make_shared<data::TensorDataset>(arange(50).to(kFloat32));
  data::DataLoader plain(ds, {.batch_size = 8, .shuffle = true, .seed = 11});
  auto sampler = std::make_shared<dist::DistributedSampler>(50, 1, 0, dist::DistributedSamplerOptions{.seed = 11});
  data::DataLoader sharded(ds, {.batch_size = 8, .sampler = sampler});
  EXPECT_EQ(plain.epoch_order(0), sharded.epoch_order(0));
  EXPECT_EQ(plain.epoch_order(1), sharded.epoch_order(1));
  EXPECT_NE(sampler->indices(0), sampler->indices(1));
  EXPECT_EQ(sharded.size(), 7);
}

TEST(DistributedSampler, DropLastAndUnpaddedShards) {
  dist::DistributedSampler d0(10, 3, 0, {.shuffle = false, .drop_last = true});
  EXPECT_EQ(d0.indices(0), (std::vector<int64_t>{0, 3, 6}));
  dist::DistributedSampler p0(10, 3, 0, {.shuffle = false, .pad = false}), p2(10, 3, 2, {.shuffle = false, .pad = false});
  EXPECT_EQ(p0.indices(0), (std::vector<int64_t>{0, 3, 6, 9}));
  EXPECT_EQ(p2.indices(0), (std::vector<int64_t>{2, 5, 8}));
  EXPECT_EQ(p2.size(), 3);
  dist::DistributedSampler pad(10, 4, 3, {.shuffle = false});  // padded with the first indices
  EXPECT_EQ(pad.indices(0), (std::vector<int64_t>{3, 7, 1}));
}

TEST(DistributedSampler, BadArgumentsAreNamed) {
  EXPECT_EMBER_ERROR(dist::DistributedSampler(10, 2, 2), "DistributedSampler", "rank 2", "[0, 2)");
  EXPECT_EMBER_ERROR(dist::DistributedSampler(10, 0, 0), "DistributedSampler", "num_replicas", "got 0");
  EXPECT_EMBER_ERROR(dist::DistributedSampler(-1, 1, 0), "DistributedSampler", "non-negative", "-1");
  EXPECT_EMBER_ERROR(dist::DistributedSampler(1, 2, 0, {.drop_last = true}), "drop_last", "at least 2");
  EXPECT_EMBER_ERROR(dist::DistributedSampler(4, 2, 0, {.drop_last = true, .pad = false}), "choose one");
}

TEST(DataLoaderSampler, ShuffleWithASamplerAndBadIndicesAreErrors) {
  auto ds = std::make_shared<data::TensorDataset>(arange(4).to(kFloat32));
  auto s = std::make_shared<dist::DistributedSampler>(4, 1, 0);
  EXPECT_EMBER_ERROR(data::DataLoader(ds, {.shuffle = true, .sampler = s}), "DataLoader", "shuffle", "sampler");
  auto too_big = std::make_shared<dist::DistributedSampler>(9, 1, 0);  // indices up to 8 for 4 examples
  data::DataLoader loader(ds, {.batch_size = 2, .sampler = too_big});
  EXPECT_EMBER_ERROR(loader.begin(), "DataLoader", "sampler returned index", "outside the dataset of 4");
}

// ---- the "single" backend ----

TEST(SingleProcessGroup, CollectivesAreTheIdentityInAWorldOfOne) {
  auto pg = dist::new_single_process_group();
  EXPECT_EQ(pg->rank(), 0);
  EXPECT_EQ(pg->size(), 1);
  EXPECT_EQ(pg->backend(), "single");
  Tensor t = tensor({1.f, 2.f, 3.f});
  for (auto op : {dist::ReduceOp::Sum, dist::ReduceOp::Avg, dist::ReduceOp::Max, dist::ReduceOp::Product}) {
    pg->allreduce(t, op);
    EXPECT_EQ(t.to_vector<float>(), (std::vector<float>{1, 2, 3}));
  }
  pg->broadcast(t, 0);
  Tensor g = pg->allgather(t);
  EXPECT_EQ(g.shape(), (Shape{1, 3}));
  EXPECT_EQ(g.to_vector<float>(), (std::vector<float>{1, 2, 3}));
  Tensor out = zeros({3});
  pg->reduce_scatter(out, t);
  EXPECT_EQ(out.to_vector<float>(), (std::vector<float>{1, 2, 3}));
  pg->barrier();
  EXPECT_TRUE(pg->allreduce_async(t)->is_completed());
}

TEST(SingleProcessGroup, BadArgumentsAreNamed) {
  auto pg = dist::new_single_process_group();
  Tensor m = zeros({3, 4});
  EXPECT_EMBER_ERROR(pg->allreduce(m.t()), "allreduce", "not contiguous", "[4, 3]");
  EXPECT_EMBER_ERROR(pg->allreduce(zeros({2}, kBool)), "allreduce", "bool", "float32");
  EXPECT_EMBER_ERROR(pg->allreduce(zeros({2}, kInt64), dist::ReduceOp::Avg), "Avg", "int64", "ReduceOp::Sum");
  EXPECT_EMBER_ERROR(pg->broadcast(m, 1), "broadcast", "root rank 1", "1 process");
  EXPECT_EMBER_ERROR(pg->allgather(zeros({5}), zeros({4})), "allgather", "1 * 4", "[5]");
  EXPECT_EMBER_ERROR(pg->allgather(zeros({4}), zeros({4}, kInt64)), "allgather", "dtypes differ");
  EXPECT_EMBER_ERROR(pg->reduce_scatter(zeros({2}), zeros({3})), "reduce_scatter", "1 * 2", "[3]");
  Tensor leaf = zeros({2}).requires_grad_();
  EXPECT_EMBER_ERROR(pg->allreduce(leaf), "allreduce", "requires grad", "NoGradGuard");
  EXPECT_EMBER_ERROR(pg->allreduce(Tensor()), "allreduce", "undefined");
  EXPECT_EMBER_ERROR(pg->set_timeout_seconds(0), "timeout", "positive");
}

TEST(ProcessGroupFactory, APlainProcessGetsAWorldOfOneAndNeverLoadsMpi) {
  if (dist::launched_by_mpi()) GTEST_SKIP() << "started by mpirun";
  auto pg = dist::init_process_group();
  EXPECT_EQ(pg->backend(), "single");
  EXPECT_EQ(dist::init_process_group("auto"), pg);  // one default group per process
  EXPECT_EQ(dist::default_process_group(), pg);
  (void)dist::available_backends();  // looks for the plugin without loading it
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) EXPECT_EQ(line.find("libmpi"), std::string::npos) << line;
  EXPECT_EMBER_ERROR(dist::init_process_group("mpi"), "already uses backend 'single'", "only once per process");
}

TEST(ProcessGroupFactory, UnbuiltAndUnknownBackendsAreNamed) {
  EXPECT_EMBER_ERROR(dist::init_process_group("nccl"), "nccl", "not built", "mpi");
  EXPECT_EMBER_ERROR(dist::init_process_group("gloo"), "unknown backend 'gloo'", "auto");
  EXPECT_NE(dist::available_backends().find("single"), std::string::npos);
}

// ---- DistributedDataParallel in a world of one ----

TEST(DistributedDataParallel, BucketsFollowPyTorchsAssignment) {
  auto net = std::make_shared<models::MnistCNN>();
  dist::DistributedDataParallel ddp(net, dist::new_single_process_group());
  // Reverse order; the first bucket closes once it reaches 1 MiB (fc1.weight takes it past).
  auto buckets = ddp.bucket_parameter_names();
  ASSERT_EQ(buckets.size(), 2u);
  EXPECT_EQ(buckets[0], (std::vector<std::string>{"fc2.bias", "fc2.weight", "fc1.bias", "fc1.weight"}));
  EXPECT_EQ(buckets[1], (std::vector<std::string>{"conv2.bias", "conv2.weight", "conv1.bias", "conv1.weight"}));
  EXPECT_EQ(ddp.stats().bytes_per_iteration, net->num_parameters() * 4);
  // Small caps: one bucket per parameter here (each is at least 4 bytes).
  dist::DistributedDataParallel tiny(net, dist::new_single_process_group(),
                                     {.bucket_cap_mb = 1e-6, .first_bucket_cap_mb = 1e-6});
  EXPECT_EQ(tiny.bucket_parameter_names().size(), 8u);
  // PyTorch's state_dict keys under the wrapper.
  EXPECT_EQ(ddp.state_dict()[0].first, "module.conv1.weight");
}

TEST(DistributedDataParallel, AWorldOfOneTrainsExactlyAsThePlainModule) {
  manual_seed(5);
  auto a = std::make_shared<nn::Linear>(6, 3);
  auto b = std::make_shared<nn::Linear>(6, 3);
  b->load_state_dict(a->state_dict());
  dist::DistributedDataParallel ddp(b, dist::new_single_process_group());
  optim::SGD oa(a->parameters(), optim::SGDOptions(0.1).momentum(0.9));
  optim::SGD ob(ddp.parameters(), optim::SGDOptions(0.1).momentum(0.9));
  for (int step = 0; step < 3; ++step) {
    Tensor x = randn({4, 6});
    oa.zero_grad();
    ob.zero_grad();
    a->forward(x).square().sum().backward();
    ddp.forward(x).square().sum().backward();
    oa.step();
    ob.step();
  }
  EXPECT_EQ(a->weight.to_vector<float>(), b->weight.to_vector<float>());
  EXPECT_EQ(ddp.stats().iterations, 0);  // nothing to average with
}

TEST(DistributedDataParallel, HooksGoAwayWithTheWrapper) {
  auto net = std::make_shared<nn::Linear>(2, 2);
  {
    dist::DistributedDataParallel ddp(net, dist::new_single_process_group());
    EXPECT_EQ(net->weight.impl().post_accumulate_hooks.size(), 1u);
  }
  EXPECT_EQ(net->weight.impl().post_accumulate_hooks.size(), 0u);
}

TEST(DistributedDataParallel, BadArgumentsAreNamed) {
  auto pg = dist::new_single_process_group();
  EXPECT_EMBER_ERROR(dist::DistributedDataParallel(nullptr, pg), "DistributedDataParallel", "null");
  auto net = std::make_shared<nn::Linear>(2, 2);
  EXPECT_EMBER_ERROR(dist::DistributedDataParallel(net, pg, {.bucket_cap_mb = 0}), "bucket_cap_mb", "positive");
  EXPECT_EMBER_ERROR(dist::DistributedDataParallel(net, pg, {.first_bucket_cap_mb = -1}), "first_bucket_cap_mb");
}

// ---- ZeroRedundancyOptimizer in a world of one ----

namespace {
dist::ShardOptimizerFactory adam(double lr, double wd = 0) {
  return [lr, wd](std::vector<Tensor> shard) {
    return std::make_unique<optim::Adam>(std::move(shard), optim::AdamOptions(lr).weight_decay(wd));
  };
}
}  // namespace

TEST(ZeroRedundancyOptimizer, MatchesAdamBitForBitAndItsStateDict) {
  manual_seed(2);
  auto mlp = [] {
    return std::make_shared<nn::Sequential>(std::initializer_list<std::shared_ptr<nn::Module>>{
        std::make_shared<nn::Linear>(5, 4), std::make_shared<nn::Tanh>(), std::make_shared<nn::Linear>(4, 2)});
  };
  auto a = mlp(), b = mlp();
  b->load_state_dict(a->state_dict());
  optim::Adam plain(a->parameters(), optim::AdamOptions(0.01).weight_decay(0.1));
  dist::ZeroRedundancyOptimizer zero(b->parameters(), adam(0.01, 0.1), dist::new_single_process_group());
  for (int step = 0; step < 4; ++step) {
    Tensor x = randn({3, 5});
    plain.zero_grad();
    zero.zero_grad();
    a->forward(x).square().mean().backward();
    b->forward(x).square().mean().backward();
    plain.step();
    zero.step();
  }
  auto pa = a->parameters(), pb = b->parameters();
  for (size_t i = 0; i < pa.size(); ++i) EXPECT_EQ(pa[i].to_vector<float>(), pb[i].to_vector<float>()) << i;
  auto sa = plain.state_dict(), sb = zero.state_dict();
  EXPECT_EQ(sb.optimizer, "Adam");
  ASSERT_EQ(sa.state.size(), sb.state.size());
  for (auto& [id, entries] : sa.state)
    for (auto& [name, t] : entries) {
      ASSERT_TRUE(sb.state[id].count(name)) << id << " " << name;
      EXPECT_EQ(t.shape(), sb.state[id][name].shape()) << id << " " << name;
      EXPECT_EQ(t.to(kFloat64).to_vector<double>(), sb.state[id][name].to(kFloat64).to_vector<double>()) << id << name;
    }
  // Two moments, and a step counter for each parameter's view.
  EXPECT_EQ(zero.local_state_bytes(), (2 * b->num_parameters() + 4) * 4);
  // Plain Adam's state dict restores a ZeRO optimizer (and so checkpoints move between them).
  dist::ZeroRedundancyOptimizer again(b->parameters(), adam(0.5), dist::new_single_process_group());
  again.load_state_dict(sa);
  EXPECT_EQ(again.param_groups()[0].lr(), 0.01);
  EXPECT_EQ(again.state_dict().state.at(3).at("exp_avg_sq").to_vector<float>(),
            sa.state.at(3).at("exp_avg_sq").to_vector<float>());
}

TEST(ZeroRedundancyOptimizer, BadUseIsNamed) {
  auto pg = dist::new_single_process_group();
  auto lin = std::make_shared<nn::Linear>(3, 2);
  EXPECT_EMBER_ERROR(dist::ZeroRedundancyOptimizer(lin->parameters(), nullptr, pg), "ZeroRedundancyOptimizer", "factory");
  Tensor other = zeros({2}).requires_grad_();
  EXPECT_EMBER_ERROR(dist::ZeroRedundancyOptimizer(
                         lin->parameters(), [&](std::vector<Tensor>) { return std::make_unique<optim::SGD>(std::vector<Tensor>{other}, optim::SGDOptions(0.1)); }, pg),
                     "exactly the shard tensors");
  Tensor d = zeros({2}, kFloat64).requires_grad_();
  EXPECT_EMBER_ERROR(dist::ZeroRedundancyOptimizer({lin->weight, d}, adam(0.1), pg), "mixes dtypes", "float64");
  dist::ZeroRedundancyOptimizer z(lin->parameters(), adam(0.1), pg);
  lin->forward(randn({1, 3})).sum().backward();
  lin->bias.set_grad(Tensor());  // one parameter of the group without a gradient
  EXPECT_EMBER_ERROR(z.step(), "parameter 1", "no gradient", "requires_grad_(false)");
  optim::OptimizerStateDict sd = z.state_dict();
  sd.optimizer = "SGD";
  EXPECT_EMBER_ERROR(z.load_state_dict(sd), "saved by SGD", "Adam");
}

// ---- Context in a world of one ----

TEST(DistributedContext, AWorldOfOnePassesEverythingThrough) {
  dist::Context ctx(dist::new_single_process_group());
  EXPECT_TRUE(ctx.is_main());
  std::ostringstream os;
  ctx.out(os) << "hello";
  EXPECT_EQ(os.str(), "hello");
  EXPECT_EQ(ctx.sum(std::vector<double>{1.5, 2}), (std::vector<double>{1.5, 2}));
  EXPECT_EQ(ctx.max(3.0), 3.0);
  EXPECT_EQ(ctx.train_sampler(10, 1)->size(), 10);
  EXPECT_EQ(ctx.eval_sampler(10)->indices(0).front(), 0);
  auto lin = std::make_shared<nn::Linear>(2, 2);
  auto opt = ctx.make_optimizer(lin->parameters(), adam(0.1), true);
  EXPECT_NE(dynamic_cast<dist::ZeroRedundancyOptimizer*>(opt.get()), nullptr);
}
