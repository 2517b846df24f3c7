#pragma once
// The plain parameters of the kernels in backend.h: op codes, block shapes and geometries. Every
// backend reads the same ones, so they live here rather than in any backend's folder.
#include <cstdint>
#include <optional>
#include <vector>

#include "ember/tensor.h"

namespace ember::backend {

// ---- elementwise ----
enum class BinaryOp { Add, Sub, Mul, Div, Pow, Maximum, Minimum, Eq, Ne, Lt, Le, Gt, Ge, And, Or };
inline bool is_comparison(BinaryOp op) { return op >= BinaryOp::Eq; }  // bool results

enum class UnaryOp {
  Neg, Abs, Sign, Relu, Clamp,                                              // keep the input's dtype
  Exp, Log, Log1p, Erf, Sqrt, Rsqrt, Sin, Cos, Tanh, Sigmoid, Silu, LeakyRelu, Gelu, GeluTanh  // float only
};
struct UnaryArgs {
  double slope = 0;                  // LeakyRelu
  std::optional<Scalar> lo{}, hi{};  // Clamp
};

// ---- reductions ----
// A reduction's input as a contiguous block of O outputs by R reduced elements: row-major
// (src[o * R + r], reduced dims innermost) or column-major (src[r * O + o], reduced dims leading).
struct ReduceShape {
  int64_t O = 1, R = 1;
  bool col_major = false;
};

// A contiguous tensor seen as [outer, R, inner], an op running along R (softmax, cumsum, the
// gathers along one dim, index_select's (A, M, B)).
struct Block3 {
  int64_t outer = 1, R = 1, inner = 1;
};

// What the kernel that prepares class-index targets found (see Kernels::class_targets).
struct ClassTargets {
  int64_t bad = -1;   // flat position of the first target outside [0, C) that is not ignored
  double total = 0;   // sum of the weights of the targets not ignored
};

// ---- convolution (NCHW) ----
// From the point of view of the forward convolution: x (N, C, H, W), w (Co, C/groups, kh, kw),
// y (N, Co, OH, OW). conv_transpose2d is that convolution's input gradient.
struct ConvGeom {
  int64_t N = 0, C = 0, H = 0, W = 0;  // input
  int64_t Co = 0, kh = 0, kw = 0;      // weight (Co, C / groups, kh, kw)
  int64_t OH = 0, OW = 0;              // output
  int64_t sh = 1, sw = 1, ph = 0, pw = 0, dh = 1, dw = 1, groups = 1;
  int64_t Cg() const { return C / groups; }
  int64_t Cog() const { return Co / groups; }
  int64_t Kg() const { return Cg() * kh * kw; }  // GEMM inner size per group
  int64_t P() const { return OH * OW; }
  // A 1x1, stride-1, unpadded convolution reads the input itself as its column matrix.
  bool pointwise() const { return kh == 1 && kw == 1 && sh == 1 && sw == 1 && ph == 0 && pw == 0; }
};

// ---- pooling over (planes, H, W) ----
struct MaxPoolGeom {
  int64_t planes = 0, H = 0, W = 0, OH = 0, OW = 0;
  int64_t kh = 1, kw = 1, sh = 1, sw = 1, ph = 0, pw = 0, dh = 1, dw = 1;
};

// Averaging windows that factor over rows and columns: output row oh averages input rows
// [h0[oh], h1[oh]) and output column ow input columns [w0[ow], w1[ow]), divided by
// hdiv[oh] * wdiv[ow]. Covers avg_pool2d (both count_include_pad modes) and adaptive_avg_pool2d.
struct AvgWindows {
  int64_t planes = 0, H = 0, W = 0;
  std::vector<int64_t> h0, h1, w0, w1;
  std::vector<double> hdiv, wdiv;
  int64_t OH() const { return static_cast<int64_t>(h0.size()); }
  int64_t OW() const { return static_cast<int64_t>(w0.size()); }
};

// ---- normalization ----
struct BatchNormArgs {
  bool training = true;
  double momentum = 0.1, eps = 1e-5;
};

// ---- attention ----
struct AttnArgs {
  float scale = 1.0f;
  bool causal = false;     // query i sees keys j <= i (top-left aligned)
  float keep_scale = 1.0f; // the multiplier of kept probabilities when keep bits are given (dropout)
  // Key padding: matrix bh sees only its first kv_len[bh] keys (a BERT padding mask); null: all S.
  const int64_t* kv_len = nullptr;
};

// ---- recurrent layers over a packed sequence (see ember/ops/rnn.h) ----
enum class RnnCell { Tanh, Relu, Lstm, Gru };
// Gates per cell: LSTM i, f, g, o; GRU r, z, n; plain RNN one.
inline int64_t rnn_gate_count(RnnCell c) { return c == RnnCell::Lstm ? 4 : c == RnnCell::Gru ? 3 : 1; }
// Columns (in units of H) of the per-row values saved for backward besides the gates:
// all cells keep h_prev; LSTM also c_prev and tanh(c); GRU also W_hn h + b_hn.
inline int64_t rnn_aux_count(RnnCell c) { return c == RnnCell::Lstm ? 3 : c == RnnCell::Gru ? 2 : 1; }
struct RnnArgs {
  RnnCell cell = RnnCell::Tanh;
  const int64_t* batch_sizes = nullptr;  // (steps), non-increasing, each in [1, B]
  int64_t steps = 0;
  bool reverse = false;                  // process steps T-1 .. 0
};
// The weights of one layer and direction: w_ih (G*H, I), w_hh (G*H, H), b_ih, b_hh (G*H) or
// undefined; all contiguous.
struct RnnWeights {
  Tensor w_ih{}, w_hh{}, b_ih{}, b_hh{};
};
// The gradients rnn_layer_backward writes; undefined ones are not wanted.
struct RnnGrads {
  Tensor dx{}, dh0{}, dc0{}, dw_ih{}, dw_hh{}, db_ih{}, db_hh{};
};

// ---- fused optimizer steps (the formulas of ember/ops/optim_step.h) ----
struct SgdArgs {
  double lr = 0, momentum = 0, dampening = 0, weight_decay = 0;
  bool nesterov = false, maximize = false, first_step = false;
};
struct AdamArgs {
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0, step = 1;
  bool decoupled_weight_decay = false, maximize = false;
};
struct RmspropArgs {
  double lr = 1e-2, alpha = 0.99, eps = 1e-8, weight_decay = 0, momentum = 0;
  bool centered = false, maximize = false;
};
struct AdagradArgs {
  double lr = 1e-2, lr_decay = 0, weight_decay = 0, eps = 1e-10, step = 1;
  bool maximize = false;
};

}  // namespace ember::backend
