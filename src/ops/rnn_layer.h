#pragma once
// Private to the ops: one step of a cell from ordinary ops (rnn_layer_composite is built on it).
#include "ember/ops/rnn.h"

namespace ember::detail {

// One step of a cell on (B, I) input and (B, H) state. Returns h' (and c' for LSTM through *c_out).
Tensor rnn_cell_reference(RnnMode mode, const Tensor& x, const Tensor& h, const Tensor& c, const RnnLayerWeights& w,
                          Tensor* c_out);

}  // namespace ember::detail
