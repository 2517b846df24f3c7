#pragma once
// The one seam between ops and kernels (private to ops and backends). A backend is an allocator
// and a table of kernels, registered for a device type; ops reach every kernel through
// EMBER_KERNEL, keyed by a tensor's device:
//
//   EMBER_KERNEL(copy, "to", out)(out, src);
//
// A device with no registered backend, or whose backend lacks the kernel, makes that raise
// ember::Error naming the op, the device and the missing kernel ("conv2d: no kernel for device
// cuda:0 ..."), as MLX's builds without a GPU raise "X has no GPU implementation".
//
// One signature style: Tensors in, the outputs as preallocated Tensors (dst/out first, on the
// same device, shapes as commented), then plain parameters (kernel_args.h). Ops check arguments,
// pick output shapes and dtypes, and make inputs contiguous where a kernel says it needs that;
// kernels check nothing but what only the data can tell (indices, targets), which they report
// by returning the first bad position. 0-dim CPU tensors (numbers) may come with any device's.
#include <algorithm>
#include <type_traits>
#include <utility>
#include <vector>

#include "backend/kernel_args.h"
#include "core/allocator.h"
#include "core/anomaly.h"
#include "core/trace_hook.h"
#include "ember/random.h"

namespace ember::backend {

struct Kernels {
  // ---- copy.h ----
  // dst = src converted to dst's dtype; src already expanded to dst's shape; any strides and dtypes.
  void (*copy)(const Tensor& dst, const Tensor& src);
  void (*fill)(const Tensor& dst, Scalar value);  // any strides

  // ---- unary.h, binary.h: out, inputs and gradients all of one shape (inputs expanded to it) ----
  // out = op(x); out of x's dtype (float ops: float32/float64 only).
  void (*unary)(UnaryOp op, const Tensor& out, const Tensor& x, const UnaryArgs& args);
  // gx = g * op'(...) where v is the saved output (Tanh, Sigmoid, Relu) or input (LeakyRelu, Gelu,
  // GeluTanh, Silu); g and v of one float dtype.
  void (*unary_backward)(UnaryOp op, const Tensor& gx, const Tensor& g, const Tensor& v, const UnaryArgs& args);
  // out = op(a, b) (Add/Sub: a + alpha * b) computed in a's dtype (a and b share it); out has that
  // dtype, or bool for comparisons and logical ops.
  void (*binary)(BinaryOp op, const Tensor& out, const Tensor& a, const Tensor& b, double alpha);
  // out = cond ? a : b; cond bool, a and b of out's dtype.
  void (*where)(const Tensor& out, const Tensor& cond, const Tensor& a, const Tensor& b);

  // ---- reduce.h, stats.h, scan.h: src contiguous as r says; out (O) contiguous ----
  void (*sum)(const Tensor& out, const Tensor& src, ReduceShape r, double scale);  // scale 1/R: mean
  void (*extreme)(const Tensor& out, const Tensor& src, ReduceShape r, bool is_max);  // amax/amin, NaN wins
  // values (may be undefined) and int64 indices of the max/min; ties take the first index.
  void (*arg_extreme)(const Tensor& values, const Tensor& indices, const Tensor& src, ReduceShape r, bool is_max);
  void (*prod)(const Tensor& out, const Tensor& src, ReduceShape r);
  // sum((x - mean)^2) / denom, square-rooted for std; two passes in double.
  void (*var)(const Tensor& out, const Tensor& src, ReduceShape r, double denom, bool take_sqrt);
  void (*logsumexp)(const Tensor& out, const Tensor& src, ReduceShape r);
  void (*norm)(const Tensor& out, const Tensor& src, ReduceShape r, double p);
  void (*any_all)(const Tensor& out, const Tensor& src, bool is_any);  // out 0-dim bool; src contiguous
  // out[o, r, i] = sum of src[o, 0..r, i] (reverse: r..R-1); src, out contiguous [outer, R, inner].
  void (*cumsum)(const Tensor& out, const Tensor& src, Block3 b, bool reverse);
  // out[o, r, i] = product of src[o, k, i] over k != r: prod's gradient, exact with zeros.
  void (*prod_backward)(const Tensor& out, const Tensor& src, Block3 b);

  // ---- softmax.h: contiguous [outer, R, inner], over R ----
  void (*softmax)(const Tensor& out, const Tensor& x, Block3 b, bool log);
  void (*softmax_backward)(const Tensor& gx, const Tensor& g, const Tensor& y, Block3 b, bool log);

