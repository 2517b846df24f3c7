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
#include <cstdint>

namespace ember::cpu {

enum class RnnCell { Tanh, Relu, Lstm, Gru };

// Gates per cell: LSTM i, f, g, o; GRU r, z, n; plain RNN one.
inline int64_t rnn_gate_count(RnnCell c) { return c == RnnCell::Lstm ? 4 : c == RnnCell::Gru ? 3 : 1; }
// Columns (in units of H) of the per-row values saved for backward besides the gates:
// all cells keep h_prev; LSTM also c_prev and tanh(c); GRU also W_hn h + b_hn.
inline int64_t rnn_aux_count(RnnCell c) { return c == RnnCell::Lstm ? 3 : c == RnnCell::Gru ? 2 : 1; }

template <typename T>
struct RnnLayerArgs {
  RnnCell cell;
  int64_t input_size, hidden_size, batch;  // I, H, B (= batch_sizes[0])
  const int64_t* batch_sizes;              // (steps), non-increasing, each in [1, B]
  int64_t steps;
  bool reverse;                            // process steps T-1 .. 0
  const T* x;                              // (N, I) contiguous, N = sum of batch_sizes
  const T* w_ih;                           // (G*H, I)
  const T* w_hh;                           // (G*H, H)
  const T* b_ih;                           // (G*H) or null
  const T* b_hh;                           // (G*H) or null
};

// y (N, H): the hidden state of every row; h_n, c_n (B, H): the state after each sequence's last
// step (c only for LSTM). gates (N, G*H): scratch, left holding the activated gates (for plain RNNs
// the new h). aux (N, A*H) with A = rnn_aux_count: what backward needs; null when no backward follows.
template <typename T>
void rnn_layer_forward(const RnnLayerArgs<T>& a, const T* h0, const T* c0, T* y, T* h_n, T* c_n, T* gates, T* aux);

// Elements of scratch memory rnn_layer_backward needs for N rows, B sequences, hidden size H.
inline int64_t rnn_backward_workspace(RnnCell c, int64_t N, int64_t B, int64_t H) {
  int64_t G = rnn_gate_count(c) * H;
  return N * G * (c == RnnCell::Gru ? 2 : 1) + 2 * B * H + N;
}

// Gradients of the forward above. dy (N, H), dh_n, dc_n (B, H): incoming gradients (dc_n only for
// LSTM). Outputs (each may be null when not wanted; all fully overwritten): dx (N, I), dh0, dc0
// (B, H), dw_ih (G*H, I), dw_hh (G*H, H), db_ih, db_hh (G*H). work: rnn_backward_workspace elements
// (uninitialized; the caller's allocator can recycle it).
template <typename T>
void rnn_layer_backward(const RnnLayerArgs<T>& a, const T* gates, const T* aux, const T* dy, const T* dh_n,
                        const T* dc_n, T* dx, T* dh0, T* dc0, T* dw_ih, T* dw_hh, T* db_ih, T* db_hh, T* work);

}  // namespace ember::cpu
