// Emitters of shape ops, casts, elementwise ops, reductions and joins.
#include <cmath>
#include <limits>
#include <map>
#include <numbers>

#include "onnx/emit.h"

namespace ember::onnx::detail {

namespace {
const Tensor& in0(GraphBuilder& b) { return b.op().inputs.at(0); }
const Tensor& in0_b(GraphBuilder& b) { return b.op2().inputs.at(0); }
}  // namespace

// ---- shapes ----
void emit_reshape(GraphBuilder& b) {
  std::vector<Dyn> from = b.dyn_shape(in0(b), in0_b(b));
  std::string shape = b.shape_operand(b.dyn_ints("shape"), &from);
  std::string x = b.value(in0(b));
  b.node("Reshape", {x, shape}, {output(b)});
}

void emit_transpose(GraphBuilder& b) {
  std::string x = b.value(in0(b));
  GraphBuilder::attr(b.node("Transpose", {x}, {output(b)}), "perm", b.op().ints("perm"));
}

void emit_slice(GraphBuilder& b) {
  // (…, n, …) -> (…, (end - start) / step, …) along dim
  std::string x = b.value(in0(b));
  std::string starts = b.dim_value(b.dyn_int("start")), ends = b.dim_value(b.dyn_int("end"));
  std::string axes = b.const_i64({b.op().i("dim")}, "axes"), steps = b.const_i64({b.op().i("step")}, "steps");
  b.node("Slice", {x, starts, ends, axes, steps}, {output(b)});
}

void emit_select(GraphBuilder& b) {
  // Gather with a 0-dim index drops the dim, as select does.
  std::string x = b.value(in0(b));
  std::string idx = b.dim_scalar(b.dyn_int("index"));
  GraphBuilder::attr(b.node("Gather", {x, idx}, {output(b)}), "axis", b.op().i("dim"));
}

void emit_expand(GraphBuilder& b) {
  std::vector<Dyn> from = b.dyn_shape(in0(b), in0_b(b));
  std::string shape = b.shape_operand(b.dyn_ints("shape"), nullptr, &from);
  std::string x = b.value(in0(b));
  b.node("Expand", {x, shape}, {output(b)});
}

void emit_cast(GraphBuilder& b) {
  const DType to = static_cast<DType>(b.op().i("to"));
  std::string x = b.value(in0(b));
  GraphBuilder::attr(b.node("Cast", {x}, {output(b)}), "to", static_cast<int64_t>(onnx_type(to)));
}

// ---- elementwise ----
void emit_binary(GraphBuilder& b) {
  static const std::map<std::string, std::string> onnx_op{
      {"add", "Add"},       {"sub", "Sub"},           {"mul", "Mul"},         {"div", "Div"},
      {"pow", "Pow"},       {"maximum", "Max"},       {"minimum", "Min"},     {"eq", "Equal"},
      {"ne", "Equal"},      {"lt", "Less"},           {"le", "LessOrEqual"},  {"gt", "Greater"},
      {"ge", "GreaterOrEqual"}, {"logical_and", "And"}, {"logical_or", "Or"}};
  const std::string& name = b.op().s("op");
  auto it = onnx_op.find(name);
  if (it == onnx_op.end()) unsupported(b, "binary op '" + name + "' has no ONNX mapping");
  const DType compute = static_cast<DType>(b.op().i("compute"));
  std::string x = input_as(b, 0, compute), y = input_as(b, 1, compute);
  const double alpha = b.op().f("alpha");
  if ((name == "add" || name == "sub") && alpha != 1.0) y = b.op1("Mul", {y, b.const_scalar(alpha, compute, "alpha")});
  if (name == "ne") {
    std::string eq = b.op1("Equal", {x, y});
    b.node("Not", {eq}, {output(b)});
    return;
  }
  b.node(it->second, {x, y}, {output(b)});
}

void emit_where(GraphBuilder& b) {
  const DType dt = b.op().outputs[0].dtype();
  std::string c = input_as(b, 0, DType::Bool), x = input_as(b, 1, dt), y = input_as(b, 2, dt);
  b.node("Where", {c, x, y}, {output(b)});
}

void emit_unary(GraphBuilder& b) {
  // The kinds of backend::UnaryOp, in its order.
  enum Kind { Neg, Abs, Sign, Relu, Clamp, Exp, Log, Log1p, Erf, Sqrt, Rsqrt, Sin, Cos, Tanh, Sigmoid, Silu,
              LeakyRelu, Gelu, GeluTanh };
  static const std::map<int64_t, std::string> direct{
      {Neg, "Neg"}, {Abs, "Abs"}, {Sign, "Sign"}, {Relu, "Relu"}, {Exp, "Exp"}, {Log, "Log"}, {Erf, "Erf"},
      {Sqrt, "Sqrt"}, {Sin, "Sin"}, {Cos, "Cos"}, {Tanh, "Tanh"}, {Sigmoid, "Sigmoid"}};
  const DType dt = in0(b).dtype();
  const int64_t kind = b.op().i("kind");
  std::string x = b.value(in0(b));
  auto c = [&](double v) { return b.const_scalar(v, dt); };
  if (auto it = direct.find(kind); it != direct.end()) {
    b.node(it->second, {x}, {output(b)});
    return;
  }
  switch (kind) {
    case Clamp: {
      const trace::Attr* lo = b.op().find("lo");
      const trace::Attr* hi = b.op().find("hi");
      b.node("Clip", {x, lo ? c(lo->floats[0]) : "", hi ? c(hi->floats[0]) : ""}, {output(b)});
      return;
    }
    case Log1p: b.node("Log", {b.op1("Add", {x, c(1.0)})}, {output(b)}); return;
    case Rsqrt: b.node("Reciprocal", {b.op1("Sqrt", {x})}, {output(b)}); return;
    case Silu: b.node("Mul", {x, b.op1("Sigmoid", {x})}, {output(b)}); return;
    case LeakyRelu:
      GraphBuilder::attr(b.node("LeakyRelu", {x}, {output(b)}), "alpha", b.op().f("slope"));
      return;
    case Gelu: {
      // 0.5 x (1 + erf(x / sqrt(2)))
      std::string e = b.op1("Erf", {b.op1("Div", {x, c(std::sqrt(2.0))})});
      std::string h = b.op1("Mul", {x, b.op1("Add", {e, c(1.0)})});
      b.node("Mul", {h, c(0.5)}, {output(b)});
      return;
    }
    case GeluTanh: {
      // 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))
      std::string x3 = b.op1("Mul", {b.op1("Mul", {x, x}), x});
      std::string inner = b.op1("Add", {x, b.op1("Mul", {x3, c(0.044715)})});
      std::string t = b.op1("Tanh", {b.op1("Mul", {inner, c(std::sqrt(2.0 / std::numbers::pi))})});
      std::string h = b.op1("Mul", {x, b.op1("Add", {t, c(1.0)})});
      b.node("Mul", {h, c(0.5)}, {output(b)});
      return;
    }
    default: unsupported(b, "unary op '" + b.op().s("op") + "' has no ONNX mapping");
  }
}

// ---- reductions ----
namespace {
std::vector<int64_t> reduce_axes(GraphBuilder& b) {
  std::vector<int64_t> axes = b.op().ints("dims");
  if (axes.empty())
    for (int64_t d = 0; d < in0(b).dim(); ++d) axes.push_back(d);
  return axes;
}
}  // namespace

void emit_reduce(GraphBuilder& b) {
  const std::string& kind = b.op().kind;
  const DType dt = b.op().outputs[0].dtype();
  std::string x = input_as(b, 0, dt);
  std::vector<int64_t> axes = reduce_axes(b);
  const int64_t keep = b.op().i("keepdim");
  if (kind == "reduce_sum") {  // opset 13+: axes as an input
    GraphBuilder::attr(b.node("ReduceSum", {x, b.const_i64(axes, "axes")}, {output(b)}), "keepdims", keep);
    return;
  }
  const std::string op = kind == "reduce_mean" ? "ReduceMean" : kind == "reduce_max" ? "ReduceMax" : "ReduceMin";
  auto* n = b.node(op, {x}, {output(b)});  // opset 17: axes as an attribute
  GraphBuilder::attr(n, "axes", axes);
  GraphBuilder::attr(n, "keepdims", keep);
}

void emit_max_dim(GraphBuilder& b) {
  const bool is_max = b.op().kind == "max_dim";
  const int64_t d = b.op().i("dim"), keep = b.op().i("keepdim");
  std::string x = b.value(in0(b));
  auto* v = b.node(is_max ? "ReduceMax" : "ReduceMin", {x}, {output(b, 0)});
  GraphBuilder::attr(v, "axes", std::vector<int64_t>{d});
  GraphBuilder::attr(v, "keepdims", keep);
  auto* i = b.node(is_max ? "ArgMax" : "ArgMin", {x}, {output(b, 1)});
  GraphBuilder::attr(i, "axis", d);
  GraphBuilder::attr(i, "keepdims", keep);
}

void emit_norm(GraphBuilder& b) {
  const double p = b.op().f("p");
  if (p != 1.0 && p != 2.0) unsupported(b, "norm with p = " + std::to_string(p) + " has no ONNX mapping (only 1 and 2)");
  std::string x = b.value(in0(b));
  auto* n = b.node(p == 1.0 ? "ReduceL1" : "ReduceL2", {x}, {output(b)});
  GraphBuilder::attr(n, "axes", reduce_axes(b));
  GraphBuilder::attr(n, "keepdims", b.op().i("keepdim"));
}

// ---- joins and ranges ----
void emit_cat(GraphBuilder& b) {
  const DType dt = b.op().outputs[0].dtype();
  std::vector<std::string> xs;
  for (size_t i = 0; i < b.op().inputs.size(); ++i)
    if (b.op().inputs[i].numel() > 0 || b.op().inputs[i].dim() > 1) xs.push_back(input_as(b, i, dt));
  GraphBuilder::attr(b.node("Concat", xs, {output(b)}), "axis", b.op().i("dim"));
}

void emit_arange(GraphBuilder& b) {
  const DType dt = b.op().outputs[0].dtype();
  std::vector<Dyn> r = b.dyn_ints("range");
  std::string start, limit, delta;
  if (dt == DType::Int64) {
    start = b.dim_scalar(r[0]), limit = b.dim_scalar(r[1]), delta = b.dim_scalar(r[2]);
  } else {
    if (r[1].dynamic()) unsupported(b, "a floating-point arange whose end follows a dynamic axis");
    const double st = b.op().f("start"), step = b.op().f("step");
    const int64_t n = b.op().outputs[0].numel();
    start = b.const_scalar(st, dt), limit = b.const_scalar(st + step * (static_cast<double>(n) - 0.5), dt),  // n values, whatever the rounding
    delta = b.const_scalar(step, dt);
  }
  b.node("Range", {start, limit, delta}, {output(b)});
}

// data::padded_lengths: tokens (B, T) -> (B) the count of tokens before the first pad.
void emit_padded_lengths(GraphBuilder& b) {
  // pads seen so far along T (CumSum); a step is real while that count is 0.
  std::string is_pad = b.op1("Equal", {b.value(in0(b)), b.const_scalar(double(b.op().i("pad_id")), DType::Int64)});
  std::string pad = b.cast(is_pad, DType::Bool, DType::Int64);
  std::string seen = b.op1("CumSum", {pad, b.const_scalar(1.0, DType::Int64, "axis")});
  std::string real = b.cast(b.op1("Equal", {seen, b.const_scalar(0.0, DType::Int64)}), DType::Bool, DType::Int64);
  GraphBuilder::attr(b.node("ReduceSum", {real, b.const_i64({1}, "axes")}, {output(b)}), "keepdims", int64_t{0});
}

}  // namespace ember::onnx::detail
