// softmax and log_softmax over any dim, on the fused kernels of backend/cpu/softmax.
// Backward uses the fused kernel too; under create_graph it is the same formula in Ember ops on
// the output re-attached to this node, so higher-order gradients flow.
#include "backend/backend.h"
#include "core/op_helpers.h"
#include "ember/autograd.h"
#include "ember/ops.h"
#include "ops/reduce_common.h"
#include "ember/ops/trace.h"

namespace ember {

using autograd::SavedTensor;

namespace {

backend::Block3 block_of(const Shape& shape, int64_t d) {
  backend::Block3 b;
  for (int64_t i = 0; i < static_cast<int64_t>(shape.size()); ++i) (i < d ? b.outer : i == d ? b.R : b.inner) *= shape[i];
  return b;
}

Tensor forward(const Tensor& x_in, int64_t d, bool log) {
  Tensor x = x_in.contiguous();
  Tensor out = detail::make_tensor(x.shape(), x.dtype(), x.device());
  EMBER_KERNEL(softmax, log ? "log_softmax" : "softmax", out)(out, x, block_of(x.shape(), d), log);
  return out;
}

Tensor backward_fused(const Tensor& g_in, const Tensor& y, int64_t d, bool log) {
  Tensor g = g_in.dtype() == y.dtype() ? g_in.contiguous() : g_in.to(y.dtype()).contiguous();
  Tensor gx = detail::make_tensor(y.shape(), y.dtype(), y.device());
  EMBER_KERNEL(softmax_backward, "softmax_backward", gx)(gx, g, y, block_of(y.shape(), d), log);
  return gx;
}

Tensor softmax_op(const Tensor& x, int64_t dim, bool log) {
  trace::OpScope scope;
  Tensor out_ = [&]() -> Tensor {
  const char* op = log ? "log_softmax" : "softmax";
  EMBER_KERNEL(softmax, op, x);  // a device without the kernel fails before any copy
  detail::check_compute_dtype(x, op);
  EMBER_CHECK(is_floating(x.dtype()), op, "expected a floating-point input, got ", dtype_name(x.dtype()),
              "; convert with .to(ember::kFloat32)");
  int64_t d = detail::wrap_dim(dim, x.dim(), op);
  Tensor out = forward(x, d, log);  // output is contiguous, as the fused backward expects
  if (autograd::any_requires_grad({&x})) {
    autograd::set_history(out, log ? "LogSoftmaxBackward" : "SoftmaxBackward", {x},
                          [so = SavedTensor(out.detach()), d, log, op](const Tensor& g, const autograd::Node& n) {
                            if (!GradMode::is_enabled()) return std::vector<Tensor>{backward_fused(g, so.get(op), d, log)};
                            Tensor y = detail::output_with_history(so.get(op), n);
                            if (log) return std::vector<Tensor>{g - exp(y) * sum(g, {d}, true)};
                            return std::vector<Tensor>{y * (g - sum(g * y, {d}, true))};
                          });
  }
  return out;
}();
  if (scope) scope.record("softmax", {x}, {out_}, {trace::integer("dim", detail::wrap_dim(dim, x.dim(), "softmax")), trace::integer("log", log)});
  return out_;
}

}  // namespace

Tensor softmax(const Tensor& x, int64_t dim) { return softmax_op(x, dim, false); }
Tensor log_softmax(const Tensor& x, int64_t dim) { return softmax_op(x, dim, true); }

Tensor Tensor::softmax(int64_t dim) const { return ember::softmax(*this, dim); }
Tensor Tensor::log_softmax(int64_t dim) const { return ember::log_softmax(*this, dim); }

}  // namespace ember
