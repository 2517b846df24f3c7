#pragma once
// Functional recurrent layers: one layer in one direction over a packed sequence, the op that
// nn::RNN, LSTM, GRU and their cells are built on (as ATen's rnn_tanh / lstm / gru over one layer).
//   rnn_layer            the fused kernel as a single autograd node;
//   rnn_layer_composite  the same contract from ordinary ops, one cell step at a time (the tests
//                        hold the fused layer to it, and the fused node replays it for double
//                        backward).
#include <cstdint>
#include <vector>

#include "ember/tensor.h"

namespace ember {

enum class RnnMode { Tanh, Relu, Lstm, Gru };

// Gates per cell: LSTM i, f, g, o; GRU r, z, n; plain RNN one.
inline int64_t rnn_gate_count(RnnMode m) { return m == RnnMode::Lstm ? 4 : m == RnnMode::Gru ? 3 : 1; }

struct RnnLayerWeights {
  Tensor w_ih, w_hh;  // (G*H, I), (G*H, H); G = rnn_gate_count(mode)
  Tensor b_ih, b_hh;  // (G*H) each, or both undefined
};

// x (N, I): the rows of a packed sequence, step by step (batch_sizes non-increasing, summing to N).
// h0, c0 (B, H) with B = batch_sizes[0], or undefined for zeros (c0: LSTM only).
// Returns Z (N + B, H), or (N + 2B, H) for LSTM: rows [0, N) are the outputs, then h_n, then c_n.
// The layout lets one single-output autograd node carry all three; callers take narrow() views.
// reverse: run from the last step to the first (the backward half of a bidirectional layer).
// `op` names the caller in error messages.
Tensor rnn_layer(RnnMode mode, const Tensor& x, const std::vector<int64_t>& batch_sizes, const Tensor& h0,
                 const Tensor& c0, const RnnLayerWeights& w, bool reverse, const char* op = "rnn_layer");
Tensor rnn_layer_composite(RnnMode mode, const Tensor& x, const std::vector<int64_t>& batch_sizes, const Tensor& h0,
                           const Tensor& c0, const RnnLayerWeights& w, bool reverse,
                           const char* op = "rnn_layer_composite");

}  // namespace ember
