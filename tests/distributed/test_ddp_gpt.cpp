// DDP (and ZeRO-1) on the shakespeare-gpt recipe's training step: N ranks with batch 12 / N each
// end, after a few steps, with the parameters of one process with batch 12 (max |difference|
// <= 1e-5). The step is the recipe's: GPT loss, AdamW in two param groups (weight decay on the
// 2-D weights only; the recipe's lr 1e-3), gradient clipping to norm 1.
#include "dist_test_util.h"
#include "ember/models/gpt.h"
#include "ember/optim/adam.h"
#include "ember/optim/clip.h"

using namespace ember;
namespace dist = ember::distributed;
using ember::test::max_abs_diff;
using ember::test::same_on_every_rank;
using ember::test::world;
using ember::test::world_ptr;

namespace {

constexpr int64_t kGlobalBatch = 12, kSteps = 4;

models::GPTConfig tiny_gpt() {
  return {.vocab_size = 65, .block_size = 16, .n_layer = 2, .n_head = 2, .n_embd = 32, .dropout = 0.0};
}

// ddp false: one process alone on the whole batch (the reference); else DDP over the world,
// this rank taking its contiguous share of each global batch.
std::vector<Tensor> train_gpt(bool ddp, bool zero) {
  manual_seed(1);
  const models::GPTConfig mc = tiny_gpt();
  auto model = std::make_shared<models::GPT>(mc);
  auto [decay, no_decay] = model->decay_groups();
  auto base = optim::AdamWOptions(1e-3).betas(0.9, 0.99).weight_decay(0.1);
  std::vector<optim::ParamGroup> groups = {optim::ParamGroup(decay),
                                           optim::ParamGroup(no_decay, optim::AdamWOptions(1e-3).weight_decay(0.0))};
  std::unique_ptr<optim::Optimizer> opt;
  if (zero)
    opt = std::make_unique<dist::ZeroRedundancyOptimizer>(
        groups, [base](std::vector<Tensor> s) { return std::make_unique<optim::AdamW>(std::move(s), base); }, world_ptr());
  else
    opt = std::make_unique<optim::AdamW>(groups, base);
  std::shared_ptr<dist::DistributedDataParallel> wrapped;
  if (ddp) wrapped = std::make_shared<dist::DistributedDataParallel>(model, world_ptr(), dist::DDPOptions{.gradient_as_bucket_view = true});
  const int W = ddp ? world().size() : 1, r = ddp ? world().rank() : 0;
  const int64_t per_rank = kGlobalBatch / W;
  auto params = model->parameters();
  for (int64_t s = 0; s < kSteps; ++s) {
    Generator gen(100 + static_cast<uint64_t>(s));  // the same global batch on every rank
    Tensor x = randint(0, mc.vocab_size, {kGlobalBatch, mc.block_size}, kInt64, &gen);  // (12, T)
    Tensor y = randint(0, mc.vocab_size, {kGlobalBatch, mc.block_size}, kInt64, &gen);  // (12, T)
    opt->zero_grad();
    if (wrapped) wrapped->pre_forward();
    Tensor loss = model->loss(x.narrow(0, r * per_rank, per_rank), y.narrow(0, r * per_rank, per_rank));
    loss.backward();
    nn::utils::clip_grad_norm_(params, 1.0);
    opt->step();
  }
  std::vector<Tensor> out;
  for (auto& p : params) out.push_back(p.detach().clone());
  return out;
}

}  // namespace

TEST(DistributedDataParallel, GptMatchesOneProcessWithTheGlobalBatchWithAndWithoutZero) {
  ASSERT_EQ(kGlobalBatch % world().size(), 0) << "run with a rank count that divides 12";
  const std::vector<Tensor> reference = train_gpt(/*ddp=*/false, /*zero=*/false);
  for (bool zero : {false, true}) {
    SCOPED_TRACE(zero ? "zero" : "ddp");
    const std::vector<Tensor> got = train_gpt(/*ddp=*/true, zero);
    EXPECT_TRUE(same_on_every_rank(got));
    // float32 sums in another order (two half-batch means averaged vs one mean): ~1e-7 per step.
    EXPECT_LE(max_abs_diff(got, reference), 1e-5);
    // The parameters moved: a comparison of untrained weights would prove nothing.
    manual_seed(1);
    models::GPT init(tiny_gpt());
    EXPECT_GT(max_abs_diff(got, init.parameters()), 1e-3);
  }
}
