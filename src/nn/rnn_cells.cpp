// nn::RNNCell, LSTMCell, GRUCell: one step of the fused layer kernel (a one-step packed sequence).
#include <cmath>
#include <sstream>

#include "ember/nn/init.h"
#include "ember/nn/rnn.h"
#include "ember/ops.h"

namespace ember::nn {

using RnnCell = ember::RnnMode;

RNNCellBase::RNNCellBase(int64_t input_size_, int64_t hidden_size_, bool bias_, int64_t gates)
    : input_size(input_size_), hidden_size(hidden_size_), bias(bias_) {
  EMBER_CHECK(input_size > 0 && hidden_size > 0, "RNNCellBase", "input_size and hidden_size must be greater than zero, got ",
              input_size, " and ", hidden_size);
  weight_ih = register_parameter("weight_ih", empty({gates * hidden_size, input_size}));
  weight_hh = register_parameter("weight_hh", empty({gates * hidden_size, hidden_size}));
  if (bias) {
    bias_ih = register_parameter("bias_ih", empty({gates * hidden_size}));
    bias_hh = register_parameter("bias_hh", empty({gates * hidden_size}));
  }
  reset_parameters();
}

void RNNCellBase::reset_parameters() {
  double stdv = 1.0 / std::sqrt(static_cast<double>(hidden_size));
  for (Tensor& w : parameters(false)) init::uniform_(w, -stdv, stdv);
}

std::string RNNCellBase::extra_repr() const {
  std::ostringstream os;
  os << input_size << ", " << hidden_size;
  if (!bias) os << ", bias=False";
  return os.str();
}

namespace {

// One step as a one-step packed sequence: returns {h', c'} (c' only for LSTM). Unbatched (I)
// input and (H) states run as a batch of one.
std::pair<Tensor, Tensor> cell_step(RnnCell cell, const RNNCellBase& m, const Tensor& input, const Tensor& hx,
                                    const Tensor& cx, const char* op) {
  EMBER_CHECK(input.defined() && (input.dim() == 1 || input.dim() == 2), op,
              "Expected input to be 1-D (input_size) or 2-D (batch, input_size), got ",
              input.defined() ? shape_str(input.shape()) : std::string("an undefined tensor"));
  EMBER_CHECK(input.is_floating_point(), op, "expected a float32 or float64 input, got ", dtype_name(input.dtype()));
  const bool batched = input.dim() == 2;
  for (const Tensor* s : {&hx, &cx})
    EMBER_CHECK(!s->defined() || s->dim() == input.dim(), op, "For ", batched ? "batched 2-D" : "unbatched 1-D",
                " input, hx should also be ", batched ? "2-D" : "1-D", " but got ", s->dim(), "-D tensor of shape ",
                shape_str(s->shape()));
  auto batch = [&](const Tensor& t) { return batched || !t.defined() ? t : t.unsqueeze(0); };
  Tensor x = batch(input), h = batch(hx), c = batch(cx);  // (B, I), (B, H)
  EMBER_CHECK(x.size(1) == m.input_size, op, "input has inconsistent input_size: got ", x.size(1), " expected ",
              m.input_size);
  const int64_t B = x.size(0);
  EMBER_CHECK(B > 0, op, "input of shape ", shape_str(input.shape()), " has an empty batch");
  for (const Tensor* s : {&h, &c}) {
    if (!s->defined()) continue;
    EMBER_CHECK(s->size(0) == B, op, "Input batch size ", B, " doesn't match hidden0 batch size ", s->size(0));
    EMBER_CHECK(s->size(1) == m.hidden_size, op, "hidden0 has inconsistent hidden_size: got ", s->size(1),
                ", expected ", m.hidden_size);
  }
  ember::RnnLayerWeights w{m.weight_ih, m.weight_hh, m.bias_ih, m.bias_hh};
  Tensor z = ember::rnn_layer(cell, x, {B}, h, c, w, false, op);  // (B + B [+ B], H): y, h', c'
  Tensor h2 = z.narrow(0, B, B), c2 = cell == RnnCell::Lstm ? z.narrow(0, 2 * B, B) : Tensor();
  if (!batched) {
    h2 = h2.squeeze(0);
    if (c2.defined()) c2 = c2.squeeze(0);
  }
  return {h2, c2};
}

std::string nonlinearity_checked(const std::string& nl) {
  EMBER_CHECK(nl == "tanh" || nl == "relu", "RNNCell", "Unknown nonlinearity: ", nl, "; expected 'tanh' or 'relu'");
  return nl;
}

}  // namespace

RNNCell::RNNCell(int64_t input_size, int64_t hidden_size, bool bias, const std::string& nl)
    : RNNCellBase(input_size, hidden_size, bias, 1), nonlinearity(nonlinearity_checked(nl)) {}
Tensor RNNCell::forward(const Tensor& input, const Tensor& hx) {
  return cell_step(nonlinearity == "relu" ? RnnCell::Relu : RnnCell::Tanh, *this, input, hx, Tensor(), "RNNCell").first;
}
std::string RNNCell::extra_repr() const {
  std::string s = RNNCellBase::extra_repr();
  if (nonlinearity != "tanh") s += ", nonlinearity=" + nonlinearity;
  return s;
}

LSTMCell::LSTMCell(int64_t input_size, int64_t hidden_size, bool bias) : RNNCellBase(input_size, hidden_size, bias, 4) {}
LSTMCellOutput LSTMCell::forward(const Tensor& input, const Tensor& hx, const Tensor& cx) {
  EMBER_CHECK(hx.defined() == cx.defined(), "LSTMCell", "pass both hx and cx, or neither");
  auto [h, c] = cell_step(RnnCell::Lstm, *this, input, hx, cx, "LSTMCell");
  return {h, c};
}

GRUCell::GRUCell(int64_t input_size, int64_t hidden_size, bool bias) : RNNCellBase(input_size, hidden_size, bias, 3) {}
Tensor GRUCell::forward(const Tensor& input, const Tensor& hx) {
  return cell_step(RnnCell::Gru, *this, input, hx, Tensor(), "GRUCell").first;
}

}  // namespace ember::nn
