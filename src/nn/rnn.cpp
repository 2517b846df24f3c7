// nn::RNN, LSTM, GRU: parameters, argument checks and the padded / packed / unbatched front ends
// around rnn_stack.
#include "ember/nn/rnn.h"

#include <cmath>
#include <sstream>

#include "ember/autograd.h"
#include "ember/nn/init.h"
#include "ember/ops.h"
#include "ember/ops/trace.h"
#include "nn/rnn_stack.h"

namespace ember::nn {

using RnnCell = ember::RnnMode;

namespace {

RnnCell cell_of(const std::string& mode) {
  if (mode == "RNN_TANH") return RnnCell::Tanh;
  if (mode == "RNN_RELU") return RnnCell::Relu;
  if (mode == "LSTM") return RnnCell::Lstm;
  if (mode == "GRU") return RnnCell::Gru;
  EMBER_FAIL("RNNBase", "unknown mode '", mode, "'; expected RNN_TANH, RNN_RELU, LSTM or GRU");
}

int64_t gates_of(const std::string& mode) { return ember::rnn_gate_count(cell_of(mode)); }

const char* module_name(const std::string& mode) {
  return mode == "LSTM" ? "LSTM" : mode == "GRU" ? "GRU" : "RNN";
}

std::string nonlinearity_mode(const std::string& nonlinearity) {
  EMBER_CHECK(nonlinearity == "tanh" || nonlinearity == "relu", "RNN", "Unknown nonlinearity '", nonlinearity,
              "'; expected 'tanh' or 'relu'");
  return nonlinearity == "tanh" ? "RNN_TANH" : "RNN_RELU";
}

}  // namespace

RNNBase::RNNBase(std::string mode_, int64_t input_size_, int64_t hidden_size_, int64_t num_layers_, bool bias_,
                 bool batch_first_, double dropout_, bool bidirectional_, Generator* gen_)
    : mode(std::move(mode_)), input_size(input_size_), hidden_size(hidden_size_), num_layers(num_layers_), bias(bias_),
      batch_first(batch_first_), dropout(dropout_), bidirectional(bidirectional_), gen(gen_) {
  const char* op = module_name(mode);
  const int64_t G = gates_of(mode);
  EMBER_CHECK(input_size > 0, op, "input_size must be greater than zero, got ", input_size);
  EMBER_CHECK(hidden_size > 0, op, "hidden_size must be greater than zero, got ", hidden_size);
  EMBER_CHECK(num_layers > 0, op, "num_layers must be greater than zero, got ", num_layers);
  EMBER_CHECK(dropout >= 0 && dropout <= 1, op, "dropout should be a number in range [0, 1] representing the "
              "probability of an element being zeroed, got ", dropout);
  const int64_t D = bidirectional ? 2 : 1;
  for (int64_t l = 0; l < num_layers; ++l) {
    for (int64_t dir = 0; dir < D; ++dir) {
      const std::string sfx = "_l" + std::to_string(l) + (dir ? "_reverse" : "");
      const int64_t in = l == 0 ? input_size : hidden_size * D;
      register_parameter("weight_ih" + sfx, empty({G * hidden_size, in}));
      register_parameter("weight_hh" + sfx, empty({G * hidden_size, hidden_size}));
      if (bias) {
        register_parameter("bias_ih" + sfx, empty({G * hidden_size}));
        register_parameter("bias_hh" + sfx, empty({G * hidden_size}));
      }
    }
  }
  reset_parameters();
}

void RNNBase::reset_parameters() {
  // PyTorch: every weight and bias ~ U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), in registration order.
  double stdv = 1.0 / std::sqrt(static_cast<double>(hidden_size));
  for (Tensor& w : parameters(false)) init::uniform_(w, -stdv, stdv);
}

std::vector<Tensor> RNNBase::flat_weights() const { return parameters(false); }

std::string RNNBase::extra_repr() const {
  std::ostringstream os;
  os << input_size << ", " << hidden_size;
  if (num_layers != 1) os << ", num_layers=" << num_layers;
  if (!bias) os << ", bias=False";
  if (batch_first) os << ", batch_first=True";
  if (dropout != 0) os << ", dropout=" << dropout;
  if (bidirectional) os << ", bidirectional=True";
  return os.str();
}

namespace {

// h0 / c0 against the (num_layers * D, B, H) PyTorch expects; named "hx" / "cx" in messages.
void check_hidden(const Tensor& h, const Shape& want, const char* what, const Tensor& input, const char* op) {
  if (!h.defined()) return;
  EMBER_CHECK(h.dtype() == input.dtype(), op, what, " has dtype ", dtype_name(h.dtype()), " but the input has ",
              dtype_name(input.dtype()));
  EMBER_CHECK(h.shape() == want, op, "Expected ", what, " of shape ", shape_str(want), " (num_layers * num_directions, "
              "batch, hidden_size), got ", shape_str(h.shape()));
}

void check_input_features(const Tensor& x, int64_t input_size, const char* op) {
  EMBER_CHECK(x.is_floating_point(), op, "expected a float32 or float64 input, got ", dtype_name(x.dtype()));
  EMBER_CHECK(x.size(-1) == input_size, op, "input.size(-1) must be equal to input_size. Expected ", input_size,
              ", got ", x.size(-1), " (input shape ", shape_str(x.shape()), ")");
}

}  // namespace

RNNBase::Result RNNBase::run_padded(const Tensor& input, const Tensor& h0, const Tensor& c0) {
  const char* op = module_name(mode);
  const bool lstm = mode == "LSTM";
  EMBER_CHECK(input.defined() && (input.dim() == 2 || input.dim() == 3), op, "Expected input to be 2-D (seq_len, ",
              "input_size) unbatched or 3-D ", batch_first ? "(batch, seq_len, input_size)" : "(seq_len, batch, input_size)",
              " but got ", input.defined() ? shape_str(input.shape()) : std::string("an undefined tensor"));
  check_input_features(input, input_size, op);
  EMBER_CHECK(!lstm || h0.defined() == c0.defined(), op, "pass both h0 and c0, or neither");
  const bool batched = input.dim() == 3;
  for (const Tensor* h : {&h0, &c0})
    EMBER_CHECK(!h->defined() || h->dim() == (batched ? 3 : 2), op, "For ", batched ? "batched 3-D" : "unbatched 2-D",
                " input, hx should also be ", batched ? "3-D" : "2-D", " but got ", h->dim(), "-D tensor of shape ",
                shape_str(h->shape()));
  // (T, B, I): batch_first and unbatched inputs are brought to it first.
  Tensor x = batched ? (batch_first ? input.transpose(0, 1) : input) : input.unsqueeze(1);
  Tensor h = batched || !h0.defined() ? h0 : h0.unsqueeze(1);
  Tensor c = batched || !c0.defined() ? c0 : c0.unsqueeze(1);
  const int64_t T = x.size(0), B = x.size(1), D = bidirectional ? 2 : 1;
  EMBER_CHECK(T > 0 && B > 0, op, "input of shape ", shape_str(input.shape()), " has no ", T > 0 ? "sequences" : "time steps");
  const Shape want = {num_layers * D, B, hidden_size};
  check_hidden(h, want, lstm ? "h0" : "hx", input, op);
  if (lstm) check_hidden(c, want, "c0", input, op);
  detail::RnnStackConfig cfg{cell_of(mode), num_layers, bidirectional, bias, dropout, is_training(), gen, true, op};
  auto r = detail::rnn_stack(cfg, x.contiguous().view({T * B, input_size}), std::vector<int64_t>(T, B), h, c,
                             flat_weights());
  Result out;
  out.output = r.output.view({T, B, D * hidden_size});  // (T*B, D*H) -> (T, B, D*H)
  if (batched && batch_first) out.output = out.output.transpose(0, 1);
  if (!batched) out.output = out.output.squeeze(1);
  out.h_n = batched ? r.h_n : r.h_n.squeeze(1);
  if (lstm) out.c_n = batched ? r.c_n : r.c_n.squeeze(1);
  return out;
}

RNNBase::Result RNNBase::run_packed(const PackedSequence& input, const Tensor& h0, const Tensor& c0) {
  const char* op = module_name(mode);
  const bool lstm = mode == "LSTM";
  EMBER_CHECK(input.data.defined() && input.data.dim() == 2, op, "expected PackedSequence data of shape (N, input_size), got ",
              input.data.defined() ? shape_str(input.data.shape()) : std::string("an undefined tensor"));
  check_input_features(input.data, input_size, op);
  EMBER_CHECK(!lstm || h0.defined() == c0.defined(), op, "pass both h0 and c0, or neither");
  std::vector<int64_t> bs = input.batch_sizes_vec();
  EMBER_CHECK(!bs.empty(), op, "the PackedSequence has no time steps");
  const int64_t B = bs[0], D = bidirectional ? 2 : 1;
  const Shape want = {num_layers * D, B, hidden_size};
  check_hidden(h0, want, lstm ? "h0" : "hx", input.data, op);
  if (lstm) check_hidden(c0, want, "c0", input.data, op);
  // The packed rows are in sorted order; the states the caller passes and gets are in the original one.
  auto to_sorted = [&](const Tensor& t) {
    return t.defined() && input.sorted_indices.defined() ? index_select(t, 1, input.sorted_indices) : t;
  };
  auto to_original = [&](const Tensor& t) {
    return t.defined() && input.unsorted_indices.defined() ? index_select(t, 1, input.unsorted_indices) : t;
  };
  detail::RnnStackConfig cfg{cell_of(mode), num_layers, bidirectional, bias, dropout, is_training(), gen, true, op};
  auto r = detail::rnn_stack(cfg, input.data, bs, to_sorted(h0), to_sorted(c0), flat_weights());
  return {r.output, to_original(r.h_n), to_original(r.c_n)};
}

// ---- RNN ----
RNN::RNN(int64_t input_size, int64_t hidden_size, int64_t num_layers, const std::string& nonlinearity_, bool bias,
         bool batch_first, double dropout, bool bidirectional, Generator* gen)
    : RNNBase(nonlinearity_mode(nonlinearity_), input_size, hidden_size, num_layers, bias, batch_first, dropout,
              bidirectional, gen),
      nonlinearity(nonlinearity_) {}
RNNOutput RNN::forward(const Tensor& input, const Tensor& h0) {
  auto r = run_padded(input, h0, Tensor());
  return {r.output, r.h_n};
}
PackedRNNOutput RNN::forward(const PackedSequence& input, const Tensor& h0) {
  auto r = run_packed(input, h0, Tensor());
  return {{r.output, input.batch_sizes, input.sorted_indices, input.unsorted_indices}, r.h_n};
}

// ---- LSTM ----
LSTM::LSTM(int64_t input_size, int64_t hidden_size, int64_t num_layers, bool bias, bool batch_first, double dropout,
           bool bidirectional, Generator* gen)
    : RNNBase("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, gen) {}
LSTMOutput LSTM::forward(const Tensor& input, const Tensor& h0, const Tensor& c0) {
  auto r = run_padded(input, h0, c0);
  return {r.output, r.h_n, r.c_n};
}
PackedLSTMOutput LSTM::forward(const PackedSequence& input, const Tensor& h0, const Tensor& c0) {
  auto r = run_packed(input, h0, c0);
  return {{r.output, input.batch_sizes, input.sorted_indices, input.unsorted_indices}, r.h_n, r.c_n};
}

RNNBase::Result RNNBase::forward_padded(const Tensor& input, const Tensor& lengths) {
  const char* op = module_name(mode);
  EMBER_CHECK(mode == "LSTM" || mode == "GRU", op, "forward_padded is for LSTM and GRU; pack the sequence instead");
  EMBER_CHECK(input.defined() && input.dim() == 3, op, "forward_padded expects a batched 3-D input, got ",
              input.defined() ? shape_str(input.shape()) : std::string("an undefined tensor"));
  trace::OpScope scope;
  const int64_t T = input.size(batch_first ? 1 : 0);
  PackedSequence packed = pack_padded_sequence(input, lengths, batch_first, /*enforce_sorted=*/false);
  Result r = run_packed(packed, Tensor(), Tensor());
  Result out{pad_packed_sequence({r.output, packed.batch_sizes, packed.sorted_indices, packed.unsorted_indices},
                                 batch_first, 0.0, T).first,
             r.h_n, r.c_n};
  if (scope) {
    std::vector<Tensor> ins{input, lengths};
    for (const Tensor& w : flat_weights()) ins.push_back(w);
    std::vector<Tensor> outs{out.output, out.h_n};
    if (out.c_n.defined()) outs.push_back(out.c_n);
    scope.record(mode == "LSTM" ? "lstm" : "gru", std::move(ins), std::move(outs),
                 {trace::integer("hidden", hidden_size), trace::integer("layers", num_layers),
                  trace::integer("bidirectional", bidirectional), trace::integer("batch_first", batch_first),
                  trace::integer("bias", bias)});
  }
  return out;
}

// ---- GRU ----
GRU::GRU(int64_t input_size, int64_t hidden_size, int64_t num_layers, bool bias, bool batch_first, double dropout,
         bool bidirectional, Generator* gen)
    : RNNBase("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, gen) {}
RNNOutput GRU::forward(const Tensor& input, const Tensor& h0) {
  auto r = run_padded(input, h0, Tensor());
  return {r.output, r.h_n};
}
PackedRNNOutput GRU::forward(const PackedSequence& input, const Tensor& h0) {
  auto r = run_packed(input, h0, Tensor());
  return {{r.output, input.batch_sizes, input.sorted_indices, input.unsorted_indices}, r.h_n};
}

}  // namespace ember::nn
