// export_model / export_function: trace twice, build the graph, check it, write it.
#include "ember/onnx/export.h"

#include <onnx/checker.h>
#include <onnx/shape_inference/implementation.h>
#include <unistd.h>

#include <filesystem>
#include <set>

#include "ember/autograd.h"
#include "ember/io/file.h"
#include "ember/ops.h"
#include "onnx/graph.h"
#include "onnx/recorder.h"

namespace ember::onnx {

using ember::detail::str_cat;
using detail::DimSource;
using detail::Dyn;
using detail::GraphBuilder;
using detail::Recorder;

namespace {

constexpr const char* kOp = "onnx export";

struct Trace {
  Recorder rec;
  std::vector<Tensor> outputs;
};

Trace run_trace(const ForwardFn& fn, const std::vector<Tensor>& inputs) {
  Trace t{Recorder(inputs), {}};
  NoGradGuard ng;
  trace::TraceGuard guard(&t.rec);
  t.outputs = fn(inputs);
  return t;
}

// The input resized along its dynamic axes (cyclic copies of its own entries, so token ids and
// masks stay valid).
Tensor resized(const Tensor& x, const std::map<int64_t, int64_t>& new_sizes) {
  Tensor r = x;
  for (auto [axis, n] : new_sizes) {
    std::vector<int64_t> idx(static_cast<size_t>(n));  // 0, 1, .., size-1, 0, 1, ..
    for (int64_t j = 0; j < n; ++j) idx[static_cast<size_t>(j)] = j % r.size(axis);
    r = index_select(r, axis, tensor(idx, {n}));
  }
  return r;
}

std::string dtype_str(DType dt) { return dtype_name(dt); }

}  // namespace

void check_writable(const std::string& path) {
  namespace fs = std::filesystem;
  EMBER_CHECK(!path.empty(), kOp, "the output path is empty; pass a file name such as model.onnx");
  const fs::path p(path);
  std::error_code ec;
  EMBER_CHECK(!fs::is_directory(p, ec), kOp, "'", path, "' is a directory; pass a file path such as ",
              (p / "model.onnx").string());
  const fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
  EMBER_CHECK(fs::is_directory(dir, ec), kOp, "cannot write '", path, "': the folder '", dir.string(),
              "' does not exist; create it first");
  EMBER_CHECK(::access(dir.c_str(), W_OK) == 0, kOp, "cannot write '", path, "': no permission to write in '",
              dir.string(), "'; choose another --out");
  if (fs::exists(p, ec))
    EMBER_CHECK(::access(p.c_str(), W_OK) == 0, kOp, "cannot write '", path,
                "': the file exists and is read-only; choose another --out or make it writable");
}

ExportSummary export_function(const ForwardFn& fn, const nn::NamedTensors& names, const std::vector<Tensor>& inputs,
                              const std::string& path, const ExportOptions& opt) {
  EMBER_CHECK(opt.opset_version == kOpsetVersion, kOp, "opset ", opt.opset_version, " is not supported; Ember writes "
              "opset ", kOpsetVersion, " (pass opset_version=", kOpsetVersion, ")");
  EMBER_CHECK(!inputs.empty(), kOp, "pass at least one example input");
  for (size_t i = 0; i < inputs.size(); ++i)
    EMBER_CHECK(inputs[i].defined(), kOp, "example input ", i, " is undefined");
  EMBER_CHECK(opt.input_names.empty() || opt.input_names.size() == inputs.size(), kOp, opt.input_names.size(),
              " input names for ", inputs.size(), " inputs; give one name per input");
  check_writable(path);

  std::vector<std::string> in_names = opt.input_names;
  for (size_t i = in_names.size(); i < inputs.size(); ++i) in_names.push_back(str_cat("input_", i));

  // Dynamic axes of the inputs, and their sizes in the second trace: each name gets its own
  // ratio new/old, so that a size found in both traces points at one name (k * batch vs sequence).
  std::vector<DimSource> dims;
  std::map<std::string, std::pair<int64_t, int64_t>> sizes;  // name -> (example's, resized)
  for (size_t i = 0; i < inputs.size(); ++i) {
    auto it = opt.dynamic_axes.find(in_names[i]);
    if (it == opt.dynamic_axes.end()) continue;
    for (auto [axis_in, name] : it->second) {
      const int64_t axis = axis_in < 0 ? axis_in + inputs[i].dim() : axis_in;
      EMBER_CHECK(axis >= 0 && axis < inputs[i].dim(), kOp, "dynamic axis ", axis_in, " of input '", in_names[i],
                  "' is out of range for its shape ", shape_str(inputs[i].shape()));
      const int64_t n = inputs[i].size(axis);
      auto s = sizes.find(name);
      EMBER_CHECK(s == sizes.end() || s->second.first == n, kOp, "dynamic axis '", name, "' has size ", n, " in input '",
                  in_names[i], "' but ", s == sizes.end() ? 0 : s->second.first, " elsewhere; the example inputs must agree");
      sizes.emplace(name, std::make_pair(n, int64_t{0}));
      dims.push_back({name, i, axis, n, 0});
    }
  }
  for (const auto& [name, _] : opt.dynamic_axes) {
    bool is_input = false;
    for (const auto& n : in_names) is_input = is_input || n == name;
    bool is_output = false;
    for (const auto& n : opt.output_names) is_output = is_output || n == name;
    EMBER_CHECK(is_input || is_output, kOp, "dynamic_axes names '", name, "', which is neither an input nor an output name");
  }

  Trace a = run_trace(fn, inputs);
  EMBER_CHECK(!a.outputs.empty(), kOp, "the forward returned no outputs");
  EMBER_CHECK(opt.output_names.empty() || opt.output_names.size() == a.outputs.size(), kOp, opt.output_names.size(),
              " output names for ", a.outputs.size(), " outputs; give one name per output");

  // The second trace, with the dynamic axes resized (larger first; smaller when the model
  // refuses the larger size, e.g. past a maximum sequence length).
  std::optional<Trace> b_trace;
  if (!dims.empty()) {
    std::string first_error;
    for (int sign : {1, -1}) {
      std::vector<double> ratios;
      bool ok = true;
      for (auto& entry : sizes) {
        auto& s = entry.second;  // (example's size, resized)
        const int64_t old_size = s.first;
        int64_t n = s.first + sign;
        auto taken = [&](int64_t m) {
          for (double r : ratios)
            if (r * static_cast<double>(old_size) == static_cast<double>(m)) return true;
          return false;
        };
        while (n >= 1 && taken(n)) n += sign;
        if (n < 1 || n == s.first) ok = false;
        s.second = n;
        ratios.push_back(static_cast<double>(n) / static_cast<double>(s.first));
      }
      if (!ok) continue;
      std::vector<Tensor> in2;
      for (size_t i = 0; i < inputs.size(); ++i) {
        std::map<int64_t, int64_t> ns;
        for (const DimSource& d : dims)
          if (d.input == i) ns[d.axis] = sizes[d.name].second;
        in2.push_back(ns.empty() ? inputs[i] : resized(inputs[i], ns));
      }
      try {
        b_trace.emplace(run_trace(fn, in2));
        break;
      } catch (const Error& e) {
        if (first_error.empty()) first_error = e.what();
      }
    }
    EMBER_CHECK(b_trace.has_value(), kOp, "the model fails when the dynamic axes are resized (to check which sizes "
                "follow them): ", first_error, "; export with fixed sizes (no dynamic axes)");
    for (DimSource& d : dims) d.size2 = sizes[d.name].second;
  }
  const Trace& b = b_trace ? *b_trace : a;
  EMBER_CHECK(b.rec.ops.size() == a.rec.ops.size() && b.outputs.size() == a.outputs.size(), kOp, "the model runs ",
              a.rec.ops.size(), " ops at the example's sizes but ", b.rec.ops.size(), " when the dynamic axes are "
              "resized (its control flow depends on the sizes); export with fixed sizes (no dynamic axes)");

  ::onnx::ModelProto model;
  model.set_ir_version(8);  // the IR of opset 17 (ONNX 1.12)
  model.set_producer_name("ember");
  model.set_producer_version(EMBER_VERSION);
  auto* opset = model.add_opset_import();
  opset->set_domain("");
  opset->set_version(kOpsetVersion);
  ::onnx::GraphProto* graph = model.mutable_graph();
  graph->set_name("ember");

  GraphBuilder gb(graph, names, dims);
  ExportSummary summary;
  auto value_info = [&](::onnx::ValueInfoProto* vi, const std::string& name, const Tensor& ta, const Tensor& tb,
                        const std::map<int64_t, std::string>* named) {
    vi->set_name(name);
    auto* tt = vi->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(detail::onnx_type(ta.dtype()));
    ExportSummary::Value v{name, dtype_str(ta.dtype()), {}};
    for (int64_t d = 0; d < ta.dim(); ++d) {
      auto* dim = tt->mutable_shape()->add_dim();
      std::string sym;
      if (named && named->count(d)) sym = named->at(d);
      else if (tb.dim() == ta.dim() && tb.size(d) != ta.size(d)) sym = gb.dim_name({ta.size(d), tb.size(d)});
      if (sym.empty() && tb.dim() == ta.dim() && tb.size(d) != ta.size(d)) sym = str_cat(name, "_dim", d);
      if (sym.empty()) dim->set_dim_value(ta.size(d)), v.dims.push_back(std::to_string(ta.size(d)));
      else dim->set_dim_param(sym), v.dims.push_back(sym);
    }
    return v;
  };
  for (size_t i = 0; i < inputs.size(); ++i) {
    auto it = opt.dynamic_axes.find(in_names[i]);
    summary.inputs.push_back(value_info(graph->add_input(), in_names[i], inputs[i], inputs[i],
                                        it == opt.dynamic_axes.end() ? nullptr : &it->second));
    gb.bind(inputs[i], in_names[i]);
  }

  for (size_t k = 0; k < a.rec.ops.size(); ++k) {
    const trace::TracedOp &oa = a.rec.ops[k], &ob = b.rec.ops[k];
    gb.op_index = k;
    gb.set_op(&oa, &ob);
    EMBER_CHECK(oa.kind == ob.kind && oa.inputs.size() == ob.inputs.size(), kOp, gb.describe_op(), " became '", ob.kind,
                "' when the dynamic axes were resized (control flow depends on the sizes); export with fixed sizes");
    // Inputs that no traced op made are constants: they must not change with the dynamic axes.
    for (size_t i = 0; i < oa.inputs.size(); ++i) {
      const Tensor &x = oa.inputs[i], &y = ob.inputs[i];
      if (!x.defined() || gb.bound(x)) continue;
      EMBER_CHECK(!a.rec.traced(x), kOp, gb.describe_op(), ": input ", i, " (shape ", shape_str(x.shape()),
                  ") was computed from the model's inputs by an op with no ONNX mapping (a view or in-place op); "
                  "use reshape/transpose/slice/select/expand or out-of-place ops");
      const bool same = y.defined() && x.shape() == y.shape() && x.dtype() == y.dtype() &&
                        (x.is_same(y) || equal(x.detach(), y.detach()));
      EMBER_CHECK(same, kOp, gb.describe_op(), ": input ", i, " is a constant (shape ", shape_str(x.shape()),
                  ") that changes when the dynamic axes are resized", y.defined() ? str_cat(" (to shape ", shape_str(y.shape()), ")") : std::string(),
                  "; it was made by ops the exporter does not record (e.g. ones/zeros of a size taken from the input); "
                  "build it from exportable ops or export with fixed sizes");
    }
    detail::emit_op(gb);
  }

  std::vector<std::string> out_names = opt.output_names;
  for (size_t i = out_names.size(); i < a.outputs.size(); ++i) out_names.push_back(str_cat("output_", i));
  std::set<std::string> seen(in_names.begin(), in_names.end());
  for (size_t i = 0; i < a.outputs.size(); ++i) {
    EMBER_CHECK(seen.insert(out_names[i]).second, kOp, "the name '", out_names[i], "' is used twice; names must be unique");
    const Tensor& t = a.outputs[i];
    EMBER_CHECK(t.defined(), kOp, "output ", i, " is undefined");
    EMBER_CHECK(gb.bound(t) || !a.rec.traced(t), kOp, "output ", i, " (shape ", shape_str(t.shape()),
                ") was made from the inputs by an op with no ONNX mapping (a view or in-place op)");
    gb.node("Identity", {gb.value(t)}, {out_names[i]});
    auto it = opt.dynamic_axes.find(out_names[i]);
    summary.outputs.push_back(value_info(graph->add_output(), out_names[i], t, b.outputs[i],
                                         it == opt.dynamic_axes.end() ? nullptr : &it->second));
  }

  // ONNX's full check: the checker, then strict shape inference (onnx.checker's full_check).
  try {
    ::onnx::checker::check_model(model);
    ::onnx::ModelProto inferred = model;
    ::onnx::shape_inference::InferShapes(inferred, ::onnx::OpSchemaRegistry::Instance(),
                                         ::onnx::ShapeInferenceOptions(true, 1, false));
  } catch (const std::exception& e) {
    throw Error(str_cat(kOp, ": the exported graph fails ONNX's checker: ", e.what(),
                        " (an exporter bug: please report it with the model)"));
  }
  std::string bytes;
  EMBER_CHECK(model.SerializeToString(&bytes), kOp, "the model could not be serialized (over 2 GB?)");
  io::write_file_atomic(path, bytes, kOp);
  summary.nodes = graph->node_size();
  summary.initializers = graph->initializer_size();
  return summary;
}

ExportSummary export_model(nn::Module& module, const std::vector<Tensor>& inputs, const std::string& path,
                           const ExportOptions& options) {
  EMBER_CHECK(inputs.size() == 1, kOp, "Module::forward takes one input but ", inputs.size(), " were given; use "
              "export_function with a lambda that calls the model's own forward");
  const bool was_training = module.is_training();
  module.eval();
  try {
    ExportSummary s = export_function([&](const std::vector<Tensor>& in) { return std::vector<Tensor>{module.forward(in[0])}; },
                                      module.state_dict(), inputs, path, options);
    module.train(was_training);
    return s;
  } catch (...) {
    module.train(was_training);
    throw;
  }
}

}  // namespace ember::onnx
