// conv1d, conv2d and conv_transpose2d: argument checks, shapes and gradients; kernels behind the
// backend seam (CPU: backend/cpu/conv). Three linear maps do all the work, each differentiable through the others so
// that gradients of any order exist:
//   F(x, w)   the convolution               (N, C, H, W)    -> (N, Co, OH, OW)
//   Bi(gy, w) its input gradient (= conv_transpose2d) (N, Co, OH, OW) -> (N, C, H, W)
//   Bw(x, gy) its weight gradient            -> (Co, C/groups, kh, kw)
// From <F(x, w), gy> = <x, Bi(gy, w)> = <w, Bw(x, gy)> every partial derivative is one of them.
#include "backend/backend.h"

#include "core/op_helpers.h"
#include "ember/autograd.h"
#include "ember/ops.h"
#include "ember/ops/trace.h"

namespace ember {

using autograd::SavedTensor;
using backend::ConvGeom;

namespace {

// Contiguous data of `t` for a kernel, with no autograd history.
Tensor kernel_input(const Tensor& t) {
  if (!t.defined()) return t;
  NoGradGuard ng;
  return t.detach().contiguous();
}

// Gradient of a per-channel bias: sum of g (N, C, H, W) over N, H and W.
Tensor bias_grad(const Tensor& g) {
  if (GradMode::is_enabled()) return sum(g, {0, 2, 3});
  Tensor gc = kernel_input(g);
  Tensor out = detail::make_tensor({g.shape()[1]}, g.dtype(), g.device());
  EMBER_KERNEL(channel_sum, "conv_bias_backward", out)(out, gc);  // (N, C, H, W) -> (C)
  return out;
}

Tensor conv_input_grad(const Tensor& gy, const Tensor& w, const Tensor& bias, const ConvGeom& g, const char* node);
Tensor conv_weight_grad(const Tensor& x, const Tensor& gy, const ConvGeom& g);

// Input and weight gradients in one kernel pass (first-order backward only: no history).
std::pair<Tensor, Tensor> conv_both_grads(const Tensor& x, const Tensor& gy, const Tensor& w, const ConvGeom& g) {
  Tensor xc = kernel_input(x), gc = kernel_input(gy), wc = kernel_input(w);
  Tensor gx = detail::make_tensor({g.N, g.C, g.H, g.W}, x.dtype(), x.device());
  Tensor gw = detail::make_tensor({g.Co, g.Cg(), g.kh, g.kw}, x.dtype(), x.device());
  EMBER_KERNEL(conv2d_backward, "conv2d_backward", gx)(gx, gw, xc, gc, wc, g);
  return {gx, gw};
}

// F(x, w) + bias: x (N, C, H, W), w (Co, C/groups, kh, kw) -> (N, Co, OH, OW).
Tensor conv_forward(const Tensor& x, const Tensor& w, const Tensor& bias, const ConvGeom& g) {
  auto kernel = EMBER_KERNEL(conv2d, "conv2d", x);
  Tensor xc = kernel_input(x), wc = kernel_input(w), bc = kernel_input(bias);
  Tensor y = detail::make_tensor({g.N, g.Co, g.OH, g.OW}, x.dtype(),
                                 detail::common_device("conv2d", {&x, &w, &bias}));
  kernel(y, xc, wc, bc, g);
  if (autograd::any_requires_grad({&x, &w, &bias}))
    autograd::set_history(y, "ConvolutionBackward", {x, w, bias},
                          [sx = w.requires_grad() ? SavedTensor(x) : SavedTensor(),
                           sw = x.requires_grad() ? SavedTensor(w) : SavedTensor(), g](const Tensor& gy, const autograd::Node& n) {
                            const char* name = "ConvolutionBackward";
                            if (!GradMode::is_enabled() && n.needs_grad(0) && n.needs_grad(1)) {
                              auto [gx, gw] = conv_both_grads(sx.get(name), gy, sw.get(name), g);
                              return std::vector<Tensor>{gx, gw, n.needs_grad(2) ? bias_grad(gy) : Tensor()};
                            }
                            return std::vector<Tensor>{
                                n.needs_grad(0) ? conv_input_grad(gy, sw.get(name), Tensor(), g, "ConvolutionBackwardBackward") : Tensor(),
                                n.needs_grad(1) ? conv_weight_grad(sx.get(name), gy, g) : Tensor(),
                                n.needs_grad(2) ? bias_grad(gy) : Tensor()};
                          });
  return y;
}

// Bi(gy, w) + bias over the C channels: gy (N, Co, OH, OW) -> (N, C, H, W).
Tensor conv_input_grad(const Tensor& gy, const Tensor& w, const Tensor& bias, const ConvGeom& g, const char* node) {
  auto kernel = EMBER_KERNEL(conv2d_backward_input, "conv_transpose2d", gy);
  Tensor gc = kernel_input(gy), wc = kernel_input(w), bc = kernel_input(bias);
  Tensor gx = detail::make_tensor({g.N, g.C, g.H, g.W}, gy.dtype(),
                                  detail::common_device("conv_transpose2d", {&gy, &w, &bias}));
  kernel(gx, gc, wc, bc, g);
  if (autograd::any_requires_grad({&gy, &w, &bias}))
    autograd::set_history(gx, node, {gy, w, bias},
                          [sg = w.requires_grad() ? SavedTensor(gy) : SavedTensor(),
                           sw = gy.requires_grad() ? SavedTensor(w) : SavedTensor(), g, node](const Tensor& gg, const autograd::Node& n) {
                            // d/d gy = F(gg, w); d/d w = Bw(gg, gy); d/d bias = channel sums of gg.
                            return std::vector<Tensor>{n.needs_grad(0) ? conv_forward(gg, sw.get(node), Tensor(), g) : Tensor(),
                                                       n.needs_grad(1) ? conv_weight_grad(gg, sg.get(node), g) : Tensor(),
                                                       n.needs_grad(2) ? bias_grad(gg) : Tensor()};
                          });
  return gx;
}

// Bw(x, gy): x (N, C, H, W), gy (N, Co, OH, OW) -> (Co, C/groups, kh, kw).
Tensor conv_weight_grad(const Tensor& x, const Tensor& gy, const ConvGeom& g) {
  Tensor xc = kernel_input(x), gc = kernel_input(gy);
  Tensor gw = detail::make_tensor({g.Co, g.Cg(), g.kh, g.kw}, x.dtype(), x.device());
  EMBER_KERNEL(conv2d_backward_weight, "conv2d_weight_backward", gw)(gw, xc, gc, g);
  if (autograd::any_requires_grad({&x, &gy}))
    autograd::set_history(gw, "ConvolutionBackwardWeightBackward", {x, gy},
                          [sx = SavedTensor(x), sg = SavedTensor(gy), g](const Tensor& gg, const autograd::Node& n) {
                            const char* name = "ConvolutionBackwardWeightBackward";
                            // d/dx = Bi(gy, gg); d/d gy = F(x, gg).
                            return std::vector<Tensor>{
                                n.needs_grad(0) ? conv_input_grad(sg.get(name), gg, Tensor(), g, "ConvolutionBackwardBackward") : Tensor(),
                                n.needs_grad(1) ? conv_forward(sx.get(name), gg, Tensor(), g) : Tensor()};
                          });
  return gw;
}

std::string join_x(const Shape& s) {
  std::string r;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i) r += 'x';
    r += std::to_string(s[i]);
  }
  return r;
}

