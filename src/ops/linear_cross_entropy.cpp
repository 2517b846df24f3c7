// linear_cross_entropy: the language-model head (x @ weight^T) and the mean cross-entropy in one
// pass over row chunks, so the (N, V) logits of a large vocabulary never exist at once. The
// gradient of a mean cross-entropy for upstream g is g * (softmax - onehot) / count, known in the
// forward: each chunk's logits become that gradient in place and are contracted right away into
// dx = dlogits @ weight and dweight += dlogits^T @ x. The backward only scales by g.
#include "ember/ops/linear_cross_entropy.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "backend/cpu/cross_entropy_kernel.h"
#include "backend/cpu/gemm.h"
#include "backend/cpu/softmax_kernels.h"
#include "core/op_helpers.h"
#include "ember/autograd.h"
#include "ember/ops.h"

namespace ember {

namespace {
constexpr int64_t kChunkLogits = int64_t{1} << 24;  // logits per chunk: 64 MB in float32
}  // namespace

Tensor linear_cross_entropy(const Tensor& x, const Tensor& weight, const Tensor& target, int64_t ignore_index) {
  const char* op = "linear_cross_entropy";
  EMBER_CHECK(x.defined() && weight.defined() && target.defined(), op, "x, weight and target must be defined tensors");
  EMBER_CHECK(x.dim() == 2 && weight.dim() == 2 && x.size(1) == weight.size(1), op,
              "expected x (N, C) and weight (V, C) with the same C, got x ", shape_str(x.shape()), " and weight ",
              shape_str(weight.shape()));
  detail::check_floating(x, op);
  EMBER_CHECK(x.dtype() == weight.dtype(), op, "x and weight must share a dtype, got ", dtype_name(x.dtype()), " and ",
              dtype_name(weight.dtype()));
  EMBER_CHECK(target.dtype() == DType::Int64 && target.dim() == 1 && target.size(0) == x.size(0), op,
              "target must be int64 class indices of shape [", x.size(0), "] (one per row of x), got ",
              dtype_name(target.dtype()), " ", shape_str(target.shape()));
  const int64_t N = x.size(0), C = x.size(1), V = weight.size(0);
  EMBER_CHECK(N > 0 && V > 0, op, "x and weight must have at least one row, got x ", shape_str(x.shape()), " and weight ",
              shape_str(weight.shape()));
  Tensor tc = target.contiguous();
  const int64_t* t = tc.data_ptr<int64_t>();
  int64_t count = 0;
  for (int64_t i = 0; i < N; ++i) {
    if (t[i] == ignore_index) continue;
    EMBER_CHECK(t[i] >= 0 && t[i] < V, op, "target ", t[i], " at row ", i, " is out of bounds for ", V,
                " classes (weight ", shape_str(weight.shape()), ")");
    ++count;
  }
  const bool need_x = autograd::any_requires_grad({&x}), need_w = autograd::any_requires_grad({&weight});
  Tensor xc = x.contiguous(), wc = weight.contiguous();
  Tensor dx = need_x ? detail::make_tensor({N, C}, x.dtype()) : Tensor();
  Tensor dw = need_w ? detail::make_tensor({V, C}, x.dtype()) : Tensor();
  Tensor out = detail::make_tensor({}, x.dtype());
  EMBER_DISPATCH_FLOATING(x.dtype(), op, [&]<typename T>() {
    const int64_t R = std::clamp<int64_t>(kChunkLogits / V, 1, N);
    Tensor z = detail::make_tensor({R, V}, x.dtype()), lse = detail::make_tensor({R}, x.dtype());
    const T* xp = xc.data_ptr<T>();
    const T* wp = wc.data_ptr<T>();
    T* zp = z.data_ptr<T>();
    T* lp = lse.data_ptr<T>();
    const T scale = count > 0 ? static_cast<T>(1.0 / static_cast<double>(count)) : T(0);
    double total = 0;
    for (int64_t r0 = 0; r0 < N; r0 += R) {
      const int64_t rows = std::min(R, N - r0);
      cpu::gemm<T>(false, true, rows, V, C, T(1), xp + r0 * C, C, wp, C, T(0), zp, V);  // (rows, C) @ (C, V)
      cpu::logsumexp_forward<T>(zp, lp, rows, V, 1);                                   // (rows)
      for (int64_t r = 0; r < rows; ++r)
        if (t[r0 + r] != ignore_index) total += static_cast<double>(lp[r]) - static_cast<double>(zp[r * V + t[r0 + r]]);
      if (!need_x && !need_w) continue;
      cpu::softmax_minus_onehot<T>(zp, lp, t + r0, rows, V, scale, ignore_index);  // dlogits (rows, V)
      if (need_x)  // (rows, V) @ (V, C) -> rows of dx
        cpu::gemm<T>(false, false, rows, C, V, T(1), zp, V, wp, C, T(0), dx.data_ptr<T>() + r0 * C, C);
      if (need_w)  // (V, rows) @ (rows, C), accumulated over chunks
        cpu::gemm<T>(true, false, V, C, rows, T(1), zp, V, xp + r0 * C, C, r0 == 0 ? T(0) : T(1), dw.data_ptr<T>(), C);
    }
    *out.data_ptr<T>() =
        count > 0 ? static_cast<T>(total / static_cast<double>(count)) : std::numeric_limits<T>::quiet_NaN();
  });
  if (need_x || need_w)
    // The gradients are handed over rather than copied when the upstream gradient is 1 (a loss
    // seeded by backward()): dweight is (V, C), 154 MB for GPT-2, and a scaled copy would sit
    // beside it at the peak of backward. So they exist once: a second backward through the same
    // loss (retain_graph) raises an error instead.
    autograd::set_history(out, "LinearCrossEntropyBackward", {x, weight},
                          [dx, dw, used = false](const Tensor& g, const autograd::Node& n) mutable {
                            EMBER_CHECK(!GradMode::is_enabled(), "linear_cross_entropy",
                                        "its backward is not differentiable (create_graph=true); use "
                                        "cross_entropy(linear(x, weight), target) for higher-order gradients");
                            EMBER_CHECK(!used, "linear_cross_entropy",
                                        "backward already ran through this loss, whose gradients are kept only once "
                                        "(retain_graph is not supported); compute the loss again");
                            used = true;
                            const bool unit = g.item<double>() == 1.0;
                            auto take = [&](Tensor& t) {
                              Tensor r = unit ? t : t * g;
                              t = Tensor();
                              return r;
                            };
                            return std::vector<Tensor>{n.needs_grad(0) ? take(dx) : Tensor(),
                                                       n.needs_grad(1) ? take(dw) : Tensor()};
                          });
  return out;
}

}  // namespace ember