  // ---- index.h: int64 indices, contiguous unless said otherwise ----
  // The flat position of the first index outside [0, size), or -1.
  int64_t (*index_bounds)(const Tensor& index, int64_t size);
  // src (A, M, B) -> out (A, n, B): out[a, j, :] = src[a, index[j], :]; indices already checked.
  void (*index_select)(const Tensor& out, const Tensor& src, const Tensor& index, Block3 src_amb);
  // out (A, M, B) += src (A, n, B) at rows index[j], in j order.
  void (*index_add)(const Tensor& out, const Tensor& src, const Tensor& index, Block3 out_amb);
  // out, index (A, n, B), src (A, M, B): out[a, j, b] = src[a, index[a, j, b], b]. Returns the
  // flat position of the first index outside [0, M), or -1.
  int64_t (*gather)(const Tensor& out, const Tensor& src, const Tensor& index, Block3 index_anb, int64_t M);
  // out (A, M, B)[a, index[a, j, b], b] += src (A, n, B)[a, j, b]; returns as gather does.
  int64_t (*scatter_add)(const Tensor& out, const Tensor& src, const Tensor& index, Block3 index_anb, int64_t M);
  // src [outer, S, inner], index and out [outer, 1, inner]: out = src at index along S (0 when
  // the index is outside [0, S)).
  void (*pick_along_dim)(const Tensor& out, const Tensor& src, const Tensor& index, Block3 src_b);
  // The adjoint: out [outer, S, inner], already zero, gets val [outer, 1, inner] at index along S.
  void (*put_along_dim)(const Tensor& out, const Tensor& val, const Tensor& index, Block3 out_b);
  // out (n, C) int64, already zero: out[i, index[i]] = 1; indices already checked.
  void (*one_hot)(const Tensor& out, const Tensor& index);
  // Class-index targets (any shape) for nll_loss: index = target, or -1 where it equals
  // ignore_index (ignored = true), weight64 (float64) = class_weight[target] (1 without class
  // weights; 0 where ignored). class_weight: (C) float64 or undefined.
  ClassTargets (*class_targets)(const Tensor& index, const Tensor& ignored, const Tensor& weight64,
                                const Tensor& target, const Tensor& class_weight, int64_t C, int64_t ignore_index);

  // ---- shape.h ----
  // out (contiguous) = inputs joined along dim; inputs of any strides and dtypes.
  void (*cat)(const Tensor& out, const std::vector<Tensor>& inputs, int64_t dim);
  // out = tril(src, diagonal) (lower) or triu; both contiguous (batch, R, C), any dtype.
  void (*triangle)(const Tensor& out, const Tensor& src, int64_t diagonal, bool lower);

  // ---- creation.h: out contiguous (n) or (n, m) ----
  void (*arange)(const Tensor& out, Scalar start, Scalar step);
  void (*linspace)(const Tensor& out, double start, double end);
  void (*eye)(const Tensor& out);  // ones on the diagonal of an already zero (n, m) out

  // ---- random.h: one Generator stream in element order, so a seed fixes the values ----
  void (*uniform)(const Tensor& out, Generator& gen);  // [0, 1)
  void (*normal)(const Tensor& out, Generator& gen);   // N(0, 1)
  void (*randint)(const Tensor& out, int64_t low, int64_t high, Generator& gen);
  void (*shuffle)(const Tensor& out, Generator& gen);  // Fisher-Yates over a 1-D int64 out
  void (*bernoulli)(const Tensor& out, const Tensor& probs, Generator& gen);
  // mask = 0 or 1/(1-p) per element, out = x * mask; all contiguous.
  void (*dropout)(const Tensor& out, const Tensor& mask, const Tensor& x, double p, Generator& gen);
  // The keep decisions dropout would draw for bits' n elements, bit i set = kept; bits: int64
  // ((n + 63) / 64) words.
  void (*dropout_bits)(const Tensor& bits, int64_t n, double p, Generator& gen);
  // z (n) float32 = keep_scale where bit i of bits is set, else 0.
  void (*bits_to_mask)(const Tensor& z, const Tensor& bits, float keep_scale);

  // ---- linalg.h ----
  // out (*, M, N) contiguous = alpha * a (*, M, K) @ b (*, K, N) + beta * out; a, b any strides,
  // broadcast batch dims with stride 0; beta = 0: out is not read.
  void (*matmul)(const Tensor& out, const Tensor& a, const Tensor& b, double alpha, double beta);
  void (*dot)(const Tensor& out, const Tensor& a, const Tensor& b);  // out 0-dim; a, b 1-D

