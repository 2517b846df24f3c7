// nn::LSTM / nn::GRU forward_padded as ONNX's LSTM / GRU, one node per layer (ONNX's ops run
// one layer, in one or both directions).
#include "ember/ops.h"
#include "onnx/emit.h"

namespace ember::onnx::detail {

namespace {

// Rows of a (G*H, *) weight or (G*H) bias regrouped from PyTorch's gate order to ONNX's:
// LSTM i, f, g, o -> i, o, f, c(=g); GRU r, z, n -> z, r, h(=n).
Tensor onnx_gates(const Tensor& w, bool lstm, int64_t H) {
  auto gate = [&](int64_t k) { return w.narrow(0, k * H, H); };
  return lstm ? cat({gate(0), gate(3), gate(1), gate(2)}, 0) : cat({gate(1), gate(0), gate(2)}, 0);
}

}  // namespace

void emit_rnn(GraphBuilder& b) {
  // inputs: x (B, T, I) or (T, B, I), lengths (B), then per layer and direction weight_ih,
  // weight_hh[, bias_ih, bias_hh]; outputs: y (.., T, D*H) zeros past each end, h_n[, c_n] (L*D, B, H)
  const trace::TracedOp& op = b.op();
  const bool lstm = op.kind == "lstm", batch_first = op.i("batch_first"), has_bias = op.i("bias");
  const int64_t H = op.i("hidden"), L = op.i("layers"), D = op.i("bidirectional") ? 2 : 1;
  const size_t per_dir = has_bias ? 4 : 2;
  const DType dt = op.inputs[0].dtype();
  for (size_t i = 2; i < op.inputs.size(); ++i)
    if (b.bound(op.inputs[i])) unsupported(b, "recurrent weights computed in the graph (they must be parameters)");

  std::string x = b.value(op.inputs[0]);
  if (batch_first) {  // ONNX's layout 0: (T, B, I)
    std::string t = b.fresh("x_tbi");
    GraphBuilder::attr(b.node("Transpose", {x}, {t}), "perm", std::vector<int64_t>{1, 0, 2});
    x = t;
  }
  std::string lens = b.op1("Cast", {b.value(op.inputs[1])}, "seq_lens");
  GraphBuilder::attr(b.last_node(), "to", static_cast<int64_t>(::onnx::TensorProto::INT32));

  std::vector<std::string> h_parts, c_parts;
  std::string y_tbdh;  // the last layer's output as (T, B, D*H)
  for (int64_t l = 0; l < L; ++l) {
    // W (D, G*H, I_l), R (D, G*H, H), B (D, 2*G*H) in ONNX's gate order.
    std::vector<Tensor> W, R, Bs;
    for (int64_t d = 0; d < D; ++d) {
      const size_t k = 2 + static_cast<size_t>(l * D + d) * per_dir;
      W.push_back(onnx_gates(op.inputs[k], lstm, H));
      R.push_back(onnx_gates(op.inputs[k + 1], lstm, H));
      if (has_bias)
        Bs.push_back(cat({onnx_gates(op.inputs[k + 2], lstm, H), onnx_gates(op.inputs[k + 3], lstm, H)}, 0));
    }
    const std::string sfx = "_l" + std::to_string(l);
    std::vector<std::string> ins{x, b.constant(stack(W, 0).to(dt), "W" + sfx), b.constant(stack(R, 0).to(dt), "R" + sfx),
                                 has_bias ? b.constant(stack(Bs, 0).to(dt), "B" + sfx) : "", lens};
    std::string y = b.fresh("Y" + sfx), yh = b.fresh("Y_h" + sfx), yc = lstm ? b.fresh("Y_c" + sfx) : "";
    std::vector<std::string> outs{y, yh};
    if (lstm) outs.push_back(yc);
    auto* n = b.node(lstm ? "LSTM" : "GRU", ins, outs);
    GraphBuilder::attr(n, "hidden_size", H);
    GraphBuilder::attr(n, "direction", std::string(D == 2 ? "bidirectional" : "forward"));
    if (!lstm) GraphBuilder::attr(n, "linear_before_reset", int64_t{1});  // PyTorch's r * (W_hn h + b_hn)
    h_parts.push_back(yh);
    if (lstm) c_parts.push_back(yc);
    // Y (T, D, B, H) -> (T, B, D, H) -> (T, B, D*H): the next layer's input.
    std::string t = b.fresh("Y_tbdh");
    GraphBuilder::attr(b.node("Transpose", {y}, {t}), "perm", std::vector<int64_t>{0, 2, 1, 3});
    x = y_tbdh = b.op1("Reshape", {t, b.const_i64({0, 0, -1})}, "layer_out");
  }
  // Zeros past each sequence's end (ONNX leaves those steps unspecified): keep = step < length.
  std::string T = b.op1("Shape", {y_tbdh}, "steps");
  GraphBuilder::attr(b.last_node(), "end", int64_t{1});
  std::string steps = b.op1("Range", {b.const_scalar(0, DType::Int64), b.op1("Reshape", {T, b.const_i64({}, "scalar")}),
                                      b.const_scalar(1, DType::Int64)});
  std::string lens64 = b.cast(lens, DType::Int32, DType::Int64);
  std::string keep = b.op1("Less", {b.op1("Unsqueeze", {steps, b.const_i64({1}, "axes")}), lens64});  // (T, B)
  keep = b.op1("Unsqueeze", {keep, b.const_i64({2}, "axes")});                                           // (T, B, 1)
  std::string y = b.op1("Where", {keep, y_tbdh, b.const_scalar(0, dt)});
  if (batch_first) {
    GraphBuilder::attr(b.node("Transpose", {y}, {output(b, 0)}), "perm", std::vector<int64_t>{1, 0, 2});
  } else {
    b.node("Identity", {y}, {output(b, 0)});
  }
  GraphBuilder::attr(b.node("Concat", h_parts, {output(b, 1)}), "axis", int64_t{0});
  if (lstm) GraphBuilder::attr(b.node("Concat", c_parts, {output(b, 2)}), "axis", int64_t{0});
}

}  // namespace ember::onnx::detail