// One value for every spatial dim, or one per dim.
Shape per_dim(const Shape& v, size_t sd, const char* op, const char* name) {
  EMBER_CHECK(v.size() == 1 || v.size() == sd, op, name, " must have 1 or ", sd, " entries, got ", shape_str(v));
  return v.size() == 1 ? Shape(sd, v[0]) : v;
}

// Checks shared by convolution and transposed convolution; sd = number of spatial dims.
void check_common(const Tensor& x, const Tensor& w, const Tensor& bias, const Shape& stride, const Shape& padding,
                  const Shape& dilation, int64_t groups, const char* op, int64_t sd, const char* wlayout) {
  EMBER_CHECK(x.defined() && w.defined(), op, "input and weight must be defined tensors");
  const char* xlayout = sd == 1 ? "(N, C_in, L)" : "(N, C_in, H, W)";
  EMBER_CHECK(x.dim() == sd + 1 || x.dim() == sd + 2, op, "expected a ", sd + 1, "-D (unbatched) or ", sd + 2,
              "-D (batched) input ", xlayout, ", got shape ", shape_str(x.shape()));
  EMBER_CHECK(w.dim() == sd + 2, op, "expected a ", sd + 2, "-D weight ", wlayout, ", got shape ", shape_str(w.shape()));
  EMBER_CHECK(is_floating(x.dtype()) && is_compute_dtype(x.dtype()), op, "expected a float32 or float64 input, got ",
              dtype_name(x.dtype()), "; convert with .to(ember::kFloat32)");
  EMBER_CHECK(x.dtype() == w.dtype(), op, "input (", dtype_name(x.dtype()), ") and weight (", dtype_name(w.dtype()),
              ") must have the same dtype");
  if (bias.defined())
    EMBER_CHECK(bias.dtype() == x.dtype(), op, "bias (", dtype_name(bias.dtype()), ") and input (", dtype_name(x.dtype()),
                ") must have the same dtype");
  for (auto s : stride) EMBER_CHECK(s > 0, op, "stride must be positive, got ", shape_str(stride));
  for (auto p : padding) EMBER_CHECK(p >= 0, op, "padding must be non-negative, got ", shape_str(padding));
  for (auto d : dilation) EMBER_CHECK(d > 0, op, "dilation must be positive, got ", shape_str(dilation));
  EMBER_CHECK(groups > 0, op, "groups must be positive, got ", groups);
}

