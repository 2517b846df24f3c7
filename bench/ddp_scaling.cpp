// ddp_scaling: data-parallel scaling of the seed CNN, and the MPI allreduce bandwidth.
// Run under mpirun (bench/ddp_scaling.sh drives it and prints the ratio):
//   ddp_scaling train [--global-batch 64] [--steps 40] [--warmup 5] [--first-bucket-mb 1] [--bucket-mb 25]
//                     [--bucket-view 1] [--independent 0]
//   ddp_scaling allreduce [--mb 100] [--reps 7]
// train: the seed CNN, SGD (lr 0.01, momentum 0.9), MNIST batches of global_batch / ranks per rank
// (DistributedSampler), loaded before timing so the loader is not measured. Prints, on rank 0,
// one line: images/s over the timed steps; the median step (wall and process CPU time, the latter
// less disturbed when other jobs share the cores); the median time the backward thread
// spent in DDP's gradient hooks (copies, launches, polls that move MPI forward) and waiting at the
// end of backward (communication not overlapped with backward, plus waiting for the slower
// rank); and the time one allreduce of all the gradients takes on its own.
// --bucket-view 0|1: DDPOptions::gradient_as_bucket_view (default 1, as the mnist-cnn recipe).
// --independent 1: no communication; each rank trains alone on its shard (the scaling ceiling).
// DDP_SCALING_PHASES=1: every rank also prints its median forward, backward and optimizer times.
// allreduce: median time of an in-place float32 allreduce of --mb megabytes (10^6 bytes).
#include <algorithm>
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "ember/data/dataloader.h"
#include "ember/data/mnist.h"
#include "ember/data/transforms.h"
#include "ember/distributed/distributed.h"
#include "ember/models/mnist_cnn.h"
#include "ember/ops.h"
#include "ember/optim/sgd.h"
#include "ember/parallel.h"

using namespace ember;
namespace dist = ember::distributed;
using clock_type = std::chrono::steady_clock;

namespace {

double arg(int argc, char** argv, const char* name, double def) {
  for (int i = 2; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], name) == 0) return std::atof(argv[i + 1]);
  return def;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

// This process's CPU time (all threads): less disturbed than wall time on a shared machine.
double cpu_seconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

// Median seconds of an allreduce of t, each started together after a barrier.
double time_allreduce(dist::ProcessGroup& pg, Tensor& t, int reps) {
  std::vector<double> times;
  for (int i = 0; i < reps + 1; ++i) {
    pg.barrier();
    auto t0 = clock_type::now();
    pg.allreduce(t, dist::ReduceOp::Sum);
    if (i > 0) times.push_back(seconds_since(t0));  // the first call warms the transport up
  }
  return median(times);
}

