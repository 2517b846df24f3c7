// Matrix products: mm, bmm, matmul, dot, addmm, linear. Argument checks, shapes and gradients
// live here; the kernels (Kernels::matmul, dot) behind the backend seam. Every product reduces to one primitive,
// batched_matmul (broadcast batch dims), or to addmm when a bias is fused in.
#include "backend/backend.h"
#include "core/op_helpers.h"
#include "ember/autocast.h"
#include "ember/autograd.h"
#include "ember/ops.h"
#include "ember/ops/trace.h"

namespace ember {

using autograd::SavedTensor;

namespace {

// "2x3" for error messages, as PyTorch prints matrix shapes.
std::string dims_str(const Shape& s) {
  std::string r;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i) r += 'x';
    r += std::to_string(s[i]);
  }
  return r.empty() ? "scalar" : r;
}

void check_operands(const Tensor& a, const Tensor& b, const char* op) {
  EMBER_CHECK(a.defined() && b.defined(), op, "got an undefined tensor");
  detail::check_compute_dtype(a, op);
  detail::check_compute_dtype(b, op);
  EMBER_CHECK(a.dtype() == b.dtype(), op, "expected both operands to have the same dtype, got ", dtype_name(a.dtype()),
              " (shape ", shape_str(a.shape()), ") and ", dtype_name(b.dtype()), " (shape ", shape_str(b.shape()),
              "); convert one with .to()");
  EMBER_CHECK(a.dtype() != kBool, op, "not implemented for bool tensors; convert with .to(ember::kFloat32)");
}

// (*tb, r, c) -> (batch, r, c) view with stride 0 on broadcast batch dims; no autograd history.
Tensor expand_batch(const Tensor& t, const Shape& batch) {
  int64_t nb = static_cast<int64_t>(batch.size()), tb = t.dim() - 2;
  Shape shape = batch, st(nb + 2);
  shape.push_back(t.shape()[tb]);
  shape.push_back(t.shape()[tb + 1]);
  for (int64_t d = 0; d < nb; ++d) {
    int64_t j = d - (nb - tb);
    st[d] = (j >= 0 && t.shape()[j] == batch[d]) ? t.strides()[j] : 0;
  }
  st[nb] = t.strides()[tb];
  st[nb + 1] = t.strides()[tb + 1];
  return detail::make_view(t, shape, st, t.storage_offset());
}

// out (batch, n, m) = a (batch_a, n, k) @ b (batch_b, k, m); batch_a and batch_b broadcast.
// Callers have checked ranks (>= 2), dtypes and the inner dimension.
Tensor batched_matmul(const Tensor& a, const Tensor& b, const char* node) {
  int64_t da = a.dim(), db = b.dim();
  Shape ba(a.shape().begin(), a.shape().end() - 2), bb(b.shape().begin(), b.shape().end() - 2);
  Shape batch = broadcast_shapes(ba, bb, node);
  Shape out_shape = batch;
  out_shape.push_back(a.shape()[da - 2]);
  out_shape.push_back(b.shape()[db - 1]);
  Tensor out = detail::make_tensor(out_shape, a.dtype(), detail::common_device(node, {&a, &b}));
  EMBER_KERNEL(matmul, node, out)(out, expand_batch(a, batch), expand_batch(b, batch), 1.0, 0.0);
  if (autograd::any_requires_grad({&a, &b})) {
    // grad_a = g @ b^T and grad_b = a^T @ g, summed over the batch dims each operand was broadcast along.
    autograd::set_history(out, node, {a, b}, [sa = b.requires_grad() ? SavedTensor(a) : SavedTensor(),
                                              sb = a.requires_grad() ? SavedTensor(b) : SavedTensor(),
                                              shape_a = a.shape(), shape_b = b.shape(),
                                              node](const Tensor& g, const autograd::Node& n) {
      Tensor ga, gb;
      if (n.needs_grad(0)) {
        const Tensor& bt = sb.get(node);
        ga = sum_to(batched_matmul(g, bt.transpose(-1, -2), node), shape_a);
      }
      if (n.needs_grad(1)) {
        const Tensor& at = sa.get(node);
        gb = sum_to(batched_matmul(at.transpose(-1, -2), g, node), shape_b);
      }
      return std::vector<Tensor>{ga, gb};
    });
  }
  return out;
}