// conv1d (sd = 1) and conv2d (sd = 2).
Tensor conv_nd(const Tensor& x, const Tensor& w, const Tensor& bias, const Shape& stride_in, const Shape& padding_in,
               const Shape& dilation_in, int64_t groups, const char* op, size_t sd) {
  const char* wlayout = sd == 1 ? "(C_out, C_in/groups, K)" : "(C_out, C_in/groups, kH, kW)";
  Shape stride = per_dim(stride_in, sd, op, "stride"), padding = per_dim(padding_in, sd, op, "padding"),
        dilation = per_dim(dilation_in, sd, op, "dilation");
  check_common(x, w, bias, stride, padding, dilation, groups, op, static_cast<int64_t>(sd), wlayout);
  EMBER_KERNEL(conv2d, op, x);  // a device without the kernel fails here, naming this op
  const bool unbatched = x.dim() == static_cast<int64_t>(sd) + 1;
  const int64_t cdim = unbatched ? 0 : 1, C = x.shape()[cdim], Co = w.shape()[0];
  EMBER_CHECK(C % groups == 0, op, "groups=", groups, " must divide the input's ", C, " channels (input shape ",
              shape_str(x.shape()), ")");
  EMBER_CHECK(Co % groups == 0, op, "groups=", groups, " must divide the weight's ", Co, " output channels (weight shape ",
              shape_str(w.shape()), ")");
  EMBER_CHECK(C == w.shape()[1] * groups, op, "input of shape ", shape_str(x.shape()), " has ", C,
              " channels, but weight of shape ", shape_str(w.shape()), " with groups=", groups, " expects ",
              w.shape()[1] * groups, " (weight.shape[1] * groups)");
  if (bias.defined())
    EMBER_CHECK(bias.dim() == 1 && bias.shape()[0] == Co, op, "bias must be 1-D with ", Co,
                " entries (C_out of weight ", shape_str(w.shape()), "), got shape ", shape_str(bias.shape()));
  Shape in_sp(x.shape().end() - sd, x.shape().end()), k_sp(w.shape().end() - sd, w.shape().end()), padded(sd), eff(sd);
  bool fits = true;
  for (size_t i = 0; i < sd; ++i) {
    padded[i] = in_sp[i] + 2 * padding[i];
    eff[i] = dilation[i] * (k_sp[i] - 1) + 1;
    fits = fits && eff[i] <= padded[i];
  }
  EMBER_CHECK(fits, op, "the (dilated) kernel size ", join_x(eff), " is larger than the padded input size ",
              join_x(padded), " (input ", shape_str(x.shape()), ", weight ", shape_str(w.shape()), ", padding ",
              shape_str(padding), ", dilation ", shape_str(dilation), "); use a smaller kernel or more padding");

  Tensor xb = unbatched ? x.unsqueeze(0) : x;  // (C, *) -> (1, C, *)
  Tensor wb = w;
  if (sd == 1) {  // (N, C, L) -> (N, C, 1, L): a 1-D convolution is a 2-D one over a unit height
    xb = xb.unsqueeze(2);
    wb = w.unsqueeze(2);
    stride.insert(stride.begin(), 1);
    padding.insert(padding.begin(), 0);
    dilation.insert(dilation.begin(), 1);
  }
  ConvGeom g;
  g.N = xb.shape()[0], g.C = C, g.H = xb.shape()[2], g.W = xb.shape()[3];
  g.Co = Co, g.kh = wb.shape()[2], g.kw = wb.shape()[3];
  g.sh = stride[0], g.sw = stride[1], g.ph = padding[0], g.pw = padding[1], g.dh = dilation[0], g.dw = dilation[1];
  g.groups = groups;
  g.OH = (g.H + 2 * g.ph - g.dh * (g.kh - 1) - 1) / g.sh + 1;
  g.OW = (g.W + 2 * g.pw - g.dw * (g.kw - 1) - 1) / g.sw + 1;
  Tensor y = conv_forward(xb, wb, bias, g);  // (N, Co, OH, OW)
  if (sd == 1) y = y.squeeze(2);
  return unbatched ? y.squeeze(0) : y;
}

}  // namespace

