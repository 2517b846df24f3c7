#pragma once
// Recurrent layers with PyTorch's names, arguments, parameter names, gate order and default
// initialization: RNN (tanh or relu), LSTM, GRU and their single-step cells.
//
//   nn::LSTM lstm(128, 256, /*num_layers=*/2, /*bias=*/true, /*batch_first=*/true);
//   auto [y, h_n, c_n] = lstm.forward(x);             // x (B, T, 128) -> y (B, T, 256)
//   auto packed = nn::pack_padded_sequence(x, lengths, /*batch_first=*/true, /*enforce_sorted=*/false);
//   auto [py, h, c] = lstm.forward(packed);           // h, c: each sequence's state at its last step
//
// Gates: LSTM i, f, g, o; GRU r, z, n with n = tanh(W_in x + b_in + r * (W_hn h + b_hn)). Parameters
// per layer k and direction: weight_ih_l{k}[_reverse] (G*H, I_k), weight_hh_l{k} (G*H, H),
// bias_ih_l{k}, bias_hh_l{k} (G*H), all initialized U(-1/sqrt(H), 1/sqrt(H)). Input (T, B, I),
// (B, T, I) with batch_first, or unbatched (T, I); h0 / c0 (num_layers * D, B, H) or (num_layers * D, H)
// unbatched, zeros when not given. proj_size (LSTM projections) is not supported.
#include <string>

#include "ember/nn/module.h"
#include "ember/nn/packed_sequence.h"
#include "ember/random.h"

namespace ember::nn {

struct RNNOutput {
  Tensor output;  // (T, B, D*H), (B, T, D*H) with batch_first, or (T, D*H) unbatched
  Tensor h_n;     // (num_layers * D, B, H) or (num_layers * D, H)
};
struct LSTMOutput {
  Tensor output, h_n, c_n;
};
struct PackedRNNOutput {
  PackedSequence output;  // data (N, D*H), same batch_sizes and indices as the input
  Tensor h_n;             // in the input's original batch order
};
struct PackedLSTMOutput {
  PackedSequence output;
  Tensor h_n, c_n;
};

// The shared machinery of RNN, LSTM and GRU. mode: "RNN_TANH", "RNN_RELU", "LSTM" or "GRU".
// dropout: probability of zeroing each output of every layer but the last, in training only,
// drawn from `gen` (null: the default generator) so a seeded generator reproduces it.
class RNNBase : public Module {
 public:
  RNNBase(std::string mode, int64_t input_size, int64_t hidden_size, int64_t num_layers, bool bias, bool batch_first,
          double dropout, bool bidirectional, Generator* gen);
  struct Result {
    Tensor output, h_n, c_n;  // c_n: LSTM only
  };
  std::string extra_repr() const override;
  void reset_parameters();
  // weight_ih, weight_hh, bias_ih, bias_hh (no biases when bias = false) of each layer and direction,
  // in registration order (PyTorch's _flat_weights).
  std::vector<Tensor> flat_weights() const;
  // A padded batch with each sequence's length: input (B, T, I) with batch_first, else (T, B, I);
  // lengths (B) int64 in [1, T]. Returns the output at T steps with zeros past each sequence's
  // end, and h_n (c_n for LSTM) at each sequence's last real step: exactly pack_padded_sequence
  // (enforce_sorted = false), forward and pad_packed_sequence(total_length = T), as one op that
  // ONNX export writes as ONNX's LSTM / GRU with sequence_lens. LSTM and GRU only.
  Result forward_padded(const Tensor& input, const Tensor& lengths);

  std::string mode;
  int64_t input_size, hidden_size, num_layers;
  bool bias, batch_first;
  double dropout;
  bool bidirectional;
  Generator* gen;

 protected:
  // Checks and runs a padded input; hx may be undefined (zeros). c0 only for LSTM.
  Result run_padded(const Tensor& input, const Tensor& h0, const Tensor& c0);
  Result run_packed(const PackedSequence& input, const Tensor& h0, const Tensor& c0);

 private:
  std::vector<std::string> weight_names_;
};

class RNN : public RNNBase {
 public:
  // nonlinearity: "tanh" or "relu"
  RNN(int64_t input_size, int64_t hidden_size, int64_t num_layers = 1, const std::string& nonlinearity = "tanh",
      bool bias = true, bool batch_first = false, double dropout = 0.0, bool bidirectional = false,
      Generator* gen = nullptr);
  RNNOutput forward(const Tensor& input, const Tensor& h0 = Tensor());
  PackedRNNOutput forward(const PackedSequence& input, const Tensor& h0 = Tensor());
  std::string name() const override { return "RNN"; }
  std::string nonlinearity;
};

class LSTM : public RNNBase {
 public:
  LSTM(int64_t input_size, int64_t hidden_size, int64_t num_layers = 1, bool bias = true, bool batch_first = false,
       double dropout = 0.0, bool bidirectional = false, Generator* gen = nullptr);
  // h0 and c0: both or neither.
  LSTMOutput forward(const Tensor& input, const Tensor& h0 = Tensor(), const Tensor& c0 = Tensor());
  PackedLSTMOutput forward(const PackedSequence& input, const Tensor& h0 = Tensor(), const Tensor& c0 = Tensor());
  std::string name() const override { return "LSTM"; }
};

class GRU : public RNNBase {
 public:
  GRU(int64_t input_size, int64_t hidden_size, int64_t num_layers = 1, bool bias = true, bool batch_first = false,
      double dropout = 0.0, bool bidirectional = false, Generator* gen = nullptr);
  RNNOutput forward(const Tensor& input, const Tensor& h0 = Tensor());
  PackedRNNOutput forward(const PackedSequence& input, const Tensor& h0 = Tensor());
  std::string name() const override { return "GRU"; }
};

// ---- cells: one time step; input (B, I) or unbatched (I); state (B, H) or (H), zeros when not given ----
class RNNCellBase : public Module {
 public:
  RNNCellBase(int64_t input_size, int64_t hidden_size, bool bias, int64_t gates);
  std::string extra_repr() const override;
  void reset_parameters();
  Tensor weight_ih, weight_hh, bias_ih, bias_hh;  // (G*H, I), (G*H, H), (G*H), (G*H)
  int64_t input_size, hidden_size;
  bool bias;
};

class RNNCell : public RNNCellBase {
 public:
  RNNCell(int64_t input_size, int64_t hidden_size, bool bias = true, const std::string& nonlinearity = "tanh");
  Tensor forward(const Tensor& input, const Tensor& hx);  // -> h' (B, H)
  Tensor forward(const Tensor& input) override { return forward(input, Tensor()); }
  std::string name() const override { return "RNNCell"; }
  std::string extra_repr() const override;
  std::string nonlinearity;
};

struct LSTMCellOutput {
  Tensor h, c;
};
class LSTMCell : public RNNCellBase {
 public:
  LSTMCell(int64_t input_size, int64_t hidden_size, bool bias = true);
  LSTMCellOutput forward(const Tensor& input, const Tensor& hx = Tensor(), const Tensor& cx = Tensor());
  std::string name() const override { return "LSTMCell"; }
};

class GRUCell : public RNNCellBase {
 public:
  GRUCell(int64_t input_size, int64_t hidden_size, bool bias = true);
  Tensor forward(const Tensor& input, const Tensor& hx);  // -> h' (B, H)
  Tensor forward(const Tensor& input) override { return forward(input, Tensor()); }
  std::string name() const override { return "GRUCell"; }
};

}  // namespace ember::nn