// out (r, c) float32 = a @ b where a and/or b are bf16 (no autograd).
Tensor product_bf16(const Tensor& a, const Tensor& b, const char* op) {
  Tensor out = detail::make_tensor({a.size(0), b.size(1)}, kFloat32, a.device());
  EMBER_KERNEL(matmul, op, out)(out, a, b, 1.0, 0.0);
  return out;
}

// linear under autocast: x (B, in) and W (out, in) rounded to bf16 once, multiplied with float32
// accumulation, and the bf16 copies saved for backward (as PyTorch's autocast saves its casts), so
// backward rounds only the incoming gradient: three roundings per step instead of six.
Tensor linear_autocast(const Tensor& x2, const Tensor& weight, const Tensor& bias) {
  Tensor xb, wb;
  {
    NoGradGuard ng;
    xb = x2.to(kBFloat16);      // (B, in)
    wb = weight.to(kBFloat16);  // (out, in)
  }
  const int64_t B = x2.size(0), O = weight.size(0);
  Tensor y = detail::make_tensor({B, O}, kFloat32, detail::common_device("linear", {&x2, &weight}));
  if (bias.defined())  // y = bias broadcast over rows, then the product accumulates into it
    EMBER_KERNEL(copy, "linear", y)(y, detail::make_view(bias, {B, O}, {0, bias.strides()[0]}, bias.storage_offset()));
  EMBER_KERNEL(matmul, "linear", y)(y, xb, wb.t(), 1.0, bias.defined() ? 1.0 : 0.0);
  if (autograd::any_requires_grad({&x2, &weight, &bias})) {
    autograd::set_history(y, "LinearBackward", {x2, weight, bias}, [xb, wb](const Tensor& g, const autograd::Node& n) {
      EMBER_CHECK(!GradMode::is_enabled(), "linear",
                  "double backward (create_graph) through a linear run under autocast is not supported; run that "
                  "forward outside AutocastGuard");
      const Tensor gb = g.to(kBFloat16);  // (B, out)
      Tensor gx, gw, gbias;
      if (n.needs_grad(0)) gx = product_bf16(gb, wb, "linear");      // (B, out) @ (out, in)
      if (n.needs_grad(1)) gw = product_bf16(gb.t(), xb, "linear");  // (out, B) @ (B, in)
      if (n.needs_grad(2)) gbias = sum(g, {0});                      // (out)
      return std::vector<Tensor>{gx, gw, gbias};
    });
  }
  return y;
}

}  // namespace

Tensor mm(const Tensor& a, const Tensor& b) {
  trace::OpScope scope;
  Tensor out_ = [&]() -> Tensor {
  check_operands(a, b, "mm");
  EMBER_CHECK(a.dim() == 2 && b.dim() == 2, "mm", "expected 2-D matrices, got mat1 of shape ", shape_str(a.shape()),
              " and mat2 of shape ", shape_str(b.shape()), "; use matmul for batched or 1-D operands");
  EMBER_CHECK(a.shape()[1] == b.shape()[0], "mm", "mat1 and mat2 shapes cannot be multiplied (", dims_str(a.shape()),
              " and ", dims_str(b.shape()), "): mat1's columns must equal mat2's rows");
  EMBER_KERNEL(matmul, "mm", a);  // a device without the kernel fails here, naming this op
  return batched_matmul(a, b, "MmBackward");
}();
  if (scope) scope.record("matmul", {a, b}, {out_});
  return out_;
}

