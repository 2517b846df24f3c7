// optim::StepInBackward: the optimizer step inside backward gives exactly the parameters of the
// usual zero_grad / backward / step loop, frees the gradients, and its hooks go away with it.
#include <gtest/gtest.h>

#include "ember/models/gpt.h"
#include "ember/nn/layers.h"
#include "ember/ops.h"
#include "ember/optim/adam.h"
#include "ember/optim/sgd.h"
#include "ember/optim/step_in_backward.h"
#include "op_registry.h"

using namespace ember;

namespace {

models::GPTConfig tiny() {
  return {.vocab_size = 50, .block_size = 16, .n_layer = 2, .n_head = 2, .n_embd = 16};
}

// AdamW with decay and no-decay groups (as the GPT benchmark and recipe build it).
std::unique_ptr<optim::AdamW> make_adamw(models::GPT& m) {
  auto [decay, no_decay] = m.decay_groups();
  return std::make_unique<optim::AdamW>(
      std::vector<optim::ParamGroup>{optim::ParamGroup(decay),
                                     optim::ParamGroup(no_decay, optim::AdamWOptions(3e-3).weight_decay(0.0))},
      optim::AdamWOptions(3e-3).betas(0.9, 0.95).weight_decay(0.1));
}

}  // namespace

TEST(StepInBackward, GPTAdamWMatchesStepAfterBackwardExactly) {
  manual_seed(3);
  models::GPT a(tiny());
  manual_seed(3);
  models::GPT b(tiny());
  auto opt_a = make_adamw(a), opt_b = make_adamw(b);
  optim::StepInBackward fused(*opt_b);
  Generator data(7);
  for (int step = 0; step < 3; ++step) {
    Tensor x = randint(0, 50, {2, 16}, DType::Int64, &data), y = randint(0, 50, {2, 16}, DType::Int64, &data);
    opt_a->zero_grad();
    Tensor la = a.loss(x, y);
    la.backward();
    opt_a->step();
    Tensor lb = b.loss(x, y);
    lb.backward();
    EXPECT_EQ(la.item(), lb.item()) << "step " << step;
    auto pa = a.named_parameters(), pb = b.named_parameters();
    ASSERT_EQ(pa.size(), pb.size());
    for (size_t i = 0; i < pa.size(); ++i) {
      EXPECT_TRUE(equal(pa[i].second, pb[i].second)) << pa[i].first << " differs after step " << step;
      EXPECT_FALSE(pb[i].second.grad().defined()) << pa[i].first << " kept its gradient";
    }
  }
  // The tied wte weight was updated once per step (its two gradient contributions summed first).
  EXPECT_EQ(opt_b->state(b.wte->weight)->at("step").item(), 3.0);
}

TEST(StepInBackward, SGDMomentumOnAWeightUsedTwice) {
  manual_seed(1);
  Tensor wa = randn({4, 3}).requires_grad_(), wb = wa.detach().clone().requires_grad_();
  optim::SGD sa({wa}, optim::SGDOptions(0.1).momentum(0.9));
  optim::SGD sb({wb}, optim::SGDOptions(0.1).momentum(0.9));
  optim::StepInBackward fused(sb);
  Tensor x = randn({2, 4});
  for (int step = 0; step < 2; ++step) {
    sa.zero_grad();
    (mm(x, wa).sum() + (wa * wa).sum()).backward();
    sa.step();
    (mm(x, wb).sum() + (wb * wb).sum()).backward();
    EXPECT_TRUE(equal(wa, wb)) << "step " << step;
  }
}

TEST(StepInBackward, DestructorRemovesTheHooks) {
  Tensor w = ones({3}).requires_grad_();
  optim::SGD sgd({w}, optim::SGDOptions(0.5));
  {
    optim::StepInBackward fused(sgd);
    (w * w).sum().backward();
    EXPECT_TRUE(allclose(w, full({3}, 0.0)));  // 1 - 0.5 * 2
    EXPECT_FALSE(w.grad().defined());
  }
  EXPECT_TRUE(w.impl().post_accumulate_hooks.empty());
  (w * 2.0).sum().backward();
  EXPECT_TRUE(w.grad().defined());  // no step any more: the gradient stays
  EXPECT_TRUE(allclose(w, full({3}, 0.0)));
}

TEST(StepInBackward, Errors) {
  Tensor w = ones({3}).requires_grad_();
  optim::SGD sgd({w}, optim::SGDOptions(0.5));
  optim::StepInBackward fused(sgd);
  EXPECT_EMBER_ERROR(optim::StepInBackward again(sgd), "StepInBackward", "already stepped in backward", "[3]");
  Tensor other = ones({2, 2}).requires_grad_();
  EXPECT_EMBER_ERROR(sgd.step_parameter(other), "SGD", "step_parameter", "[2, 2]", "not in any");
}
