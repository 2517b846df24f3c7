// max_pool2d, avg_pool2d and adaptive_avg_pool2d: argument checks, output shapes and gradients;
// kernels behind the backend seam (CPU: backend/cpu/pool). The pooling maps are linear in the gradient, so each backward is
// itself a differentiable op whose own gradient is the forward map again (gradients of any order).
#include <memory>

#include "backend/backend.h"
#include "core/op_helpers.h"
#include "ember/autograd.h"
#include "ember/ops.h"
#include "ember/ops/trace.h"

namespace ember {

using backend::AvgWindows;

namespace {

Tensor kernel_input(const Tensor& t) {
  NoGradGuard ng;
  return t.detach().contiguous();
}

Shape per_dim(const Shape& v, const char* op, const char* name) {
  EMBER_CHECK(v.size() == 1 || v.size() == 2, op, name, " must have 1 or 2 entries, got ", shape_str(v));
  return v.size() == 1 ? Shape(2, v[0]) : v;
}

// PyTorch's pooling_output_shape: floor (or ceil) division, and with ceil_mode the last window
// must start inside the input or its left padding.
int64_t pool_out(int64_t in, int64_t k, int64_t s, int64_t p, int64_t d, bool ceil_mode) {
  int64_t num = in + 2 * p - d * (k - 1) - 1 + (ceil_mode ? s - 1 : 0);
  int64_t q = num >= 0 ? num / s : -((-num + s - 1) / s);  // floor division
  int64_t out = q + 1;
  if (ceil_mode && (out - 1) * s >= in + p) --out;
  return out;
}

void check_pool_input(const Tensor& x, const char* op) {
  EMBER_CHECK(x.defined(), op, "input is undefined");
  EMBER_CHECK(x.dim() == 3 || x.dim() == 4, op, "expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got shape ",
              shape_str(x.shape()));
  EMBER_CHECK(x.dtype() == kFloat32 || x.dtype() == kFloat64, op, "expected a float32 or float64 input, got ",
              dtype_name(x.dtype()), "; convert with .to(ember::kFloat32)");
  EMBER_CHECK(x.shape()[x.dim() - 1] > 0 && x.shape()[x.dim() - 2] > 0, op,
              "expected non-empty spatial dims, got input shape ", shape_str(x.shape()));
}

struct Window {
  Shape k, s, p, d;
};

// Checks kernel/stride/padding/dilation and returns them with one entry per spatial dim.
Window check_window(const Shape& kernel, const Shape& stride, const Shape& padding, const Shape& dilation,
                    const char* op) {
  Window w{per_dim(kernel, op, "kernel_size"), stride.empty() ? per_dim(kernel, op, "kernel_size") : per_dim(stride, op, "stride"),
           per_dim(padding, op, "padding"), per_dim(dilation, op, "dilation")};
  for (auto v : w.k) EMBER_CHECK(v > 0, op, "kernel_size must be positive, got ", shape_str(w.k));
  for (auto v : w.s) EMBER_CHECK(v > 0, op, "stride must be positive, got ", shape_str(w.s));
  for (auto v : w.d) EMBER_CHECK(v > 0, op, "dilation must be positive, got ", shape_str(w.d));
  for (int i = 0; i < 2; ++i)
    EMBER_CHECK(w.p[i] >= 0 && w.p[i] <= w.k[i] / 2, op, "padding ", shape_str(w.p),
                " must be non-negative and at most half of the kernel size ", shape_str(w.k));
  return w;
}

// ---- max pooling: forward, its gradient (scatter to the argmax) and that one's gradient (gather) ----

Tensor max_pool_scatter(const Tensor& g, const Tensor& idx, const Shape& in_shape);

// gx (planes, H, W) -> (planes, OH, OW): gx at the saved argmax positions.
Tensor max_pool_gather(const Tensor& gx, const Tensor& idx) {
  Tensor gc = kernel_input(gx);
  Tensor out = detail::make_tensor(idx.shape(), gx.dtype(), gx.device());
  EMBER_KERNEL(max_pool2d_gather, "max_pool2d", out)(out, gc, idx);
  if (autograd::any_requires_grad({&gx}))
    autograd::set_history(out, "MaxPool2DBackwardBackward", {gx}, [idx, in_shape = gx.shape()](const Tensor& g, const autograd::Node&) {
      return std::vector<Tensor>{max_pool_scatter(g, idx, in_shape)};
    });
  return out;
}

// g (planes, OH, OW) -> (planes, H, W): g added at the saved argmax positions.
Tensor max_pool_scatter(const Tensor& g, const Tensor& idx, const Shape& in_shape) {
  Tensor gc = kernel_input(g);
  Tensor gx = detail::make_tensor(in_shape, g.dtype(), g.device());
  EMBER_KERNEL(max_pool2d_backward, "max_pool2d_backward", gx)(gx, gc, idx);
  if (autograd::any_requires_grad({&g}))
    autograd::set_history(gx, "MaxPool2DWithIndicesBackwardBackward", {g}, [idx](const Tensor& gg, const autograd::Node&) {
      return std::vector<Tensor>{max_pool_gather(gg, idx)};
    });
  return gx;
}

// ---- average pooling over separable windows: forward and its adjoint, each the other's gradient ----

Tensor avg_windows_backward(const Tensor& g, const std::shared_ptr<const AvgWindows>& win, const Shape& in_shape,
                            const char* node);

Tensor avg_windows_forward(const Tensor& x, const std::shared_ptr<const AvgWindows>& win, const char* node) {
  Tensor xc = kernel_input(x);
  Shape out_shape = x.shape();
  out_shape[x.dim() - 2] = win->OH();
  out_shape[x.dim() - 1] = win->OW();
  Tensor y = detail::make_tensor(out_shape, x.dtype(), x.device());
  EMBER_KERNEL(avg_pool2d, "avg_pool2d", y)(y, xc, *win);
  if (autograd::any_requires_grad({&x}))
    autograd::set_history(y, node, {x}, [win, in_shape = x.shape(), node](const Tensor& g, const autograd::Node&) {
      return std::vector<Tensor>{avg_windows_backward(g, win, in_shape, node)};
    });
  return y;
}

Tensor avg_windows_backward(const Tensor& g, const std::shared_ptr<const AvgWindows>& win, const Shape& in_shape,
                            const char* node) {
  Tensor gc = kernel_input(g);
  Tensor gx = detail::make_tensor(in_shape, g.dtype(), g.device());
  EMBER_KERNEL(avg_pool2d_backward, "avg_pool2d_backward", gx)(gx, gc, *win);
  if (autograd::any_requires_grad({&g}))
    autograd::set_history(gx, "AvgPool2DBackwardBackward", {g}, [win, node](const Tensor& gg, const autograd::Node&) {
      return std::vector<Tensor>{avg_windows_forward(gg, win, node)};
    });
  return gx;
}

}  // namespace

Tensor max_pool2d(const Tensor& x, Shape kernel_size, Shape stride, Shape padding, Shape dilation, bool ceil_mode) {
  trace::OpScope scope;
  Tensor out_ = [&]() -> Tensor {
  const char* op = "max_pool2d";
  check_pool_input(x, op);
  auto kernel = EMBER_KERNEL(max_pool2d, op, x);
  Window w = check_window(kernel_size, stride, padding, dilation, op);
  const int64_t nd = x.dim(), H = x.shape()[nd - 2], W = x.shape()[nd - 1];
  backend::MaxPoolGeom g;
  g.H = H, g.W = W, g.planes = x.numel() / (H * W);
  g.kh = w.k[0], g.kw = w.k[1], g.sh = w.s[0], g.sw = w.s[1], g.ph = w.p[0], g.pw = w.p[1], g.dh = w.d[0], g.dw = w.d[1];
  g.OH = pool_out(H, g.kh, g.sh, g.ph, g.dh, ceil_mode);
  g.OW = pool_out(W, g.kw, g.sw, g.pw, g.dw, ceil_mode);
  EMBER_CHECK(g.OH >= 1 && g.OW >= 1, op, "the output size ", g.OH, "x", g.OW, " is too small for input shape ",
              shape_str(x.shape()), " (kernel_size ", shape_str(w.k), ", stride ", shape_str(w.s), ", padding ",
              shape_str(w.p), ", dilation ", shape_str(w.d), "); use a smaller kernel or more padding");
  Shape out_shape = x.shape();
  out_shape[nd - 2] = g.OH;
  out_shape[nd - 1] = g.OW;
  Tensor xc = kernel_input(x);
  Tensor y = detail::make_tensor(out_shape, x.dtype(), x.device());
  Tensor idx = detail::make_tensor(out_shape, kInt64, x.device());  // argmax as h * W + w within each plane
  kernel(y, idx, xc, g);
  if (autograd::any_requires_grad({&x}))
    autograd::set_history(y, "MaxPool2DWithIndicesBackward", {x}, [idx, in_shape = x.shape()](const Tensor& gy, const autograd::Node&) {
      return std::vector<Tensor>{max_pool_scatter(gy, idx, in_shape)};
    });
  return y;
}();
  if (scope) scope.record("max_pool", {x}, {out_}, {trace::ints("kernel", kernel_size), trace::ints("stride", stride), trace::ints("padding", padding), trace::ints("dilation", dilation), trace::integer("ceil_mode", ceil_mode)});
  return out_;
}

Tensor avg_pool2d(const Tensor& x, Shape kernel_size, Shape stride, Shape padding, bool ceil_mode,
                  bool count_include_pad) {
  trace::OpScope scope;
  Tensor out_ = [&]() -> Tensor {
  const char* op = "avg_pool2d";
  check_pool_input(x, op);
  EMBER_KERNEL(avg_pool2d, op, x);  // a device without the kernel fails here, naming this op
  Window w = check_window(kernel_size, stride, padding, {1, 1}, op);
  const int64_t nd = x.dim(), H = x.shape()[nd - 2], W = x.shape()[nd - 1];
  const int64_t OH = pool_out(H, w.k[0], w.s[0], w.p[0], 1, ceil_mode), OW = pool_out(W, w.k[1], w.s[1], w.p[1], 1, ceil_mode);
  EMBER_CHECK(OH >= 1 && OW >= 1, op, "the output size ", OH, "x", OW, " is too small for input shape ",
              shape_str(x.shape()), " (kernel_size ", shape_str(w.k), ", stride ", shape_str(w.s), ", padding ",
              shape_str(w.p), "); use a smaller kernel or more padding");
  auto win = std::make_shared<AvgWindows>();
  win->H = H, win->W = W, win->planes = x.numel() / (H * W);
  // Window o covers [o*s - p, o*s - p + k) clipped to the padded input; the divisor counts the
  // padding that window covers only with count_include_pad.
  auto axis = [&](int64_t out, int64_t in, int64_t k, int64_t s, int64_t p, std::vector<int64_t>& lo,
                  std::vector<int64_t>& hi, std::vector<double>& div) {
    for (int64_t o = 0; o < out; ++o) {
      int64_t a = o * s - p, b = std::min(a + k, in + p);
      int64_t size_with_pad = b - a;
      a = std::max<int64_t>(a, 0);
      b = std::min(b, in);
      lo.push_back(a);
      hi.push_back(b);
      div.push_back(static_cast<double>(count_include_pad ? size_with_pad : b - a));
    }
  };
  axis(OH, H, w.k[0], w.s[0], w.p[0], win->h0, win->h1, win->hdiv);
  axis(OW, W, w.k[1], w.s[1], w.p[1], win->w0, win->w1, win->wdiv);
  return avg_windows_forward(x, win, "AvgPool2DBackward");
}();
  if (scope) scope.record("avg_pool", {x}, {out_}, {trace::ints("kernel", kernel_size), trace::ints("stride", stride), trace::ints("padding", padding), trace::integer("ceil_mode", ceil_mode), trace::integer("count_include_pad", count_include_pad)});
  return out_;
}

Tensor adaptive_avg_pool2d(const Tensor& x, Shape output_size) {
  trace::OpScope scope;
  Tensor out_ = [&]() -> Tensor {
  const char* op = "adaptive_avg_pool2d";
  check_pool_input(x, op);
  EMBER_KERNEL(avg_pool2d, op, x);  // a device without the kernel fails here, naming this op
  Shape os = per_dim(output_size, op, "output_size");
  EMBER_CHECK(os[0] > 0 && os[1] > 0, op, "output_size must be positive, got ", shape_str(output_size));
  const int64_t nd = x.dim(), H = x.shape()[nd - 2], W = x.shape()[nd - 1];
  auto win = std::make_shared<AvgWindows>();
  win->H = H, win->W = W, win->planes = x.numel() / (H * W);
  // Output o averages input [floor(o * in / out), ceil((o + 1) * in / out)).
  auto axis = [](int64_t out, int64_t in, std::vector<int64_t>& lo, std::vector<int64_t>& hi, std::vector<double>& div) {
    for (int64_t o = 0; o < out; ++o) {
      int64_t a = (o * in) / out, b = ((o + 1) * in + out - 1) / out;
      lo.push_back(a);
      hi.push_back(b);
      div.push_back(static_cast<double>(b - a));
    }
  };
  axis(os[0], H, win->h0, win->h1, win->hdiv);
  axis(os[1], W, win->w0, win->w1, win->wdiv);
  return avg_windows_forward(x, win, "AdaptiveAvgPool2DBackward");
}();
  if (scope) scope.record("adaptive_avg_pool", {x}, {out_}, {trace::ints("output_size", output_size)});
  return out_;
}

}  // namespace ember
