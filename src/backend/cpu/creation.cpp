// Range and identity kernels (see creation.h).
#include "backend/cpu/creation.h"

#include <algorithm>
#include <cmath>

#include "core/op_helpers.h"

namespace ember::cpu {

void arange(const Tensor& out, Scalar start, Scalar step) {
  const int64_t n = out.numel();
  EMBER_DISPATCH_NUMERIC(out.dtype(), "arange", [&]<typename T>() {
    T* p = out.data_ptr<T>();
    if constexpr (std::is_integral_v<T>) {
      for (int64_t i = 0; i < n; ++i) p[i] = static_cast<T>(start.i + i * step.i);
    } else {
      for (int64_t i = 0; i < n; ++i) p[i] = static_cast<T>(start.d + static_cast<double>(i) * step.d);
    }
  });
}

void linspace(const Tensor& out, double start, double end) {
  const int64_t steps = out.numel();
  EMBER_DISPATCH_NUMERIC(out.dtype(), "linspace", [&]<typename T>() {
    T* p = out.data_ptr<T>();
    if (steps == 1) {
      p[0] = static_cast<T>(start);  // PyTorch: a single step is `start`
      return;
    }
    // PyTorch's arithmetic: the step in the tensor's own float type (double for integers), and
    // the values filled from both ends so that the last one is exactly `end`.
    using S = std::conditional_t<std::is_integral_v<T>, double, T>;
    const T s = static_cast<T>(start), e = static_cast<T>(end);
    const S step = (static_cast<S>(e) - static_cast<S>(s)) / static_cast<S>(steps - 1);
    const int64_t half = steps / 2;
    for (int64_t i = 0; i < steps; ++i)
      // std::fma: PyTorch's build contracts these into fused multiply-adds; spelled out, the values
      // do not depend on whether the compiler contracts (it does not at -O1).
      p[i] = static_cast<T>(i < half ? std::fma(step, static_cast<S>(i), static_cast<S>(s))
                                     : std::fma(-step, static_cast<S>(steps - 1 - i), static_cast<S>(e)));
  });
}

void eye(const Tensor& out) {
  const int64_t n = out.shape()[0], cols = out.shape()[1];
  EMBER_DISPATCH_ALL(out.dtype(), "eye", [&]<typename T>() {
    T* p = out.data_ptr<T>();
    for (int64_t i = 0; i < std::min(n, cols); ++i) p[i * cols + i] = T(1);
  });
}

}  // namespace ember::cpu
