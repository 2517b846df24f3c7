// Emitters of layers: products, convolution, pooling, normalization, embedding, attention.
#include <limits>

#include "ember/ops.h"
#include "onnx/emit.h"

namespace ember::onnx::detail {

namespace {

const Tensor& in(GraphBuilder& b, size_t i) { return b.op().inputs.at(i); }

// A per-dim attribute as nd values (a single value repeats, as the ops accept).
std::vector<int64_t> per_dim(const std::vector<int64_t>& v, size_t nd, int64_t fallback) {
  if (v.empty()) return std::vector<int64_t>(nd, fallback);
  if (v.size() == 1) return std::vector<int64_t>(nd, v[0]);
  return v;
}
std::vector<int64_t> pads_of(const std::vector<int64_t>& p, size_t nd) {
  std::vector<int64_t> one = per_dim(p, nd, 0), pads = one;
  pads.insert(pads.end(), one.begin(), one.end());  // begins then ends
  return pads;
}

// (*, E) x W (F, E)^T: W transposed in the graph (ONNX Runtime folds it once at load).
std::string transposed(GraphBuilder& b, const std::string& w) {
  std::string t = b.fresh("weight_t");
  GraphBuilder::attr(b.node("Transpose", {w}, {t}), "perm", std::vector<int64_t>{1, 0});
  return t;
}

}  // namespace

// ---- products ----
void emit_matmul(GraphBuilder& b) {
  const DType dt = b.op().outputs[0].dtype();
  std::string x = input_as(b, 0, dt), y = input_as(b, 1, dt);
  b.node("MatMul", {x, y}, {output(b)});
}

void emit_addmm(GraphBuilder& b) {
  // beta * bias + alpha * (a @ b); a (N, K), b (K, M), bias broadcast to (N, M)
  const DType dt = b.op().outputs[0].dtype();
  std::string bias = input_as(b, 0, dt), x = input_as(b, 1, dt), y = input_as(b, 2, dt);
  auto* n = b.node("Gemm", {x, y, bias}, {output(b)});
  GraphBuilder::attr(n, "alpha", b.op().f("alpha"));
  GraphBuilder::attr(n, "beta", b.op().f("beta"));
}

void emit_linear(GraphBuilder& b) {
  // x (*, in) @ W (out, in)^T + bias (out)
  const DType dt = b.op().outputs[0].dtype();
  std::string x = input_as(b, 0, dt), w = input_as(b, 1, dt), bias = input_as(b, 2, dt);
  if (in(b, 0).dim() == 2) {
    std::vector<std::string> ins{x, w};
    if (!bias.empty()) ins.push_back(bias);
    GraphBuilder::attr(b.node("Gemm", ins, {output(b)}), "transB", int64_t{1});
    return;
  }
  if (bias.empty()) {
    b.node("MatMul", {x, transposed(b, w)}, {output(b)});
    return;
  }
  std::string y = b.op1("MatMul", {x, transposed(b, w)});
  b.node("Add", {y, bias}, {output(b)});
}

// ---- convolution and pooling ----
void emit_conv(GraphBuilder& b) {
  const bool transpose = b.op().kind == "conv_transpose";
  const Tensor& w = in(b, 1);
  const size_t nd = static_cast<size_t>(w.dim() - 2);
  if (in(b, 0).dim() != static_cast<int64_t>(nd) + 2)
    unsupported(b, "an unbatched convolution input; add the batch dim (unsqueeze(0)) before exporting");
  const DType dt = b.op().outputs[0].dtype();
  std::vector<std::string> ins{input_as(b, 0, dt), input_as(b, 1, dt)};
  if (in(b, 2).defined()) ins.push_back(input_as(b, 2, dt));
  auto* n = b.node(transpose ? "ConvTranspose" : "Conv", ins, {output(b)});
  GraphBuilder::attr(n, "kernel_shape", Shape(w.shape().begin() + 2, w.shape().end()));
  GraphBuilder::attr(n, "strides", per_dim(b.op().ints("stride"), nd, 1));
  GraphBuilder::attr(n, "pads", pads_of(b.op().ints("padding"), nd));
  GraphBuilder::attr(n, "dilations", per_dim(b.op().ints("dilation"), nd, 1));
  GraphBuilder::attr(n, "group", b.op().i("groups"));
  if (transpose) GraphBuilder::attr(n, "output_padding", per_dim(b.op().ints("output_padding"), nd, 0));
}

void emit_pool(GraphBuilder& b) {
  const std::string& kind = b.op().kind;
  std::string x = b.value(in(b, 0));
  if (kind == "adaptive_avg_pool") {
    // Equal windows only: output (1, 1), or sizes that divide the input's.
    std::vector<int64_t> os = per_dim(b.op().ints("output_size"), 2, 1);
    const int64_t H = in(b, 0).size(-2), W = in(b, 0).size(-1);
    if (os[0] == 1 && os[1] == 1) {
      b.node("GlobalAveragePool", {x}, {output(b)});
      return;
    }
    if (H % os[0] != 0 || W % os[1] != 0)
      unsupported(b, "adaptive_avg_pool2d to a size that does not divide the input's (unequal windows)");
    auto* n = b.node("AveragePool", {x}, {output(b)});
    GraphBuilder::attr(n, "kernel_shape", std::vector<int64_t>{H / os[0], W / os[1]});
    GraphBuilder::attr(n, "strides", std::vector<int64_t>{H / os[0], W / os[1]});
    return;
  }
  if (in(b, 0).dim() != 4) unsupported(b, "pooling of an unbatched (3-D) input; add the batch dim first");
  std::vector<int64_t> k = per_dim(b.op().ints("kernel"), 2, 1);
  const bool is_max = kind == "max_pool";
  auto* n = b.node(is_max ? "MaxPool" : "AveragePool", {x}, {output(b)});
  GraphBuilder::attr(n, "kernel_shape", k);
  std::vector<int64_t> s = b.op().ints("stride");
  GraphBuilder::attr(n, "strides", s.empty() ? k : per_dim(s, 2, 1));
  GraphBuilder::attr(n, "pads", pads_of(b.op().ints("padding"), 2));
  GraphBuilder::attr(n, "ceil_mode", b.op().i("ceil_mode"));
  if (is_max) GraphBuilder::attr(n, "dilations", per_dim(b.op().ints("dilation"), 2, 1));
  else GraphBuilder::attr(n, "count_include_pad", b.op().i("count_include_pad"));
}

// ---- normalization ----
void emit_batch_norm(GraphBuilder& b) {
  // inputs: x, weight, bias, running_mean, running_var
  if (b.op().i("training"))
    unsupported(b, "batch_norm in training mode (batch statistics); call eval() before exporting");
  if (!in(b, 3).defined() || !in(b, 4).defined())
    unsupported(b, "batch_norm without running statistics (track_running_stats=false) normalizes with the batch's");
  const DType dt = in(b, 0).dtype();
  const int64_t C = in(b, 0).size(1);
  std::string x = b.value(in(b, 0));
  std::string w = in(b, 1).defined() ? input_as(b, 1, dt) : b.constant(ones({C}, TensorOptions(dt)), "bn_scale");
  std::string bias = in(b, 2).defined() ? input_as(b, 2, dt) : b.constant(zeros({C}, TensorOptions(dt)), "bn_bias");
  auto* n = b.node("BatchNormalization", {x, w, bias, input_as(b, 3, dt), input_as(b, 4, dt)}, {output(b)});
  GraphBuilder::attr(n, "epsilon", b.op().f("eps"));
}

void emit_layer_norm(GraphBuilder& b) {
  // inputs: x, weight, bias; normalizes over the trailing len(normalized_shape) dims
  const DType dt = in(b, 0).dtype();
  const Shape ns = b.op().ints("normalized_shape");
  std::string x = b.value(in(b, 0));
  std::string w = in(b, 1).defined() ? input_as(b, 1, dt) : b.constant(ones(ns, TensorOptions(dt)), "ln_scale");
  std::vector<std::string> ins{x, w};
  if (in(b, 2).defined()) ins.push_back(input_as(b, 2, dt));
  auto* n = b.node("LayerNormalization", ins, {output(b)});
  GraphBuilder::attr(n, "axis", -static_cast<int64_t>(ns.size()));
  GraphBuilder::attr(n, "epsilon", b.op().f("eps"));
}

void emit_softmax(GraphBuilder& b) {
  std::string x = b.value(in(b, 0));
  GraphBuilder::attr(b.node(b.op().i("log") ? "LogSoftmax" : "Softmax", {x}, {output(b)}), "axis", b.op().i("dim"));
}

void emit_embedding(GraphBuilder& b) {
  // weight (V, D) gathered at indices (*) -> (*, D)
  std::string idx = b.value(in(b, 0)), w = b.value(in(b, 1));
  GraphBuilder::attr(b.node("Gather", {w, idx}, {output(b)}), "axis", int64_t{0});
}

// ---- attention ----
void emit_sdpa(GraphBuilder& b) {
  // q (*, L, E), k (*, S, E), v (*, S, Ev), mask broadcast to (*, L, S) -> (*, L, Ev):
  // softmax(q k^T * scale, masked) v, decomposed into MatMul, Mul, Where/Add and Softmax.
  if (b.op().f("dropout_p") != 0.0) unsupported(b, "attention dropout (call eval() before exporting)");
  const Tensor &q = in(b, 0), &k = in(b, 1), &mask = in(b, 3);
  const DType dt = q.dtype();
  const int64_t r = k.dim();
  std::vector<int64_t> perm;
  for (int64_t i = 0; i < r; ++i) perm.push_back(i);
  std::swap(perm[r - 1], perm[r - 2]);
  std::string kt = b.fresh("key_t");
  GraphBuilder::attr(b.node("Transpose", {b.value(k)}, {kt}), "perm", perm);
  std::string scores = b.op1("Mul", {b.op1("MatMul", {b.value(q), kt}), b.const_scalar(b.op().f("scale"), dt, "scale")},
                             "scores");  // (*, L, S)
  const std::string neg_inf = b.const_scalar(-std::numeric_limits<double>::infinity(), dt, "neg_inf");
  if (b.op().i("is_causal")) {
    // keep (L, S) = tril(ones): query i sees keys 0..i. Built at run time when L or S is dynamic.
    const Dyn L{q.size(-2), b.op2().inputs[0].size(-2)}, S{k.size(-2), b.op2().inputs[1].size(-2)};
    std::string ones_ls = b.fresh("causal");
    auto* n = b.node("ConstantOfShape", {b.shape_operand({L, S})}, {ones_ls});
    auto* value = n->add_attribute();
    value->set_name("value");
    value->set_type(::onnx::AttributeProto::TENSOR);
    ::onnx::TensorProto* one = value->mutable_t();
    one->set_data_type(::onnx::TensorProto::INT64);
    one->add_dims(1);
    one->add_int64_data(1);
    std::string tri = b.fresh("causal");
    GraphBuilder::attr(b.node("Trilu", {ones_ls}, {tri}), "upper", int64_t{0});
    std::string keep = b.cast(tri, DType::Int64, DType::Bool);
    scores = b.op1("Where", {keep, scores, neg_inf}, "scores");
  } else if (mask.defined()) {
    scores = mask.dtype() == DType::Bool ? b.op1("Where", {b.value(mask), scores, neg_inf}, "scores")
                                         : b.op1("Add", {scores, input_as(b, 3, dt)}, "scores");
  }
  std::string p = b.fresh("probs");
  GraphBuilder::attr(b.node("Softmax", {scores}, {p}), "axis", int64_t{-1});
  b.node("MatMul", {p, b.value(in(b, 2))}, {output(b)});
}

}  // namespace ember::onnx::detail
