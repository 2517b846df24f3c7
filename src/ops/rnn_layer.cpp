// One recurrent layer in one direction: argument checks, the fused forward and its backward node,
// and the composite (see ember/ops/rnn.h).
#include "ops/rnn_layer.h"

#include <numeric>

#include "backend/backend.h"
#include "core/op_helpers.h"
#include "ember/autograd.h"
#include "ember/ops.h"

namespace ember::detail {

using autograd::SavedTensor;
using RnnCell = RnnMode;

namespace {

// The public mode and the kernels' cell list the same cells in the same order.
backend::RnnCell kernel_cell(RnnMode m) { return static_cast<backend::RnnCell>(static_cast<int>(m)); }
static_assert(static_cast<int>(backend::RnnCell::Tanh) == static_cast<int>(RnnMode::Tanh) &&
              static_cast<int>(backend::RnnCell::Relu) == static_cast<int>(RnnMode::Relu) &&
              static_cast<int>(backend::RnnCell::Lstm) == static_cast<int>(RnnMode::Lstm) &&
              static_cast<int>(backend::RnnCell::Gru) == static_cast<int>(RnnMode::Gru));

const char* cell_name(RnnCell c) {
  switch (c) {
    case RnnCell::Tanh: return "RNN_TANH";
    case RnnCell::Relu: return "RNN_RELU";
    case RnnCell::Lstm: return "LSTM";
    case RnnCell::Gru: return "GRU";
  }
  return "?";
}

const char* node_name(RnnCell c) {
  switch (c) {
    case RnnCell::Tanh: return "RnnTanhLayerBackward";
    case RnnCell::Relu: return "RnnReluLayerBackward";
    case RnnCell::Lstm: return "LstmLayerBackward";
    case RnnCell::Gru: return "GruLayerBackward";
  }
  return "RnnLayerBackward";
}

struct LayerDims {
  int64_t N, I, H, B, G;
};

void check_param(const Tensor& t, const Shape& want, const char* what, const Tensor& x, const char* op) {
  EMBER_CHECK(t.defined(), op, what, " is undefined");
  EMBER_CHECK(t.dtype() == x.dtype(), op, what, " has dtype ", dtype_name(t.dtype()), " but the input has ",
              dtype_name(x.dtype()), "; convert one with .to()");
  EMBER_CHECK(t.shape() == want, op, what, " has shape ", shape_str(t.shape()), ", expected ", shape_str(want));
}

LayerDims check_layer(RnnCell cell, const Tensor& x, const std::vector<int64_t>& batch_sizes, const Tensor& h0,
                      const Tensor& c0, const RnnLayerWeights& w, const char* op) {
  EMBER_CHECK(x.defined() && x.dim() == 2, op, "expected the packed input rows as a 2-D (N, input_size) tensor, got ",
              x.defined() ? shape_str(x.shape()) : std::string("an undefined tensor"));
  check_floating(x, op);
  EMBER_CHECK(!batch_sizes.empty(), op, "the sequence has no time steps (batch_sizes is empty)");
  int64_t n = 0;
  for (size_t t = 0; t < batch_sizes.size(); ++t) {
    EMBER_CHECK(batch_sizes[t] >= 1 && (t == 0 || batch_sizes[t] <= batch_sizes[t - 1]), op,
                "batch_sizes must be positive and non-increasing, got ", batch_sizes[t], " at step ", t,
                t ? detail::str_cat(" after ", batch_sizes[t - 1]) : std::string());
    n += batch_sizes[t];
  }
  EMBER_CHECK(n == x.size(0), op, "batch_sizes sum to ", n, " rows but the input has ", x.size(0), " (shape ",
              shape_str(x.shape()), ")");
  EMBER_CHECK(w.w_hh.defined() && w.w_hh.dim() == 2, op, "weight_hh must be a 2-D (gates * hidden_size, hidden_size) tensor");
  LayerDims d{x.size(0), x.size(1), w.w_hh.size(1), batch_sizes[0], rnn_gate_count(cell) * w.w_hh.size(1)};
  check_param(w.w_ih, {d.G, d.I}, "weight_ih", x, op);
  check_param(w.w_hh, {d.G, d.H}, "weight_hh", x, op);
  EMBER_CHECK(w.b_ih.defined() == w.b_hh.defined(), op, "pass both bias_ih and bias_hh, or neither");
  if (w.b_ih.defined()) {
    check_param(w.b_ih, {d.G}, "bias_ih", x, op);
    check_param(w.b_hh, {d.G}, "bias_hh", x, op);
  }
  if (h0.defined()) check_param(h0, {d.B, d.H}, "h0", x, op);
  if (cell == RnnCell::Lstm) {
    if (c0.defined()) check_param(c0, {d.B, d.H}, "c0", x, op);
  } else {
    EMBER_CHECK(!c0.defined(), op, "c0 is only for LSTM, not ", cell_name(cell));
  }
  return d;
}

Tensor contig_or_undef(const Tensor& t) { return t.defined() ? t.contiguous() : Tensor(); }

}  // namespace

Tensor rnn_layer_steps(RnnCell cell, const Tensor& x, const std::vector<int64_t>& batch_sizes, const Tensor& h0,
                       const Tensor& c0, const RnnLayerWeights& w, bool reverse, const char* op);

Tensor rnn_layer_fused(RnnCell cell, const Tensor& x, const std::vector<int64_t>& batch_sizes, const Tensor& h0,
                 const Tensor& c0, const RnnLayerWeights& w, bool reverse, const char* op) {
  LayerDims d = check_layer(cell, x, batch_sizes, h0, c0, w, op);
  auto kernel = EMBER_KERNEL(rnn_layer, op, x);
  const bool lstm = cell == RnnCell::Lstm;
  const DType dt = x.dtype();
  const Device dev = common_device(op, {&x, &h0, &c0, &w.w_ih, &w.w_hh, &w.b_ih, &w.b_hh});
  const TensorOptions state_options = TensorOptions(dt).with_device(dev);
  const bool need_grad = autograd::any_requires_grad({&x, &h0, &c0, &w.w_ih, &w.w_hh, &w.b_ih, &w.b_hh});
  Tensor xc = x.contiguous();
  backend::RnnWeights wc{w.w_ih.contiguous(), w.w_hh.contiguous(), contig_or_undef(w.b_ih), contig_or_undef(w.b_hh)};
  Tensor h0c = h0.defined() ? h0.contiguous() : zeros({d.B, d.H}, state_options);
  Tensor c0c = !lstm ? Tensor() : c0.defined() ? c0.contiguous() : zeros({d.B, d.H}, state_options);
  Tensor z = make_tensor({d.N + (lstm ? 2 : 1) * d.B, d.H}, dt, dev);  // (N + B [+ B], H): y, h_n [, c_n]
  Tensor gates = make_tensor({d.N, d.G}, dt, dev);                       // (N, G*H)
  Tensor aux = need_grad ? make_tensor({d.N, backend::rnn_aux_count(kernel_cell(cell)) * d.H}, dt, dev) : Tensor();
  const backend::RnnArgs args{kernel_cell(cell), batch_sizes.data(), static_cast<int64_t>(batch_sizes.size()), reverse};
  kernel(z, gates, aux, xc, h0c, c0c, wc, args);
  if (!need_grad) return z;
  autograd::set_history(
      z, node_name(cell), {x, h0, c0, w.w_ih, w.w_hh, w.b_ih, w.b_hh},
      [cell, reverse, batch_sizes, d, op, sx = SavedTensor(x), sh0 = SavedTensor(h0), sc0 = SavedTensor(c0),
       swih = SavedTensor(w.w_ih), swhh = SavedTensor(w.w_hh), sbih = SavedTensor(w.b_ih), sbhh = SavedTensor(w.b_hh),
       gates, aux](const Tensor& g, const autograd::Node& n) {
        const char* name = node_name(cell);
        RnnLayerWeights wt{swih.get(name), swhh.get(name), sbih.get(name), sbhh.get(name)};
        const Tensor& x = sx.get(name);
        if (GradMode::is_enabled()) {
          // create_graph: the fused gradient has no graph of its own, so replay the step-by-step
          // composite on the same inputs and differentiate that (rarely used; correctness over speed).
          std::vector<Tensor> in = {x, sh0.get(name), sc0.get(name), wt.w_ih, wt.w_hh, wt.b_ih, wt.b_hh}, wrt;
          for (size_t i = 0; i < in.size(); ++i)
            if (n.needs_grad(i)) wrt.push_back(in[i]);
          Tensor zr = rnn_layer_steps(cell, x, batch_sizes, in[1], in[2], wt, reverse, op);
          auto got = autograd::grad({zr}, wrt, {g}, /*retain_graph=*/true, /*create_graph=*/true, /*allow_unused=*/true);
          std::vector<Tensor> out(in.size());
          for (size_t i = 0, k = 0; i < in.size(); ++i)
            if (n.needs_grad(i)) out[i] = got[k++];
          return out;
        }
        auto grad_of = [&](size_t i, const Shape& s) {
          return n.needs_grad(i) ? make_tensor(s, x.dtype(), x.device()) : Tensor();
        };
        Tensor dx = grad_of(0, {d.N, d.I}), dh0 = grad_of(1, {d.B, d.H}), dc0 = grad_of(2, {d.B, d.H});
        Tensor dwih = grad_of(3, {d.G, d.I}), dwhh = grad_of(4, {d.G, d.H});
        Tensor dbih = grad_of(5, {d.G}), dbhh = grad_of(6, {d.G});
        const backend::RnnArgs args{kernel_cell(cell), batch_sizes.data(), static_cast<int64_t>(batch_sizes.size()),
                                    reverse};
        EMBER_KERNEL(rnn_layer_backward, name, x)({dx, dh0, dc0, dwih, dwhh, dbih, dbhh}, g.contiguous(), gates, aux,
                                                  x.contiguous(), {wt.w_ih.contiguous(), wt.w_hh.contiguous()}, args);
        return std::vector<Tensor>{dx, dh0, dc0, dwih, dwhh, dbih, dbhh};
      });
  return z;
}

Tensor rnn_cell_reference(RnnCell cell, const Tensor& x, const Tensor& h, const Tensor& c, const RnnLayerWeights& w,
                          Tensor* c_out) {
  Tensor gi = linear(x, w.w_ih, w.b_ih);  // (b, I) -> (b, G*H)
  Tensor gh = linear(h, w.w_hh, w.b_hh);  // (b, H) -> (b, G*H)
  switch (cell) {
    case RnnCell::Tanh: return tanh(gi + gh);
    case RnnCell::Relu: return relu(gi + gh);
    case RnnCell::Lstm: {
      auto q = chunk(gi + gh, 4, 1);  // i, f, g, o: each (b, H)
      Tensor i = sigmoid(q[0]), f = sigmoid(q[1]), g = tanh(q[2]), o = sigmoid(q[3]);
      Tensor c2 = f * c + i * g;
      *c_out = c2;
      return o * tanh(c2);
    }
    case RnnCell::Gru: {
      auto a = chunk(gi, 3, 1), b = chunk(gh, 3, 1);  // r, z, n: each (b, H)
      Tensor r = sigmoid(a[0] + b[0]), z = sigmoid(a[1] + b[1]);
      Tensor nn = tanh(a[2] + r * b[2]);
      return nn + z * (h - nn);
    }
  }
  throw Error("rnn_cell_reference: unknown cell");
}

Tensor rnn_layer_steps(RnnCell cell, const Tensor& x, const std::vector<int64_t>& batch_sizes, const Tensor& h0,
                           const Tensor& c0, const RnnLayerWeights& w, bool reverse, const char* op) {
  LayerDims d = check_layer(cell, x, batch_sizes, h0, c0, w, op);
  const bool lstm = cell == RnnCell::Lstm;
  const int64_t steps = static_cast<int64_t>(batch_sizes.size());
  std::vector<int64_t> offset(steps);
  std::exclusive_scan(batch_sizes.begin(), batch_sizes.end(), offset.begin(), int64_t{0});
  const TensorOptions state_options = TensorOptions(x.dtype()).with_device(x.device());
  Tensor h = h0.defined() ? h0 : zeros({d.B, d.H}, state_options);  // (B, H)
  Tensor c = !lstm ? Tensor() : c0.defined() ? c0 : zeros({d.B, d.H}, state_options);
  std::vector<Tensor> ys(steps);
  for (int64_t k = 0; k < steps; ++k) {
    int64_t t = reverse ? steps - 1 - k : k, bs = batch_sizes[t];
    // The sequences still running are the first bs rows; the others keep their state.
    auto rows = [&](const Tensor& s) { return bs == d.B ? s : s.narrow(0, 0, bs); };
    auto merge = [&](const Tensor& fresh, const Tensor& s) {
      return bs == d.B ? fresh : cat({fresh, s.narrow(0, bs, d.B - bs)}, 0);
    };
    Tensor c_new;
    Tensor h_new = rnn_cell_reference(cell, x.narrow(0, offset[t], bs), rows(h), lstm ? rows(c) : Tensor(), w, &c_new);
    ys[t] = h_new;
    h = merge(h_new, h);
    if (lstm) c = merge(c_new, c);
  }
  std::vector<Tensor> parts = {cat(ys, 0), h};  // (N, H), (B, H)
  if (lstm) parts.push_back(c);
  return cat(parts, 0);
}

}  // namespace ember::detail

namespace ember {

Tensor rnn_layer(RnnMode mode, const Tensor& x, const std::vector<int64_t>& batch_sizes, const Tensor& h0,
                 const Tensor& c0, const RnnLayerWeights& w, bool reverse, const char* op) {
  return detail::rnn_layer_fused(mode, x, batch_sizes, h0, c0, w, reverse, op);
}

Tensor rnn_layer_composite(RnnMode mode, const Tensor& x, const std::vector<int64_t>& batch_sizes, const Tensor& h0,
                           const Tensor& c0, const RnnLayerWeights& w, bool reverse, const char* op) {
  return detail::rnn_layer_steps(mode, x, batch_sizes, h0, c0, w, reverse, op);
}

}  // namespace ember
