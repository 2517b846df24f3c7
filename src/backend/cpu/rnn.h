#pragma once
// Fused recurrent layers on the CPU: one layer, one direction, over a packed sequence.
//
// A packed sequence holds its rows time step by time step: step t owns rows [off_t, off_t + bs_t)
// with bs_t = batch_sizes[t] non-increasing (sequences sorted longest first), so the sequences
// still running at step t are always the first bs_t rows of the state. A padded (T, B) batch is
// the case bs_t = B for every t.
//
// Forward: one GEMM projects every step's input at once, (N, I) @ (I, G*H); then per step one
// GEMM h @ W_hh^T for the active rows and one fused pointwise pass over the gates. Backward walks
// the steps in reverse with one GEMM per step for dh, then forms dx, dW_ih and dW_hh with one
// large GEMM each over all N rows (the per-step inputs are saved during the forward).
#include "backend/kernel_args.h"

namespace ember::cpu {

using backend::RnnArgs;
using backend::RnnCell;
using backend::RnnGrads;
using backend::RnnWeights;

// z (N + B [+ B], H) = y (the hidden state of every row), h_n [, c_n] (the state after each
// sequence's last step; c only for LSTM). gates (N, G*H): scratch, left holding the activated gates
// (for plain RNNs the new h). aux (N, rnn_aux_count * H): what backward needs; undefined when no
// backward follows.
void rnn_layer(const Tensor& z, const Tensor& gates, const Tensor& aux, const Tensor& x, const Tensor& h0,
               const Tensor& c0, const RnnWeights& w, const RnnArgs& a);
// Gradients of the forward above for gz (the gradient of z); each wanted gradient is overwritten.
void rnn_layer_backward(const RnnGrads& grads, const Tensor& gz, const Tensor& gates, const Tensor& aux,
                        const Tensor& x, const RnnWeights& w, const RnnArgs& a);

}  // namespace ember::cpu
