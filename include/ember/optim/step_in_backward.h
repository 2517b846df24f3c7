#pragma once
// The optimizer step fused into backward (PyTorch's "optimizer step in backward" recipe built on
// register_post_accumulate_grad_hook): each parameter is updated as soon as backward has its final
// gradient, and that gradient is then dropped, so the full set of gradients never exists at once.
// For a given loss this gives the same parameters as backward() followed by opt.step() (the same
// elementwise update per parameter), as long as nothing needs all the gradients together: global
// gradient clipping, gradient accumulation over several backward passes and reading .grad after
// backward do not work with it.
//
//   optim::AdamW opt(...);
//   optim::StepInBackward fused(opt);   // installs the hooks; its destructor removes them
//   for (...) { model.loss(x, y).backward(); }   // no opt.step(), no zero_grad()
#include <memory>
#include <vector>

#include "ember/optim/optimizer.h"

namespace ember::optim {

class StepInBackward {
 public:
  // Hooks every parameter of `opt`'s groups; `opt` must outlive this object. Throws ember::Error
  // when a parameter already has gradient hooks of another StepInBackward.
  explicit StepInBackward(Optimizer& opt);
  ~StepInBackward();
  StepInBackward(const StepInBackward&) = delete;
  StepInBackward& operator=(const StepInBackward&) = delete;

 private:
  Optimizer& opt_;
  std::vector<std::weak_ptr<TensorImpl>> params_;
};

}  // namespace ember::optim