Tensor conv2d(const Tensor& x, const Tensor& w, const Tensor& bias, Shape stride, Shape padding, Shape dilation,
              int64_t groups) {
  trace::OpScope scope;
  Tensor out_ = [&]() -> Tensor {
  return conv_nd(x, w, bias, stride, padding, dilation, groups, "conv2d", 2);
}();
  if (scope) scope.record("conv", {x, w, bias}, {out_}, {trace::ints("stride", stride), trace::ints("padding", padding), trace::ints("dilation", dilation), trace::integer("groups", groups)});
  return out_;
}

Tensor conv1d(const Tensor& x, const Tensor& w, const Tensor& bias, int64_t stride, int64_t padding, int64_t dilation,
              int64_t groups) {
  trace::OpScope scope;
  Tensor out_ = [&]() -> Tensor {
  return conv_nd(x, w, bias, {stride}, {padding}, {dilation}, groups, "conv1d", 1);
}();
  if (scope) scope.record("conv", {x, w, bias}, {out_}, {trace::ints("stride", {stride}), trace::ints("padding", {padding}), trace::ints("dilation", {dilation}), trace::integer("groups", groups)});
  return out_;
}

Tensor conv_transpose2d(const Tensor& x, const Tensor& w, const Tensor& bias, Shape stride_in, Shape padding_in,
                        Shape output_padding_in, int64_t groups, Shape dilation_in) {
  trace::OpScope scope;
  Tensor out_ = [&]() -> Tensor {
  const char* op = "conv_transpose2d";
  Shape stride = per_dim(stride_in, 2, op, "stride"), padding = per_dim(padding_in, 2, op, "padding"),
        dilation = per_dim(dilation_in, 2, op, "dilation"), out_pad = per_dim(output_padding_in, 2, op, "output_padding");
  check_common(x, w, bias, stride, padding, dilation, groups, op, 2, "(C_in, C_out/groups, kH, kW)");
  const bool unbatched = x.dim() == 3;
  const int64_t Cin = x.shape()[unbatched ? 0 : 1];
  EMBER_CHECK(Cin == w.shape()[0], op, "input of shape ", shape_str(x.shape()), " has ", Cin,
              " channels, but weight of shape ", shape_str(w.shape()), " expects ", w.shape()[0], " (weight.shape[0])");
  EMBER_CHECK(Cin % groups == 0, op, "groups=", groups, " must divide the input's ", Cin, " channels (input shape ",
              shape_str(x.shape()), ", weight shape ", shape_str(w.shape()), ")");
  const int64_t Cout = w.shape()[1] * groups;
  for (int i = 0; i < 2; ++i)
    EMBER_CHECK(out_pad[i] >= 0 && (out_pad[i] < stride[i] || out_pad[i] < dilation[i]), op, "output_padding ",
                shape_str(out_pad), " must be non-negative and smaller than either stride ", shape_str(stride),
                " or dilation ", shape_str(dilation));
  if (bias.defined())
    EMBER_CHECK(bias.dim() == 1 && bias.shape()[0] == Cout, op, "bias must be 1-D with ", Cout,
                " entries (C_out = weight.shape[1] * groups for weight ", shape_str(w.shape()), "), got shape ",
                shape_str(bias.shape()));
  Tensor xb = unbatched ? x.unsqueeze(0) : x;  // (C_in, H, W) -> (1, C_in, H, W)
  // Geometry of the forward convolution this is the input gradient of: its input is our output.
  ConvGeom g;
  g.N = xb.shape()[0], g.C = Cout, g.Co = Cin, g.kh = w.shape()[2], g.kw = w.shape()[3];
  g.OH = xb.shape()[2], g.OW = xb.shape()[3];
  g.sh = stride[0], g.sw = stride[1], g.ph = padding[0], g.pw = padding[1], g.dh = dilation[0], g.dw = dilation[1];
  g.groups = groups;
  g.H = (g.OH - 1) * g.sh - 2 * g.ph + g.dh * (g.kh - 1) + out_pad[0] + 1;
  g.W = (g.OW - 1) * g.sw - 2 * g.pw + g.dw * (g.kw - 1) + out_pad[1] + 1;
  EMBER_CHECK(g.H > 0 && g.W > 0, op, "the output size ", g.H, "x", g.W, " is not positive (input ", shape_str(x.shape()),
              ", weight ", shape_str(w.shape()), ", stride ", shape_str(stride), ", padding ", shape_str(padding),
              "); reduce the padding");
  Tensor y = conv_input_grad(xb, w, bias, g, "ConvTranspose2DBackward");  // (N, C_out, H_out, W_out)
  return unbatched ? y.squeeze(0) : y;
}();
  if (scope) scope.record("conv_transpose", {x, w, bias}, {out_}, {trace::ints("stride", stride_in), trace::ints("padding", padding_in), trace::ints("output_padding", output_padding_in), trace::ints("dilation", dilation_in), trace::integer("groups", groups)});
  return out_;
}

}  // namespace ember
