// GraphBuilder: value names, initializers, nodes and run-time sizes of an exported graph.
#include "onnx/graph.h"

#include <cstring>

#include "ember/error.h"
#include "ember/ops.h"

namespace ember::onnx::detail {

using ember::detail::str_cat;

int32_t onnx_type(DType dt) {
  switch (dt) {
    case DType::Bool: return ::onnx::TensorProto::BOOL;
    case DType::Int32: return ::onnx::TensorProto::INT32;
    case DType::Int64: return ::onnx::TensorProto::INT64;
    case DType::Float16: return ::onnx::TensorProto::FLOAT16;
    case DType::BFloat16: return ::onnx::TensorProto::BFLOAT16;
    case DType::Float32: return ::onnx::TensorProto::FLOAT;
    case DType::Float64: return ::onnx::TensorProto::DOUBLE;
  }
  throw Error("onnx export: unknown dtype");
}

GraphBuilder::GraphBuilder(::onnx::GraphProto* graph, const nn::NamedTensors& named, std::vector<DimSource> dims)
    : g_(graph), dims_(std::move(dims)) {
  for (const auto& [name, t] : named)
    if (t.defined()) param_names_.emplace(view_key(t), name);
}

GraphBuilder::ViewKey GraphBuilder::view_key(const Tensor& t) {
  return {t.impl().storage.get(), t.storage_offset(), t.shape(), t.strides(), static_cast<int>(t.dtype())};
}

// ---- values ----
std::string GraphBuilder::fresh(const std::string& hint) {
  const std::string base = hint.empty() ? "v" : hint;
  int& n = used_[base];
  return str_cat(base, "_", n++);
}

bool GraphBuilder::bound(const Tensor& t) const { return values_.count(t.impl_ptr().get()) > 0; }

void GraphBuilder::bind(const Tensor& t, const std::string& name) { values_[t.impl_ptr().get()] = name; }

std::string GraphBuilder::value(const Tensor& t) {
  if (!t.defined()) return "";
  auto it = values_.find(t.impl_ptr().get());
  if (it != values_.end()) return it->second;
  return constant(t, "const");
}

// ---- constants ----
std::string GraphBuilder::constant(const Tensor& t_in, const std::string& hint) {
  auto it = constants_.find(t_in.impl_ptr().get());
  if (it != constants_.end()) return it->second;
  auto p = param_names_.find(view_key(t_in));
  const std::string name = p != param_names_.end() ? p->second : fresh(hint);
  Tensor t = t_in.detach().to(Device{}).contiguous();
  ::onnx::TensorProto* init = g_->add_initializer();
  init->set_name(name);
  init->set_data_type(onnx_type(t.dtype()));
  for (int64_t d : t.shape()) init->add_dims(d);
  init->set_raw_data(std::string(static_cast<const char*>(t.raw_data()), t.numel() * t.element_size()));
  constants_.emplace(t_in.impl_ptr().get(), name);
  // Keep the tensor alive so its address is not reused by another constant.
  values_.emplace(t_in.impl_ptr().get(), name);
  keep_.push_back(t_in);
  return name;
}

std::string GraphBuilder::const_i64(const std::vector<int64_t>& v, const std::string& hint) {
  return constant(tensor(v, {static_cast<int64_t>(v.size())}), hint);
}

std::string GraphBuilder::const_scalar(double v, DType dt, const std::string& hint) {
  return constant(full({}, v, TensorOptions(dt)), hint);
}

// ---- nodes ----
::onnx::NodeProto* GraphBuilder::node(const std::string& op_type, const std::vector<std::string>& inputs,
                                      const std::vector<std::string>& outputs) {
  ::onnx::NodeProto* n = g_->add_node();
  n->set_op_type(op_type);
  n->set_name(fresh("/" + op_type));
  for (const auto& i : inputs) n->add_input(i);
  for (const auto& o : outputs) n->add_output(o);
  return n;
}

std::string GraphBuilder::op1(const std::string& op_type, const std::vector<std::string>& inputs,
                              const std::string& hint) {
  std::string out = fresh(hint.empty() ? op_type : hint);
  node(op_type, inputs, {out});
  return out;
}

void GraphBuilder::attr(::onnx::NodeProto* n, const std::string& name, int64_t v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(::onnx::AttributeProto::INT);
  a->set_i(v);
}
void GraphBuilder::attr(::onnx::NodeProto* n, const std::string& name, double v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(::onnx::AttributeProto::FLOAT);
  a->set_f(static_cast<float>(v));
}
void GraphBuilder::attr(::onnx::NodeProto* n, const std::string& name, const std::vector<int64_t>& v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(::onnx::AttributeProto::INTS);
  for (int64_t x : v) a->add_ints(x);
}
void GraphBuilder::attr(::onnx::NodeProto* n, const std::string& name, const std::string& v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(::onnx::AttributeProto::STRING);
  a->set_s(v);
}

std::string GraphBuilder::cast(const std::string& x, DType from, DType dt) {
  if (from == dt) return x;
  std::string out = fresh("cast");
  attr(node("Cast", {x}, {out}), "to", static_cast<int64_t>(onnx_type(dt)));
  return out;
}

// ---- dynamic sizes ----
std::string GraphBuilder::describe_op() const { return str_cat("op ", op_index, " '", a_ ? a_->kind : "?", "'"); }

std::vector<Dyn> GraphBuilder::dyn_ints(const std::string& name) const {
  const auto& x = a_->ints(name);
  const auto& y = b_->ints(name);
  if (x.size() != y.size())
    throw Error(str_cat("onnx export: ", describe_op(), ": attribute '", name, "' has ", x.size(), " values at the "
                        "example's sizes but ", y.size(), " at other sizes; export with fixed sizes (no dynamic axes)"));
  std::vector<Dyn> r;
  for (size_t i = 0; i < x.size(); ++i) r.push_back({x[i], y[i]});
  return r;
}

Dyn GraphBuilder::dyn_int(const std::string& name) const { return {a_->i(name), b_->i(name)}; }

std::vector<Dyn> GraphBuilder::dyn_shape(const Tensor& a, const Tensor& b) const {
  std::vector<Dyn> r;
  if (a.dim() != b.dim())
    throw Error(str_cat("onnx export: ", describe_op(), ": a tensor has rank ", a.dim(), " at the example's sizes but ",
                        b.dim(), " at other sizes; export with fixed sizes (no dynamic axes)"));
  for (int64_t i = 0; i < a.dim(); ++i) r.push_back({a.size(i), b.size(i)});
  return r;
}

std::string GraphBuilder::dim_name(const Dyn& d) const {
  for (const DimSource& s : dims_)
    if (s.size == d.v && s.size2 == d.v2) return s.name;
  return "";
}

std::string GraphBuilder::dim_value(const Dyn& d) {
  if (!d.dynamic()) return const_i64({d.v}, "dim");
  auto key = std::make_pair(d.v, d.v2);
  if (auto it = dim_cache_.find(key); it != dim_cache_.end()) return it->second;
  auto source = [&](const DimSource& s) {
    auto it = source_shape_.find(s.name);
    if (it != source_shape_.end()) return it->second;
    std::string out = fresh(s.name);
    auto* n = node("Shape", {g_->input(static_cast<int>(s.input)).name()}, {out});
    attr(n, "start", s.axis);
    attr(n, "end", s.axis + 1);
    source_shape_[s.name] = out;
    return out;
  };
  auto times = [&](const std::string& x, int64_t k) { return k == 1 ? x : op1("Mul", {x, const_i64({k}, "k")}, "dim"); };
  std::string r;
  // k * s, then s + c, then k * s * t: the first form that explains both traces.
  for (const DimSource& s : dims_)
    if (r.empty() && s.size > 0 && d.v % s.size == 0 && d.v / s.size * s.size2 == d.v2) r = times(source(s), d.v / s.size);
  for (const DimSource& s : dims_)
    if (r.empty() && d.v - s.size == d.v2 - s.size2) r = op1("Add", {source(s), const_i64({d.v - s.size}, "c")}, "dim");
  for (size_t i = 0; i < dims_.size() && r.empty(); ++i)
    for (size_t j = i + 1; j < dims_.size() && r.empty(); ++j) {
      const DimSource &s = dims_[i], &t = dims_[j];
      if (s.name == t.name) continue;
      const int64_t st = s.size * t.size;
      if (st > 0 && d.v % st == 0 && d.v / st * s.size2 * t.size2 == d.v2)
        r = times(op1("Mul", {source(s), source(t)}, "dim"), d.v / st);
    }
  if (r.empty())
    throw Error(str_cat("onnx export: ", describe_op(), ": a size is ", d.v, " at the example's sizes and ", d.v2,
                        " at other sizes, which is no multiple of a dynamic input dimension; export with fixed sizes "
                        "(no dynamic axes) or make the size follow the inputs' shapes"));
  dim_cache_.emplace(key, r);
  return r;
}

std::string GraphBuilder::dim_scalar(const Dyn& d) {
  if (!d.dynamic()) return const_scalar(static_cast<double>(d.v), DType::Int64, "dim");
  return op1("Reshape", {dim_value(d), const_i64({}, "scalar_shape")}, "dim");
}

std::string GraphBuilder::shape_operand(const std::vector<Dyn>& dims, const std::vector<Dyn>* reshape_of,
                                        const std::vector<Dyn>* expand_of) {
  std::vector<int64_t> fixed;
  std::vector<bool> runtime(dims.size(), false);
  int64_t left = 0;
  for (size_t i = 0; i < dims.size(); ++i) {
    fixed.push_back(dims[i].v);
    if (!dims[i].dynamic()) continue;
    if (reshape_of && i < reshape_of->size() && (*reshape_of)[i].v == dims[i].v && (*reshape_of)[i].v2 == dims[i].v2) {
      fixed[i] = 0;  // copy the input's dim
    } else if (expand_of) {
      const size_t off = dims.size() - expand_of->size();
      if (i >= off && (*expand_of)[i - off].v == dims[i].v && (*expand_of)[i - off].v2 == dims[i].v2) fixed[i] = 1;
      else runtime[i] = true, ++left;
    } else {
      runtime[i] = true, ++left;
    }
  }
  if (reshape_of && left == 1) {
    for (size_t i = 0; i < dims.size(); ++i)
      if (runtime[i]) fixed[i] = -1, runtime[i] = false;
    left = 0;
  }
  if (left == 0) return const_i64(fixed);
  std::vector<std::string> parts;
  std::vector<int64_t> run;
  for (size_t i = 0; i < dims.size(); ++i) {
    if (!runtime[i]) {
      run.push_back(fixed[i]);
      continue;
    }
    if (!run.empty()) parts.push_back(const_i64(run)), run.clear();
    parts.push_back(dim_value(dims[i]));
  }
  if (!run.empty()) parts.push_back(const_i64(run));
  std::string out = fresh("shape");
  attr(node("Concat", parts, {out}), "axis", int64_t{0});
  return out;
}

}  // namespace ember::onnx::detail
