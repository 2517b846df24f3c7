#pragma once
// The emitters of traced ops, one per kind, by family; emit_op (graph.h) dispatches to them.
#include "onnx/graph.h"

namespace ember::onnx::detail {

// Helpers shared by the emitters: the current op's input i as a value, cast to dt if needed
// (constants are converted when written, so they need no Cast node).
std::string input_as(GraphBuilder& b, size_t i, DType dt);
// Binds output i of the current op to a fresh name and returns it.
std::string output(GraphBuilder& b, size_t i = 0);
[[noreturn]] void unsupported(const GraphBuilder& b, const std::string& why);

// emit_tensor.cpp: shapes, casts, elementwise, reductions, joins.
void emit_reshape(GraphBuilder& b);
void emit_transpose(GraphBuilder& b);
void emit_slice(GraphBuilder& b);
void emit_select(GraphBuilder& b);
void emit_expand(GraphBuilder& b);
void emit_cast(GraphBuilder& b);
void emit_binary(GraphBuilder& b);
void emit_where(GraphBuilder& b);
void emit_unary(GraphBuilder& b);
void emit_reduce(GraphBuilder& b);
void emit_max_dim(GraphBuilder& b);
void emit_norm(GraphBuilder& b);
void emit_cat(GraphBuilder& b);
void emit_arange(GraphBuilder& b);
void emit_padded_lengths(GraphBuilder& b);

// emit_nn.cpp: layers.
void emit_matmul(GraphBuilder& b);
void emit_addmm(GraphBuilder& b);
void emit_linear(GraphBuilder& b);
void emit_conv(GraphBuilder& b);
void emit_pool(GraphBuilder& b);
void emit_batch_norm(GraphBuilder& b);
void emit_layer_norm(GraphBuilder& b);
void emit_softmax(GraphBuilder& b);
void emit_embedding(GraphBuilder& b);
void emit_sdpa(GraphBuilder& b);
void emit_rnn(GraphBuilder& b);

}  // namespace ember::onnx::detail
