// zero_memory: what ZeRO-1 saves per rank. The shakespeare-gpt recipe's training step (GPT, AdamW
// in two param groups, DDP, gradient clipping) at a chosen width, under mpirun, with the whole
// optimizer state on every rank or sharded (--zero 1). Prints, per rank, one line:
//   RESULT zero_memory ranks=2 zero=1 rank=0 params=... opt_state_bytes=... peak_rss_mb=...
// opt_state_bytes: the optimizer state this rank holds (AdamW's two moments and step counters),
// from the state tensors themselves (ZeroRedundancyOptimizer::local_state_bytes() when sharded).
// peak_rss_mb: getrusage's maximum resident set of the process, after the steps.
// weights_abs_sum: sum of |w| over the trained weights (the same with and without --zero).
//   mpirun -np 2 build/bench/zero_memory [--n-embd 512] [--n-layer 4] [--steps 3] [--zero 0|1]
// bench/zero_memory.sh runs both and prints the saving.
#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "ember/distributed/distributed.h"
#include "ember/models/gpt.h"
#include "ember/ops.h"
#include "ember/optim/adam.h"
#include "ember/optim/clip.h"

using namespace ember;
namespace dist = ember::distributed;

namespace {

int64_t arg(int argc, char** argv, const char* name, int64_t def) {
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], name) == 0) return std::atoll(argv[i + 1]);
  return def;
}

int64_t state_bytes(const optim::Optimizer& opt, const std::vector<Tensor>& params) {
  if (auto* z = dynamic_cast<const dist::ZeroRedundancyOptimizer*>(&opt)) return z->local_state_bytes();
  int64_t bytes = 0;
  for (const Tensor& p : params)
    if (const optim::ParamState* st = opt.state(p))
      for (auto& [n, t] : *st) bytes += t.numel() * static_cast<int64_t>(t.element_size());
  return bytes;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    auto pg = dist::init_process_group();
    const bool zero = arg(argc, argv, "--zero", 0) != 0;
    const int64_t steps = arg(argc, argv, "--steps", 3), B = arg(argc, argv, "--batch-size", 4);
    models::GPTConfig mc = models::GPTConfig::shakespeare();
    mc.n_embd = arg(argc, argv, "--n-embd", 512);
    mc.n_layer = arg(argc, argv, "--n-layer", 4);
    mc.n_head = arg(argc, argv, "--n-head", 8);
    manual_seed(1337);
    auto model = std::make_shared<models::GPT>(mc);
    auto [decay, no_decay] = model->decay_groups();
    auto base = optim::AdamWOptions(1e-3).betas(0.9, 0.99).weight_decay(0.1);
    std::vector<optim::ParamGroup> groups = {optim::ParamGroup(decay),
                                             optim::ParamGroup(no_decay, optim::AdamWOptions(1e-3).weight_decay(0.0))};
    std::unique_ptr<optim::Optimizer> opt;
    if (zero)
      opt = std::make_unique<dist::ZeroRedundancyOptimizer>(
          groups, [base](std::vector<Tensor> s) { return std::make_unique<optim::AdamW>(std::move(s), base); }, pg);
    else
      opt = std::make_unique<optim::AdamW>(groups, base);
    dist::DistributedDataParallel ddp(model, pg, {.gradient_as_bucket_view = true});
    auto params = model->parameters();
    Generator gen(1 + static_cast<uint64_t>(pg->rank()));
    for (int64_t s = 0; s < steps; ++s) {
      opt->zero_grad();
      Tensor x = randint(0, mc.vocab_size, {B, mc.block_size}, kInt64, &gen);  // (B, T)
      Tensor y = randint(0, mc.vocab_size, {B, mc.block_size}, kInt64, &gen);  // (B, T)
      ddp.pre_forward();
      Tensor loss = model->loss(x, y);
      loss.backward();
      nn::utils::clip_grad_norm_(params, 1.0);
      opt->step();
    }
    // A checksum of the trained weights: sharded or not, the steps must agree (ZeRO's update is
    // elementwise; its gather runs in chunks at this size).
    double checksum = 0;
    for (const Tensor& p : params) checksum += p.detach().to(kFloat64).abs().sum().item<double>();
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    // One line per rank, in rank order.
    for (int r = 0; r < pg->size(); ++r) {
      if (r == pg->rank())
        std::printf("RESULT zero_memory ranks=%d zero=%d rank=%d params=%lld opt_state_bytes=%lld peak_rss_mb=%.1f "
                    "weights_abs_sum=%.9g\n",
                    pg->size(), zero ? 1 : 0, r, static_cast<long long>(model->num_parameters()),
                    static_cast<long long>(state_bytes(*opt, params)), static_cast<double>(ru.ru_maxrss) / 1024.0, checksum);
      std::fflush(stdout);
      pg->barrier();
    }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "zero_memory: %s\n", e.what());
    return 1;
  }
}
