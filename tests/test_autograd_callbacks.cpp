// autograd::queue_callback and post-accumulate hooks: the two engine features DDP builds on.
#include <gtest/gtest.h>

#include "ember/autograd.h"
#include "ember/ops.h"
#include "op_registry.h"

using namespace ember;

TEST(AutogradCallbacks, QueuedCallbackRunsOnceAfterEveryGradientIsAccumulated) {
  Tensor a = tensor({1.f, 2.f}).requires_grad_();
  Tensor b = tensor({3.f}).requires_grad_();
  std::vector<std::string> events;
  int queued = 0;
  auto hook = [&](const char* name) {
    return [&, name](TensorImpl&) {
      events.push_back(name);
      if (queued++ == 0) autograd::queue_callback([&] { events.push_back("callback"); });
    };
  };
  a.impl().post_accumulate_hooks.push_back(hook("a"));
  b.impl().post_accumulate_hooks.push_back(hook("b"));
  ((a * 2).sum() + (b * b).sum()).backward();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events.back(), "callback");  // after both leaves' hooks
  EXPECT_EQ(a.grad().to_vector<float>(), (std::vector<float>{2, 2}));
  // The list belongs to that backward pass: the next one starts empty.
  queued = 1;
  events.clear();
  (a * 3).sum().backward();
  EXPECT_EQ(events, (std::vector<std::string>{"a"}));
}

TEST(AutogradCallbacks, QueueingOutsideBackwardIsAnError) {
  EXPECT_EMBER_ERROR(autograd::queue_callback([] {}), "queue_callback", "no backward pass is running");
}

TEST(AutogradCallbacks, AnErrorInACallbackReachesTheBackwardCaller) {
  Tensor a = tensor({1.f}).requires_grad_();
  a.impl().post_accumulate_hooks.push_back([](TensorImpl&) {
    autograd::queue_callback([] { throw Error("callback: failed on purpose"); });
  });
  EXPECT_EMBER_ERROR((a * 2).sum().backward(), "failed on purpose");
  a.impl().post_accumulate_hooks.clear();
  (a * 2).sum().backward();  // the engine is usable afterwards
  EXPECT_EQ(a.grad().item<float>(), 4.f);
}
