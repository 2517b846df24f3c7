// The dispatch from a traced op's kind to its emitter, and the emitters' shared helpers.
#include <map>

#include "ember/error.h"
#include "onnx/emit.h"

namespace ember::onnx::detail {

std::string input_as(GraphBuilder& b, size_t i, DType dt) {
  const Tensor& t = b.op().inputs.at(i);
  if (!t.defined()) return "";
  if (t.dtype() == dt || b.bound(t)) return b.cast(b.value(t), t.dtype(), dt);
  return b.constant(t.detach().to(dt), "const");  // converted once, here
}

std::string output(GraphBuilder& b, size_t i) {
  std::string name = b.fresh(b.op().kind);
  b.bind(b.op().outputs.at(i), name);
  return name;
}

void unsupported(const GraphBuilder& b, const std::string& why) {
  throw Error(ember::detail::str_cat("onnx export: ", b.describe_op(), ": ", why));
}

void emit_op(GraphBuilder& b) {
  using Emitter = void (*)(GraphBuilder&);
  static const std::map<std::string, Emitter> table{
      {"reshape", emit_reshape},     {"transpose", emit_transpose},   {"slice", emit_slice},
      {"select", emit_select},       {"expand", emit_expand},         {"cast", emit_cast},
      {"binary", emit_binary},       {"where", emit_where},           {"unary", emit_unary},
      {"reduce_sum", emit_reduce},   {"reduce_mean", emit_reduce},    {"reduce_max", emit_reduce},
      {"reduce_min", emit_reduce},   {"max_dim", emit_max_dim},       {"min_dim", emit_max_dim},
      {"norm", emit_norm},           {"cat", emit_cat},               {"arange", emit_arange},
      {"matmul", emit_matmul},       {"addmm", emit_addmm},           {"linear", emit_linear},
      {"conv", emit_conv},           {"conv_transpose", emit_conv},   {"max_pool", emit_pool},
      {"avg_pool", emit_pool},       {"adaptive_avg_pool", emit_pool}, {"batch_norm", emit_batch_norm},
      {"layer_norm", emit_layer_norm}, {"softmax", emit_softmax},     {"embedding", emit_embedding},
      {"sdpa", emit_sdpa},           {"padded_lengths", emit_padded_lengths},           {"lstm", emit_rnn},              {"gru", emit_rnn},
  };
  const trace::TracedOp& op = b.op();
  // identity (clone), and ops that handed back their input: the output is the input's value.
  if (op.kind == "identity" || (op.outputs.size() == 1 && !op.inputs.empty() && op.inputs[0].defined() &&
                                op.outputs[0].is_same(op.inputs[0]))) {
    b.bind(op.outputs[0], b.value(op.inputs[0]));
    return;
  }
  auto it = table.find(op.kind);
  if (it == table.end()) unsupported(b, "no ONNX mapping for this op kind");
  it->second(b);
}

}  // namespace ember::onnx::detail