int train(int argc, char** argv, dist::ProcessGroup& pg) {
  const int W = pg.size(), r = pg.rank();
  const int64_t global = static_cast<int64_t>(arg(argc, argv, "--global-batch", 64));
  const int steps = static_cast<int>(arg(argc, argv, "--steps", 40));
  const int warmup = static_cast<int>(arg(argc, argv, "--warmup", 5));
  EMBER_CHECK(global % W == 0, "ddp_scaling", "--global-batch ", global, " must divide by the ", W, " ranks");
  const int64_t B = global / W;

  auto mnist = std::make_shared<data::MNIST>("", true, data::Normalize({0.1307}, {0.3081}));
  auto sampler = std::make_shared<dist::DistributedSampler>(mnist->size(), pg, dist::DistributedSamplerOptions{.seed = 1});
  data::DataLoader loader(mnist, {.batch_size = B, .sampler = sampler});
  std::vector<data::Batch> batches;
  for (const data::Batch& b : loader) {
    batches.push_back(b);
    if (static_cast<int>(batches.size()) == warmup + steps) break;
  }

  manual_seed(1);
  auto net = std::make_shared<models::MnistCNN>();
  dist::DDPOptions o;
  o.bucket_cap_mb = arg(argc, argv, "--bucket-mb", 25);
  o.first_bucket_cap_mb = arg(argc, argv, "--first-bucket-mb", 1);
  o.gradient_as_bucket_view = arg(argc, argv, "--bucket-view", 1) != 0;  // as the mnist-cnn recipe
  // --independent 1: no DDP, no communication: each rank trains its own copy on its own shard,
  // which measures how far N processes can run in parallel on this machine at all (the ceiling).
  const bool independent = arg(argc, argv, "--independent", 0) != 0;
  std::shared_ptr<dist::ProcessGroup> solo = independent ? dist::new_single_process_group() : nullptr;
  dist::DistributedDataParallel ddp(net, independent ? solo : dist::init_process_group(), o);
  optim::SGD opt(net->parameters(), optim::SGDOptions(0.01).momentum(0.9));
  std::vector<double> fwd_s, bwd_s, opt_s;
  auto step = [&](const data::Batch& b) {
    auto a = clock_type::now();
    opt.zero_grad();
    Tensor loss = cross_entropy(ddp.forward(b.data), b.target);  // (B, 10) -> scalar
    auto f = clock_type::now();
    loss.backward();
    auto g = clock_type::now();
    opt.step();
    fwd_s.push_back(std::chrono::duration<double>(f - a).count());
    bwd_s.push_back(std::chrono::duration<double>(g - f).count());
    opt_s.push_back(seconds_since(g));
  };
  for (int i = 0; i < warmup; ++i) step(batches[static_cast<size_t>(i)]);
  fwd_s.clear(), bwd_s.clear(), opt_s.clear();
  std::vector<double> step_s, wait_s, hook_s, cpu_s;
  pg.barrier();
  auto t0 = clock_type::now();
  for (int i = warmup; i < warmup + steps; ++i) {
    auto s0 = clock_type::now();
    double c0 = cpu_seconds();
    step(batches[static_cast<size_t>(i)]);
    step_s.push_back(seconds_since(s0));
    cpu_s.push_back(cpu_seconds() - c0);
    wait_s.push_back(ddp.stats().last_wait_seconds);
    hook_s.push_back(ddp.stats().last_hook_seconds);
  }
  pg.barrier();
  double total = seconds_since(t0);
  // All the gradients in one allreduce, alone: what a step would pay without any overlap.
  Tensor grads = zeros({ddp.stats().bytes_per_iteration / 4});
  double serial = W > 1 ? time_allreduce(pg, grads, 20) : 0.0;
  if (std::getenv("DDP_SCALING_PHASES"))
    std::printf("PHASES rank=%d fwd_ms=%.3f bwd_ms=%.3f opt_ms=%.3f hook_ms=%.3f wait_ms=%.3f\n", r, 1e3 * median(fwd_s),
                1e3 * median(bwd_s), 1e3 * median(opt_s), 1e3 * median(hook_s), 1e3 * median(wait_s));
  if (r == 0)
    std::printf("RESULT train ranks=%d threads=%d global_batch=%lld buckets=%lld img_per_s=%.1f step_ms=%.3f "
                "cpu_ms=%.3f hook_ms=%.3f wait_ms=%.3f comm_share=%.4f serial_allreduce_ms=%.3f grad_mb=%.2f\n",
                W, get_num_threads(), static_cast<long long>(global), static_cast<long long>(ddp.stats().buckets),
                steps * global / total, 1e3 * median(step_s), 1e3 * median(cpu_s), 1e3 * median(hook_s), 1e3 * median(wait_s),
                (median(hook_s) + median(wait_s)) / median(step_s), 1e3 * serial, ddp.stats().bytes_per_iteration / 1e6);
  return 0;
}

int allreduce(int argc, char** argv, dist::ProcessGroup& pg) {
  const double mb = arg(argc, argv, "--mb", 100);
  const int reps = static_cast<int>(arg(argc, argv, "--reps", 7));
  Tensor t = ones({static_cast<int64_t>(mb * 1e6 / 4)});
  double s = time_allreduce(pg, t, reps);
  const int W = pg.size();
  if (pg.rank() == 0)
    // algbw: bytes / time; busbw: what each link carries in a ring allreduce, 2 (W - 1) / W of it.
    std::printf("RESULT allreduce ranks=%d mb=%.0f ms=%.2f algbw_gbps=%.3f busbw_gbps=%.3f\n", W, mb, 1e3 * s,
                mb / 1e3 / s, mb / 1e3 / s * 2.0 * (W - 1) / W);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  try {
    auto pg = dist::init_process_group();
    if (mode == "train") return train(argc, argv, *pg);
    if (mode == "allreduce") return allreduce(argc, argv, *pg);
    std::fprintf(stderr, "usage: ddp_scaling train|allreduce [options] (run under mpirun)\n");
    return 2;
  } catch (const std::exception& e) {
    dist::abort_job_on_error(e.what());
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
