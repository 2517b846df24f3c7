// gelu_addmm: addmm(bias, gelu(input), mat2) with the GELU recomputed in backward (see the header).
#include "ember/ops/gelu_addmm.h"

#include "core/op_helpers.h"
#include "ember/autograd.h"
#include "ember/ops.h"

namespace ember {

Tensor gelu_addmm(const Tensor& bias, const Tensor& input, const Tensor& mat2, const std::string& approximate) {
  const char* op = "gelu_addmm";
  EMBER_CHECK(input.defined() && mat2.defined(), op, "input and mat2 must be defined tensors");
  EMBER_CHECK(approximate == "none" || approximate == "tanh", op, "approximate must be 'none' or 'tanh', got '",
              approximate, "'");
  EMBER_CHECK(input.dim() == 2 && mat2.dim() == 2 && input.size(1) == mat2.size(0), op,
              "expected input (N, K) and mat2 (K, M) with the same K, got input ", shape_str(input.shape()),
              " and mat2 ", shape_str(mat2.shape()));
  detail::check_floating(input, op);
  EMBER_CHECK(input.dtype() == mat2.dtype() && (!bias.defined() || bias.dtype() == input.dtype()), op,
              "input, mat2 and bias must share a dtype, got ", dtype_name(input.dtype()), ", ", dtype_name(mat2.dtype()),
              bias.defined() ? std::string(" and ") + dtype_name(bias.dtype()) : std::string(" (no bias)"));
  Tensor out;
  {
    NoGradGuard ng;
    Tensor h = gelu(input, approximate);  // (N, K), dropped right after the product
    out = bias.defined() ? addmm(bias, h, mat2) : mm(h, mat2);  // (N, K) @ (K, M) -> (N, M)
  }
  if (autograd::any_requires_grad({&bias, &input, &mat2})) {
    using autograd::SavedTensor;
    autograd::set_history(
        out, "GeluAddmmBackward", {bias, input, mat2},
        [su = SavedTensor(input), sw = SavedTensor(mat2), bshape = bias.defined() ? bias.shape() : Shape{}, approximate](
            const Tensor& g, const autograd::Node& n) {
          const char* op = "GeluAddmmBackward";
          const Tensor &u = su.get(op), &w = sw.get(op);
          // create_graph keeps the GELU's own graph on u, so every gradient stays differentiable.
          const bool create_graph = GradMode::is_enabled();
          Tensor ud = create_graph ? u : u.detach().requires_grad_(n.needs_grad(1));
          Tensor h;
          {
            EnableGradGuard eg(n.needs_grad(1) || create_graph);
            h = gelu(ud, approximate);  // (N, K), the activation the forward did not keep
          }
          Tensor gbias, gu, gw;
          if (n.needs_grad(0)) gbias = sum_to(g, bshape);
          if (n.needs_grad(2)) gw = mm((create_graph ? h : h.detach()).t(), g);  // (K, N) @ (N, M) -> (K, M)
          if (n.needs_grad(1)) {
            Tensor gh = mm(g, w.t());  // (N, M) @ (M, K) -> (N, K)
            gu = autograd::grad({h}, {ud}, {gh}, /*retain_graph=*/create_graph, create_graph)[0];
          }
          return std::vector<Tensor>{gbias, gu, gw};
        });
  }
  return out;
}

}  // namespace ember