  // ---- conv.h: contiguous NCHW, float32/float64, geometry g ----
  void (*conv2d)(const Tensor& y, const Tensor& x, const Tensor& w, const Tensor& bias, const ConvGeom& g);
  // gx (N, C, H, W) = the input gradient of gy (conv_transpose2d's forward), plus bias per channel.
  void (*conv2d_backward_input)(const Tensor& gx, const Tensor& gy, const Tensor& w, const Tensor& bias,
                                const ConvGeom& g);
  void (*conv2d_backward_weight)(const Tensor& gw, const Tensor& x, const Tensor& gy, const ConvGeom& g);
  // Both gradients in one pass where that saves work (Winograd).
  void (*conv2d_backward)(const Tensor& gx, const Tensor& gw, const Tensor& x, const Tensor& gy, const Tensor& w,
                          const ConvGeom& g);
  void (*channel_sum)(const Tensor& out, const Tensor& g);  // out (C) = sum of g (N, C, H, W) over N, H, W

  // ---- pool.h: contiguous (planes, H, W) blocks, float32/float64 ----
  // y = max over each window; idx (int64, y's shape) = argmax as h * W + w within its plane.
  void (*max_pool2d)(const Tensor& y, const Tensor& idx, const Tensor& x, const MaxPoolGeom& g);
  void (*max_pool2d_backward)(const Tensor& gx, const Tensor& gy, const Tensor& idx);  // gx = 0, += gy at idx
  void (*max_pool2d_gather)(const Tensor& out, const Tensor& gx, const Tensor& idx);   // out = gx at idx
  void (*avg_pool2d)(const Tensor& y, const Tensor& x, const AvgWindows& w);
  void (*avg_pool2d_backward)(const Tensor& gx, const Tensor& gy, const AvgWindows& w);

  // ---- norm.h: contiguous, float32/float64 data; statistics and coefficients float64 ----
  // x, y (N, C, S); mean, invstd (C) out. Training: batch statistics, and new_running_mean/var
  // (C) out = the running stats moved toward them (when running stats are given). Evaluation:
  // the running stats. weight, bias, running_mean, running_var: (C) float64 or undefined.
  void (*batch_norm)(const Tensor& y, const Tensor& mean, const Tensor& invstd, const Tensor& new_running_mean,
                     const Tensor& new_running_var, const Tensor& x, const Tensor& weight, const Tensor& bias,
                     const Tensor& running_mean, const Tensor& running_var, const BatchNormArgs& a);
  // Gradients (undefined: not wanted) of g (N, C, S); gw, gb (C) in x's dtype.
  void (*batch_norm_backward)(const Tensor& gx, const Tensor& gw, const Tensor& gb, const Tensor& g, const Tensor& x,
                              const Tensor& mean, const Tensor& invstd, const Tensor& weight, bool training);
  // x, y (R, M); w, b (M) or undefined; mean, rstd (R) out.
  void (*layer_norm)(const Tensor& y, const Tensor& mean, const Tensor& rstd, const Tensor& x, const Tensor& w,
                     const Tensor& b, double eps);
  void (*layer_norm_backward)(const Tensor& gx, const Tensor& gw, const Tensor& gb, const Tensor& g, const Tensor& x,
                              const Tensor& w, const Tensor& mean, const Tensor& rstd);

  // ---- loss.h ----
  // The mean cross-entropy of x (N, C) @ w (V, C)^T against target (N) into out (0-dim), in row
  // chunks; dx (N, C) and dw (V, C), when defined, get its gradient. Returns the first row whose
  // target is neither ignore_index nor in [0, V) (then nothing is computed), or -1.
  int64_t (*linear_cross_entropy)(const Tensor& out, const Tensor& dx, const Tensor& dw, const Tensor& x,
                                  const Tensor& w, const Tensor& target, int64_t ignore_index);

  // ---- attention.h: float32 (*, rows, cols) operands with unit column stride ----
  // out (*, L, Ev) any row layout, lse (*, L) contiguous; keep_bits (int64 words) or undefined.
  void (*attention)(const Tensor& out, const Tensor& lse, const Tensor& q, const Tensor& k, const Tensor& v,
                    const Tensor& keep_bits, const AttnArgs& a);
  void (*attention_backward)(const Tensor& gq, const Tensor& gk, const Tensor& gv, const Tensor& q, const Tensor& k,
                             const Tensor& v, const Tensor& out, const Tensor& lse, const Tensor& gout,
                             const Tensor& keep_bits, const AttnArgs& a);