Tensor bmm(const Tensor& a, const Tensor& b) {
  trace::OpScope scope;
  Tensor out_ = [&]() -> Tensor {
  check_operands(a, b, "bmm");
  EMBER_CHECK(a.dim() == 3 && b.dim() == 3, "bmm", "expected 3-D tensors (B, n, k) and (B, k, m), got shapes ",
              shape_str(a.shape()), " and ", shape_str(b.shape()));
  EMBER_CHECK(a.shape()[0] == b.shape()[0], "bmm", "batch sizes differ: ", shape_str(a.shape()), " and ",
              shape_str(b.shape()), " (", a.shape()[0], " vs ", b.shape()[0], "); use matmul to broadcast");
  EMBER_CHECK(a.shape()[2] == b.shape()[1], "bmm", "batch1 and batch2 shapes cannot be multiplied (",
              dims_str(a.shape()), " and ", dims_str(b.shape()), "): batch1's last dim must equal batch2's middle dim");
  EMBER_KERNEL(matmul, "bmm", a);
  return batched_matmul(a, b, "BmmBackward");
}();
  if (scope) scope.record("matmul", {a, b}, {out_});
  return out_;
}

Tensor dot(const Tensor& a, const Tensor& b) {
  check_operands(a, b, "dot");
  EMBER_CHECK(a.dim() == 1 && b.dim() == 1, "dot", "expected 1-D tensors, got shapes ", shape_str(a.shape()), " and ",
              shape_str(b.shape()));
  EMBER_CHECK(a.numel() == b.numel(), "dot", "inconsistent sizes: shapes ", shape_str(a.shape()), " and ",
              shape_str(b.shape()), " must have the same length");
  Tensor out = detail::make_tensor({}, a.dtype(), detail::common_device("dot", {&a, &b}));
  EMBER_KERNEL(dot, "dot", out)(out, a, b);
  if (autograd::any_requires_grad({&a, &b}))
    autograd::set_history(out, "DotBackward", {a, b}, [sa = SavedTensor(a), sb = SavedTensor(b)](const Tensor& g, const autograd::Node& n) {
      return std::vector<Tensor>{n.needs_grad(0) ? g * sb.get("DotBackward") : Tensor(),
                                 n.needs_grad(1) ? g * sa.get("DotBackward") : Tensor()};
    });
  return out;
}

Tensor matmul(const Tensor& a, const Tensor& b) {
  trace::OpScope scope;
  Tensor out_ = [&]() -> Tensor {
  check_operands(a, b, "matmul");
  const int64_t da = a.dim(), db = b.dim();
  EMBER_CHECK(da >= 1 && db >= 1, "matmul", "both arguments need at least 1 dimension, got shapes ",
              shape_str(a.shape()), " and ", shape_str(b.shape()));
  const int64_t ka = a.shape()[da - 1], kb = b.shape()[db == 1 ? 0 : db - 2];
  EMBER_CHECK(ka == kb, "matmul", "shapes ", shape_str(a.shape()), " and ", shape_str(b.shape()),
              " cannot be multiplied (", ka, " != ", kb, "): the last dim of the first must equal ",
              db == 1 ? "the length of the second" : "the second-to-last dim of the second");
  EMBER_KERNEL(matmul, "matmul", a);
  if (da == 1 && db == 1) return dot(a, b);
  if (da == 2 && db == 1) return mm(a, b.unsqueeze(1)).squeeze(1);    // (n, k) @ (k) -> (n)
  if (da == 1 && db == 2) return mm(a.unsqueeze(0), b).squeeze(0);    // (k) @ (k, m) -> (m)
  if (da == 2 && db == 2) return mm(a, b);
  if (da >= 3 && db <= 2) {
    // Fold the batch into the rows: one large GEMM instead of many small ones.
    Shape out_shape(a.shape().begin(), a.shape().end() - 1);  // (*, n)
    Tensor a2 = a.reshape({-1, ka});                               // (*, n, k) -> (B*n, k)
    Tensor r = mm(a2, db == 1 ? b.unsqueeze(1) : b);               // (B*n, m)
    if (db == 2) out_shape.push_back(b.shape()[1]);
    return r.reshape(out_shape);
  }
  // Batched, with broadcast batch dims; 1-D operands get a unit row/column removed afterwards.
  Shape ba(a.shape().begin(), a.shape().end() - std::min<int64_t>(da, 2));
  Shape bb(b.shape().begin(), b.shape().end() - std::min<int64_t>(db, 2));
  for (int64_t i = 1; i <= static_cast<int64_t>(std::min(ba.size(), bb.size())); ++i) {
    int64_t x = ba[ba.size() - i], y = bb[bb.size() - i];
    EMBER_CHECK(x == y || x == 1 || y == 1, "matmul", "batch dims of shapes ", shape_str(a.shape()), " and ",
                shape_str(b.shape()), " do not broadcast (", x, " vs ", y, ")");
  }
  Tensor a3 = da == 1 ? a.unsqueeze(0) : a;   // (k) -> (1, k)
  Tensor b3 = db == 1 ? b.unsqueeze(1) : b;   // (k) -> (k, 1)
  Tensor r = batched_matmul(a3, b3, "MatmulBackward");
  if (da == 1) r = r.squeeze(-2);
  if (db == 1) r = r.squeeze(-1);
  return r;
}();
  if (scope) scope.record("matmul", {a, b}, {out_});
  return out_;
}

