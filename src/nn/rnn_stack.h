#pragma once
// The layers x directions of nn::RNN / LSTM / GRU over packed rows (private; the modules add the
// padded / packed / unbatched front ends, the tests call it directly to compare the fused layer
// with the composite reference on whole stacks).
#include <vector>

#include "ember/random.h"
#include "ember/ops/rnn.h"

namespace ember::nn::detail {

struct RnnStackResult {
  Tensor output;  // (N, D*H)
  Tensor h_n;     // (num_layers * D, B, H)
  Tensor c_n;     // LSTM only
};

struct RnnStackConfig {
  ember::RnnMode cell;
  int64_t num_layers = 1;
  bool bidirectional = false;
  bool bias = true;
  double dropout = 0.0;  // between layers, when training
  bool training = false;
  Generator* gen = nullptr;
  bool fused = true;  // false: the composite reference (tests, benchmarks)
  const char* op = "RNN";
};

// x (N, I): packed rows in sorted batch order (batch_sizes non-increasing). h0, c0
// (num_layers * D, B, H) in the same order, or undefined (zeros). flat_weights: weight_ih,
// weight_hh[, bias_ih, bias_hh] per layer and direction, as RNNBase registers them.
RnnStackResult rnn_stack(const RnnStackConfig& cfg, const Tensor& x, const std::vector<int64_t>& batch_sizes,
                         const Tensor& h0, const Tensor& c0, const std::vector<Tensor>& flat_weights);

}  // namespace ember::nn::detail
