#pragma once
// Builds the ONNX GraphProto of a trace: value names, initializers, nodes and the run-time
// expressions of dynamic sizes. One GraphBuilder per export; emitters (emit.h) call it.
#include <onnx/onnx_pb.h>

#include <map>
#include <string>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "ember/nn/module.h"
#include "ember/ops/trace.h"

namespace ember::onnx::detail {

// An integer seen in both traces: v in the example's, v2 in the resized one. Equal: a constant.
struct Dyn {
  int64_t v = 0, v2 = 0;
  bool dynamic() const { return v != v2; }
};

// A dynamic axis of a graph input: its symbolic name and its size in each trace.
struct DimSource {
  std::string name;   // "batch"
  size_t input = 0;   // which graph input
  int64_t axis = 0;
  int64_t size = 0, size2 = 0;
};

// ONNX's element type of an Ember dtype.
int32_t onnx_type(DType dt);

class GraphBuilder {
 public:
  GraphBuilder(::onnx::GraphProto* graph, const nn::NamedTensors& named, std::vector<DimSource> dims);

  // ---- values ----
  // The name of t as an op's input: a graph input, a node output, or else an initializer (named
  // after its state_dict key when it is a parameter). An undefined tensor gives "".
  std::string value(const Tensor& t);
  // Makes t's name `name` (a node output or a graph input).
  void bind(const Tensor& t, const std::string& name);
  bool bound(const Tensor& t) const;
  std::string fresh(const std::string& hint);  // a new unique value name

  // ---- constants (initializers) ----
  std::string constant(const Tensor& t, const std::string& hint);
  std::string const_i64(const std::vector<int64_t>& v, const std::string& hint = "shape");
  std::string const_scalar(double v, DType dt, const std::string& hint = "const");  // 0-dim

  // ---- nodes ----
  ::onnx::NodeProto* node(const std::string& op_type, const std::vector<std::string>& inputs,
                          const std::vector<std::string>& outputs);
  // One node with one fresh output; returns the output's name.
  std::string op1(const std::string& op_type, const std::vector<std::string>& inputs, const std::string& hint = "");
  // The node added last (to set attributes on an op1).
  ::onnx::NodeProto* last_node() { return g_->mutable_node(g_->node_size() - 1); }
  static void attr(::onnx::NodeProto* n, const std::string& name, int64_t v);
  static void attr(::onnx::NodeProto* n, const std::string& name, double v);
  static void attr(::onnx::NodeProto* n, const std::string& name, const std::vector<int64_t>& v);
  static void attr(::onnx::NodeProto* n, const std::string& name, const std::string& v);
  // x cast to dt when `from` differs (returns x otherwise).
  std::string cast(const std::string& x, DType from, DType dt);

  // ---- dynamic sizes ----
  // The op being emitted, from the example's trace (a) and the resized one (b).
  void set_op(const trace::TracedOp* a, const trace::TracedOp* b) { a_ = a, b_ = b; }
  const trace::TracedOp& op() const { return *a_; }
  const trace::TracedOp& op2() const { return *b_; }
  // Attribute `name` of the current op as Dyn values.
  std::vector<Dyn> dyn_ints(const std::string& name) const;
  Dyn dyn_int(const std::string& name) const;
  // The shape of the current op's input/output `t` (index i) in both traces.
  std::vector<Dyn> dyn_shape(const Tensor& a, const Tensor& b) const;
  // A 1-D int64 tensor [1] holding d at run time (a constant when d is not dynamic).
  std::string dim_value(const Dyn& d);
  // A 0-dim int64 holding d.
  std::string dim_scalar(const Dyn& d);
  // A 1-D int64 shape tensor of dims. For Reshape (`reshape_of` = its input's shape in both
  // traces), dynamic dims equal to the input's at the same position become 0 (copy) and a
  // single remaining one -1 (infer); for Expand (`expand_of`), dynamic dims equal to the
  // input's become 1. The rest are computed from the graph inputs' shapes.
  std::string shape_operand(const std::vector<Dyn>& dims, const std::vector<Dyn>* reshape_of = nullptr,
                            const std::vector<Dyn>* expand_of = nullptr);
  const std::vector<DimSource>& dims() const { return dims_; }
  // The symbolic name of an output dim seen as (v, v2), or "" when it matches no input dim.
  std::string dim_name(const Dyn& d) const;

  std::string describe_op() const;  // "op 12 'reshape'" for errors

  size_t op_index = 0;

 private:
  ::onnx::GraphProto* g_;
  std::unordered_map<const TensorImpl*, std::string> values_;
  // Names by the view a tensor is (storage, offset, shape, strides, dtype), not by its handle:
  // state_dict() hands out detached aliases of the parameters the forward uses.
  using ViewKey = std::tuple<const Storage*, int64_t, Shape, Shape, int>;
  static ViewKey view_key(const Tensor& t);
  std::map<ViewKey, std::string> param_names_;
  std::unordered_map<const TensorImpl*, std::string> constants_;
  std::vector<Tensor> keep_;  // constants made here (converted copies) stay alive
  std::map<std::string, int> used_;
  std::vector<DimSource> dims_;
  std::map<std::pair<int64_t, int64_t>, std::string> dim_cache_;
  std::map<std::string, std::string> source_shape_;  // dim name -> its 1-D value
  const trace::TracedOp* a_ = nullptr;
  const trace::TracedOp* b_ = nullptr;
};

// Emits the nodes of the current op (b.op()); throws naming the op when it has no mapping.
void emit_op(GraphBuilder& b);

}  // namespace ember::onnx::detail
