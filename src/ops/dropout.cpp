// dropout: zeroes each element with probability p and scales the survivors by 1/(1-p). The mask
// comes from one Generator stream in element order (so a seed fixes it, whatever the thread
// count); each 64-bit draw decides two elements from its two 32-bit halves.
#include "core/op_helpers.h"
#include "ember/autograd.h"
#include "ember/ops.h"

namespace ember {

Tensor dropout(const Tensor& x, double p, bool training, Generator* gen) {
  EMBER_CHECK(p >= 0.0 && p <= 1.0, "dropout", "probability p must be in [0, 1], got ", p);
  if (!training || p == 0.0) return x;
  detail::check_floating(x, "dropout");
  Generator& g = gen ? *gen : default_generator();
  bool needs = autograd::any_requires_grad({&x});
  Tensor mask = detail::make_tensor(x.shape(), x.dtype());  // 0 or 1/(1-p)
  Tensor out = detail::make_tensor(x.shape(), x.dtype());
  {
    NoGradGuard ng;
    Tensor xc = x.contiguous();
    // keep when a uniform 32-bit value falls below (1-p) * 2^32
    const uint64_t threshold = static_cast<uint64_t>((1.0 - p) * 4294967296.0);
    EMBER_DISPATCH_FLOATING(x.dtype(), "dropout", [&]<typename T>() {
      const T scale = p == 1.0 ? T(0) : static_cast<T>(1.0 / (1.0 - p));
      const T* in = xc.data_ptr<T>();
      T* m = mask.data_ptr<T>();
      T* o = out.data_ptr<T>();
      const int64_t n = x.numel();
      auto& engine = g.engine();
      for (int64_t i = 0; i < n; i += 2) {
        const uint64_t r = engine();
        m[i] = (r & 0xffffffffu) < threshold ? scale : T(0);
        if (i + 1 < n) m[i + 1] = (r >> 32) < threshold ? scale : T(0);
      }
      for (int64_t i = 0; i < n; ++i) o[i] = in[i] * m[i];
    });
  }
  if (needs)
    autograd::set_history(out, "DropoutBackward", {x}, [mask](const Tensor& grad, const autograd::Node&) {
      return std::vector<Tensor>{grad * mask};
    });
  return out;
}

}  // namespace ember
