// The optimizer step inside backward: a post-accumulate-grad hook per parameter.
#include "ember/optim/step_in_backward.h"

#include <algorithm>

namespace ember::optim {

namespace {

// The hook; a named type so that the destructor can find and remove exactly these hooks. It holds
// the parameter weakly: a strong reference stored inside the parameter would keep it alive forever.
struct StepHook {
  const StepInBackward* owner;
  Optimizer* opt;
  std::weak_ptr<TensorImpl> param;
  void operator()(TensorImpl&) const {
    auto impl = param.lock();
    if (!impl) return;
    Tensor p(impl);
    opt->step_parameter(p);
    p.set_grad(Tensor());  // the gradient is spent: free it now rather than at the next zero_grad
  }
};

bool is_step_hook(const std::function<void(TensorImpl&)>& h) { return h.target<StepHook>() != nullptr; }

}  // namespace

StepInBackward::StepInBackward(Optimizer& opt) : opt_(opt) {
  for (auto& g : opt.param_groups())
    for (auto& p : g.params()) {
      auto& hooks = p.impl().post_accumulate_hooks;
      EMBER_CHECK(std::none_of(hooks.begin(), hooks.end(), is_step_hook), "StepInBackward",
                  "a parameter of shape ", shape_str(p.shape()), " is already stepped in backward by another "
                  "StepInBackward; destroy that one first, or build one optimizer over all the parameters");
    }
  for (auto& g : opt.param_groups())
    for (auto& p : g.params()) {
      p.impl().post_accumulate_hooks.push_back(StepHook{this, &opt_, p.impl_ptr()});
      params_.push_back(p.impl_ptr());
    }
}

StepInBackward::~StepInBackward() {
  for (auto& w : params_) {
    auto impl = w.lock();
    if (!impl) continue;
    auto& hooks = impl->post_accumulate_hooks;
    hooks.erase(std::remove_if(hooks.begin(), hooks.end(),
                               [this](const std::function<void(TensorImpl&)>& h) {
                                 auto* s = h.target<StepHook>();
                                 return s && s->owner == this;
                               }),
                hooks.end());
  }
}

}  // namespace ember::optim