  // ---- rnn.h: one layer, one direction, over a packed sequence (x (N, I) contiguous) ----
  // z (N + B [+ B], H) = y, h_n [, c_n]; gates (N, G*H) and aux (N, rnn_aux_count * H, undefined
  // without backward) keep what backward needs. h0 (B, H); c0 (B, H) for LSTM.
  void (*rnn_layer)(const Tensor& z, const Tensor& gates, const Tensor& aux, const Tensor& x, const Tensor& h0,
                    const Tensor& c0, const RnnWeights& w, const RnnArgs& a);
  void (*rnn_layer_backward)(const RnnGrads& grads, const Tensor& gz, const Tensor& gates, const Tensor& aux,
                             const Tensor& x, const RnnWeights& w, const RnnArgs& a);

  // ---- optim.h: contiguous parameter, gradient and state of one dtype; in place ----
  void (*sgd_step)(const Tensor& p, const Tensor& g, const Tensor& momentum_buffer, const SgdArgs& a);
  void (*adam_step)(const Tensor& p, const Tensor& g, const Tensor& exp_avg, const Tensor& exp_avg_sq,
                    const Tensor& max_exp_avg_sq, const AdamArgs& a);
  void (*rmsprop_step)(const Tensor& p, const Tensor& g, const Tensor& square_avg, const Tensor& grad_avg,
                       const Tensor& momentum_buffer, const RmspropArgs& a);
  void (*adagrad_step)(const Tensor& p, const Tensor& g, const Tensor& sum, const AdagradArgs& a);
  double (*norm_power_sum)(const Tensor& t, double p);  // sum |x|^p (max |x| for inf) in float64
  void (*scale)(const Tensor& t, double c);              // t *= c rounded to t's dtype
};

struct Backend {
  const char* name;                      // "cpu"
  const detail::Allocator* allocator;    // host memory for the CPU
  Kernels kernels;                       // null entries: kernels this backend does not have
};

// Registers `b` (which must outlive the process, e.g. a static) for every device of `type`; also
// registers its allocator, so tensors can be created there. Replaces an earlier registration;
// nullptr unregisters (tests).
void register_backend(Device::Type type, const Backend* b);
// The backend for `type`, or nullptr.
const Backend* find(Device::Type type);

[[noreturn]] void no_kernel(const char* op, const char* kernel, Device d);

// Kernel `entry` (called `name` in errors) of the backend of device d, or of tensor t's device.
template <typename F>
F kernel(F Kernels::*entry, const char* name, const char* op, Device d) {
  const Backend* b = find(d.type);
  if (!b || !(b->kernels.*entry)) [[unlikely]] no_kernel(op, name, d);
  return b->kernels.*entry;
}
template <typename F>
F kernel(F Kernels::*entry, const char* name, const char* op, const Tensor& t) {
  return kernel(entry, name, op, t.device());
}

// Anomaly mode (core/anomaly.h): how many of a kernel's leading Tensor arguments are outputs that
// every call checks for a NaN or infinity it made. 0: not checked (fills and random draws make
// what they were asked for, e.g. -inf for a mask; int64 and bool results cannot be non-finite).
template <auto Entry> inline constexpr int kCheckedOutputs = 1;
template <> inline constexpr int kCheckedOutputs<&Kernels::fill> = 0;
template <> inline constexpr int kCheckedOutputs<&Kernels::any_all> = 0;
template <> inline constexpr int kCheckedOutputs<&Kernels::index_bounds> = 0;
template <> inline constexpr int kCheckedOutputs<&Kernels::one_hot> = 0;
template <> inline constexpr int kCheckedOutputs<&Kernels::class_targets> = 0;
template <> inline constexpr int kCheckedOutputs<&Kernels::arange> = 0;
template <> inline constexpr int kCheckedOutputs<&Kernels::linspace> = 0;
template <> inline constexpr int kCheckedOutputs<&Kernels::eye> = 0;
template <> inline constexpr int kCheckedOutputs<&Kernels::uniform> = 0;
template <> inline constexpr int kCheckedOutputs<&Kernels::normal> = 0;
template <> inline constexpr int kCheckedOutputs<&Kernels::randint> = 0;
template <> inline constexpr int kCheckedOutputs<&Kernels::shuffle> = 0;
template <> inline constexpr int kCheckedOutputs<&Kernels::bernoulli> = 0;
template <> inline constexpr int kCheckedOutputs<&Kernels::dropout_bits> = 0;
template <> inline constexpr int kCheckedOutputs<&Kernels::bits_to_mask> = 0;
template <> inline constexpr int kCheckedOutputs<&Kernels::norm_power_sum> = 0;  // returns a number
template <> inline constexpr int kCheckedOutputs<&Kernels::rnn_layer_backward> = 0;  // runs inside backward
template <> inline constexpr int kCheckedOutputs<&Kernels::arg_extreme> = 2;
template <> inline constexpr int kCheckedOutputs<&Kernels::conv2d_backward> = 2;
template <> inline constexpr int kCheckedOutputs<&Kernels::max_pool2d> = 2;
template <> inline constexpr int kCheckedOutputs<&Kernels::batch_norm> = 5;
template <> inline constexpr int kCheckedOutputs<&Kernels::batch_norm_backward> = 3;
template <> inline constexpr int kCheckedOutputs<&Kernels::layer_norm> = 3;
template <> inline constexpr int kCheckedOutputs<&Kernels::layer_norm_backward> = 3;
template <> inline constexpr int kCheckedOutputs<&Kernels::linear_cross_entropy> = 3;
template <> inline constexpr int kCheckedOutputs<&Kernels::attention> = 2;
template <> inline constexpr int kCheckedOutputs<&Kernels::attention_backward> = 3;
template <> inline constexpr int kCheckedOutputs<&Kernels::rnn_layer> = 3;

// Collects the tensors among a kernel's arguments, in order, undefined ones too (a vector of
// inputs, or RNN weights, count as their tensors).
inline void collect_tensors(std::vector<const Tensor*>& out, const Tensor& t) { out.push_back(&t); }
inline void collect_tensors(std::vector<const Tensor*>& out, const std::vector<Tensor>& ts) {
  for (auto& t : ts) collect_tensors(out, t);
}
inline void collect_tensors(std::vector<const Tensor*>& out, const RnnWeights& w) {
  for (const Tensor* t : {&w.w_ih, &w.w_hh, &w.b_ih, &w.b_hh}) collect_tensors(out, *t);
}
template <typename T>
void collect_tensors(std::vector<const Tensor*>&, const T&) {}

// A kernel as EMBER_KERNEL hands it out: calls it, and with anomaly mode on checks its outputs.
// operator() takes the kernel's own parameter types, so braced arguments still convert; the check
// stays out of line, so that with the mode off a call costs one relaxed load and a branch more.
template <int Outputs, typename F>
struct CheckedKernel;
template <int Outputs, typename R, typename... Args>
struct CheckedKernel<Outputs, R (*)(Args...)> {
  R (*fn)(Args...);
  const char* op;
  R operator()(Args... a) const {
    if (detail::any_tracer()) [[unlikely]] check_traced(a...);
    if constexpr (Outputs > 0)
      if (detail::anomaly_enabled()) [[unlikely]] return checked(std::forward<Args>(a)...);
    return fn(std::forward<Args>(a)...);
  }
  // Op tracing (core/trace_hook.h): a kernel outside a recorded op may not touch a traced value.
  [[gnu::noinline, gnu::cold]] void check_traced(const Args&... a) const {
    detail::KernelTraceHook* hook = detail::kernel_trace_hook();
    if (!hook) return;
    std::vector<const Tensor*> all;
    (collect_tensors(all, a), ...);
    hook->check_kernel(op, all);
  }
  [[gnu::noinline, gnu::cold]] R checked(Args... a) const {
    if (detail::anomaly_paused()) return fn(std::forward<Args>(a)...);
    std::vector<const Tensor*> all;
    (collect_tensors(all, a), ...);
    const size_t k = std::min(all.size(), static_cast<size_t>(Outputs));
    std::vector<const Tensor*> outs(all.begin(), all.begin() + k), ins(all.begin() + k, all.end());
    const detail::KernelInputs before = detail::scan_kernel_inputs(ins);
    if constexpr (std::is_void_v<R>) {
      fn(std::forward<Args>(a)...);
      detail::check_kernel_outputs(op, outs, ins, before);
    } else {
      R r = fn(std::forward<Args>(a)...);
      detail::check_kernel_outputs(op, outs, ins, before);
      return r;
    }
  }
};
template <auto Entry, typename W>
auto checked_kernel(const char* name, const char* op, const W& where) {
  auto fn = kernel(Entry, name, op, where);
  return CheckedKernel<kCheckedOutputs<Entry>, decltype(fn)>{fn, op};
}

}  // namespace ember::backend

// The kernel `entry` of the backend of `where` (a tensor, or a device), for op `op` (named in errors).
#define EMBER_KERNEL(entry, op, where) \
  ::ember::backend::checked_kernel<&::ember::backend::Kernels::entry>(#entry, op, where)
