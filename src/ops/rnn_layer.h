#pragma once
// One recurrent layer in one direction over a packed sequence (private to Ember: nn::RNN, LSTM,
// GRU and the cells are built on it). Two implementations with the same contract:
//   rnn_layer            the fused kernel (backend/cpu/rnn_kernels.h) as a single autograd node;
//   rnn_layer_reference  a composite of ordinary ops, one cell step at a time; the tests hold the
//                        fused layer to it, and the fused node replays it for double backward.
#include <vector>

#include "backend/cpu/rnn_kernels.h"
#include "ember/tensor.h"

namespace ember::detail {

using cpu::RnnCell;

struct RnnLayerWeights {
  Tensor w_ih, w_hh;  // (G*H, I), (G*H, H); G = 4 (LSTM i, f, g, o), 3 (GRU r, z, n), 1
  Tensor b_ih, b_hh;  // (G*H) each, or both undefined
};

// x (N, I): the rows of a packed sequence, step by step (batch_sizes non-increasing, summing to N).
// h0, c0 (B, H) with B = batch_sizes[0], or undefined for zeros (c0: LSTM only).
// Returns Z (N + B, H), or (N + 2B, H) for LSTM: rows [0, N) are the outputs, then h_n, then c_n.
// The layout lets one single-output autograd node carry all three; callers take narrow() views.
// reverse: run from the last step to the first (the backward half of a bidirectional layer).
// `op` names the caller in error messages.
Tensor rnn_layer(RnnCell cell, const Tensor& x, const std::vector<int64_t>& batch_sizes, const Tensor& h0,
                 const Tensor& c0, const RnnLayerWeights& w, bool reverse, const char* op);
Tensor rnn_layer_reference(RnnCell cell, const Tensor& x, const std::vector<int64_t>& batch_sizes, const Tensor& h0,
                           const Tensor& c0, const RnnLayerWeights& w, bool reverse, const char* op);

// One step of a cell on (B, I) input and (B, H) state, from ordinary ops. Returns h' (and c' for
// LSTM through *c_out).
Tensor rnn_cell_reference(RnnCell cell, const Tensor& x, const Tensor& h, const Tensor& c, const RnnLayerWeights& w,
                          Tensor* c_out);

}  // namespace ember::detail