Tensor addmm(const Tensor& bias, const Tensor& a, const Tensor& b, Scalar beta_s, Scalar alpha_s) {
  trace::OpScope scope;
  Tensor out_ = [&]() -> Tensor {
  check_operands(a, b, "addmm");
  EMBER_CHECK(bias.defined(), "addmm", "bias is undefined; use mm for a product without bias");
  detail::check_compute_dtype(bias, "addmm");
  EMBER_CHECK(bias.dtype() == a.dtype(), "addmm", "bias has dtype ", dtype_name(bias.dtype()), " but the matrices have ",
              dtype_name(a.dtype()), "; convert with .to()");
  EMBER_CHECK(a.dim() == 2 && b.dim() == 2, "addmm", "expected 2-D matrices, got mat1 of shape ", shape_str(a.shape()),
              " and mat2 of shape ", shape_str(b.shape()));
  EMBER_CHECK(a.shape()[1] == b.shape()[0], "addmm", "mat1 and mat2 shapes cannot be multiplied (",
              dims_str(a.shape()), " and ", dims_str(b.shape()), "): mat1's columns must equal mat2's rows");
  const Shape out_shape{a.shape()[0], b.shape()[1]};
  bool bias_ok = bias.dim() <= 2;
  for (int64_t i = 1; bias_ok && i <= bias.dim(); ++i) {
    int64_t s = bias.shape()[bias.dim() - i];
    bias_ok = s == 1 || s == out_shape[2 - i];
  }
  EMBER_CHECK(bias_ok, "addmm", "bias of shape ", shape_str(bias.shape()), " does not broadcast to the product's shape ",
              shape_str(out_shape), " (mat1 ", shape_str(a.shape()), ", mat2 ", shape_str(b.shape()), ")");
  const double beta = beta_s.to<double>(), alpha = alpha_s.to<double>();
  Tensor out = detail::make_tensor(out_shape, a.dtype(), detail::common_device("addmm", {&a, &b, &bias}));
  auto matmul_kernel = EMBER_KERNEL(matmul, "addmm", out);
  if (beta != 0) {
    // out = beta * bias, then GEMM accumulates alpha * a @ b into it (no separate add pass).
    Shape bst{0, 0};  // bias viewed as (n, m), stride 0 along broadcast dims
    for (int64_t i = 1; i <= bias.dim(); ++i)
      if (bias.shape()[bias.dim() - i] != 1) bst[2 - i] = bias.strides()[bias.dim() - i];
    EMBER_KERNEL(copy, "addmm", out)(out, detail::make_view(bias, out_shape, bst, bias.storage_offset()));
    if (beta != 1) {
      NoGradGuard ng;
      out.mul_(beta_s);
    }
  }
  matmul_kernel(out, a, b, alpha, beta != 0 ? 1.0 : 0.0);
  if (autograd::any_requires_grad({&bias, &a, &b})) {
    autograd::set_history(out, "AddmmBackward", {bias, a, b},
                          [sa = SavedTensor(a), sb = SavedTensor(b), bshape = bias.shape(), beta_s, alpha_s, beta,
                           alpha](const Tensor& g, const autograd::Node& n) {
                            Tensor gbias, ga, gb;
                            if (n.needs_grad(0)) {
                              gbias = sum_to(g, bshape);
                              if (beta != 1) gbias = gbias * beta_s;
                            }
                            Tensor ga_src = alpha != 1 ? g * alpha_s : g;
                            if (n.needs_grad(1)) ga = mm(ga_src, sb.get("AddmmBackward").t());
                            if (n.needs_grad(2)) gb = mm(sa.get("AddmmBackward").t(), ga_src);
                            return std::vector<Tensor>{gbias, ga, gb};
                          });
  }
  return out;
}();
  if (scope) scope.record("addmm", {bias, a, b}, {out_}, {trace::num("beta", beta_s.to<double>()), trace::num("alpha", alpha_s.to<double>())});
  return out_;
}

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  trace::OpScope scope;
  Tensor out_ = [&]() -> Tensor {
  EMBER_CHECK(x.defined() && weight.defined(), "linear", "input and weight must be defined tensors");
  EMBER_CHECK(weight.dim() == 2, "linear", "weight must be 2-D (out_features, in_features), got shape ",
              shape_str(weight.shape()));
  EMBER_CHECK(x.dim() >= 1, "linear", "input must have at least 1 dimension (*, in_features), got a scalar");
  EMBER_CHECK(x.shape().back() == weight.shape()[1], "linear", "input of shape ", shape_str(x.shape()),
              " has ", x.shape().back(), " features but weight of shape ", shape_str(weight.shape()), " expects ",
              weight.shape()[1], " (in_features)");
  check_operands(x, weight, "linear");
  if (bias.defined()) {
    EMBER_CHECK(bias.dim() == 1 && bias.shape()[0] == weight.shape()[0], "linear", "bias must have shape [",
                weight.shape()[0], "] (out_features of weight ", shape_str(weight.shape()), "), got ",
                shape_str(bias.shape()));
    EMBER_CHECK(bias.dtype() == x.dtype(), "linear", "bias has dtype ", dtype_name(bias.dtype()), " but input and weight have ",
                dtype_name(x.dtype()), "; convert with .to()");
  }
  EMBER_KERNEL(matmul, "linear", x);
  if (x.dim() == 1) return linear(x.unsqueeze(0), weight, bias).squeeze(0);  // (in) -> (out)
  Tensor x2 = x.dim() == 2 ? x : x.reshape({-1, x.shape().back()});         // (*, in) -> (B, in)
  Tensor wt = weight.t();                                                     // (in, out), no copy
  const bool autocast = is_autocast_enabled() && x.dtype() == kFloat32;
  Tensor y;
  if (autocast) {
    y = linear_autocast(x2, weight, bias);                                    // (B, out), its own node
  } else {
    NoGradGuard ng;
    y = bias.defined() ? addmm(bias, x2, wt) : mm(x2, wt);                   // (B, out)
  }
  if (!autocast && autograd::any_requires_grad({&x2, &weight, &bias})) {
    // Its own node rather than addmm's on weight.t(): that would hand weight a transposed
    // (non-contiguous) gradient, which AccumulateGrad then has to copy.
    autograd::set_history(y, "LinearBackward", {x2, weight, bias},
                          [sx = SavedTensor(x2), sw = SavedTensor(weight)](const Tensor& g, const autograd::Node& n) {
                            Tensor gx, gw, gb;
                            if (n.needs_grad(0)) gx = mm(g, sw.get("linear"));             // (B, out) @ (out, in)
                            if (n.needs_grad(1)) gw = mm(g.t(), sx.get("linear"));         // (out, B) @ (B, in)
                            if (n.needs_grad(2)) gb = sum(g, {0});                          // (out)
                            return std::vector<Tensor>{gx, gw, gb};
                          });
  }
  if (x.dim() == 2) return y;
  Shape out_shape(x.shape().begin(), x.shape().end() - 1);
  out_shape.push_back(weight.shape()[0]);
  return y.reshape(out_shape);
}();
  if (scope) scope.record("linear", {x, weight, bias}, {out_});
  return out_;
}

Tensor Tensor::matmul(const Tensor& o) const { return ember::matmul(*this, o); }
Tensor Tensor::mm(const Tensor& o) const { return ember::mm(*this, o); }

}  // namespace ember
