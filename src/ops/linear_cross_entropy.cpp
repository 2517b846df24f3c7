// linear_cross_entropy: the language-model head (x @ weight^T) and the mean cross-entropy in one
// pass over row chunks, so the (N, V) logits of a large vocabulary never exist at once. The
// gradient of a mean cross-entropy for upstream g is g * (softmax - onehot) / count, known in the
// forward: each chunk's logits become that gradient in place and are contracted right away into
// dx = dlogits @ weight and dweight += dlogits^T @ x. The backward only scales by g.
#include "ember/ops/linear_cross_entropy.h"

#include "backend/backend.h"
#include "core/op_helpers.h"
#include "ember/autograd.h"
#include "ember/ops.h"

namespace ember {

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
  auto kernel = EMBER_KERNEL(linear_cross_entropy, op, x);
  const Device dev = detail::common_device(op, {&x, &weight, &target});
  const bool need_x = autograd::any_requires_grad({&x}), need_w = autograd::any_requires_grad({&weight});
  Tensor tc = target.contiguous(), xc = x.contiguous(), wc = weight.contiguous();
  Tensor dx = need_x ? detail::make_tensor({N, C}, x.dtype(), dev) : Tensor();
  Tensor dw = need_w ? detail::make_tensor({V, C}, x.dtype(), dev) : Tensor();
  Tensor out = detail::make_tensor({}, x.dtype(), dev);
  const int64_t bad = kernel(out, dx, dw, xc, wc, tc, ignore_index);
  EMBER_CHECK(bad < 0, op, "target ", tc[bad].item<int64_t>(), " at row ", bad, " is out of bounds for ", V,
              " classes (weight ", shape_str(weight.shape()), ")");
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
