// dropout: zeroes each element with probability p and scales the survivors by 1/(1-p). The mask
// comes from one Generator stream in element order (so a seed fixes it, whatever the thread
// count); each 64-bit draw decides two elements from its two 32-bit halves.
#include "backend/backend.h"
#include "core/op_helpers.h"
#include "ember/autograd.h"
#include "ember/ops.h"

namespace ember {

Tensor dropout(const Tensor& x, double p, bool training, Generator* gen) {
  EMBER_CHECK(p >= 0.0 && p <= 1.0, "dropout", "probability p must be in [0, 1], got ", p);
  if (!training || p == 0.0) return x;
  detail::check_floating(x, "dropout");
  auto kernel = EMBER_KERNEL(dropout, "dropout", x);
  Generator& g = gen ? *gen : default_generator();
  bool needs = autograd::any_requires_grad({&x});
  Tensor mask = detail::make_tensor(x.shape(), x.dtype(), x.device());  // 0 or 1/(1-p)
  Tensor out = detail::make_tensor(x.shape(), x.dtype(), x.device());
  {
    NoGradGuard ng;
    kernel(out, mask, x.contiguous(), p, g);
  }
  if (needs)
    autograd::set_history(out, "DropoutBackward", {x}, [mask](const Tensor& grad, const autograd::Node&) {
      return std::vector<Tensor>{grad * mask};
    });
  return out;
}

}  // namespace ember
