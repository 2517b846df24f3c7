#pragma once
// ONNX export (opset 17), as torch.onnx.export: run the model's forward on example inputs with
// a tracer on (ember/ops/trace.h), turn each recorded op into ONNX nodes, check the model with
// ONNX's checker and shape inference, and write it atomically.
//
// Dynamic dimensions: the forward runs twice, the second time with every dynamic axis resized;
// sizes and indices that change between the two traces are computed in the graph from the
// inputs' shapes (Shape, Gather, Mul, Concat), so the model runs at other batch sizes and
// sequence lengths. Everything else is fixed at its traced value.
//
// An op with no ONNX mapping that computes from the inputs raises ember::Error naming it
// ("onnx export: op 'cumsum' has no ONNX mapping"), as does a graph that changes with the size
// of a dynamic axis in a way the two traces cannot express.
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "ember/nn/module.h"
#include "ember/tensor.h"

namespace ember::onnx {

// The only opset written (LayerNormalization needs 17; libonnx 1.12's checker knows up to 17).
constexpr int64_t kOpsetVersion = 17;

struct ExportOptions {
  std::vector<std::string> input_names;   // default input_0, input_1 ...
  std::vector<std::string> output_names;  // default output_0 ...
  // Input (or output) name -> {axis -> symbolic dim name}, as torch.onnx.export's dynamic_axes:
  // {{"input_ids", {{0, "batch"}, {1, "sequence"}}}}. Inputs' axes make the graph dynamic;
  // outputs' only rename the dims that follow (those get the input's dim name otherwise).
  std::map<std::string, std::map<int64_t, std::string>> dynamic_axes;
  int64_t opset_version = kOpsetVersion;  // 17 only
};

// What was written, for the CLI's report.
struct ExportSummary {
  struct Value {
    std::string name;
    std::string dtype;               // "float32", "int64" ...
    std::vector<std::string> dims;   // "2" or a symbolic name ("batch")
  };
  int64_t opset = kOpsetVersion;
  std::vector<Value> inputs, outputs;
  int64_t nodes = 0;
  int64_t initializers = 0;
};

// The traced computation: example inputs -> outputs.
using ForwardFn = std::function<std::vector<Tensor>(const std::vector<Tensor>&)>;

// Exports fn. `names` (e.g. a module's state_dict()) names the initializers of those tensors.
ExportSummary export_function(const ForwardFn& fn, const nn::NamedTensors& names, const std::vector<Tensor>& example_inputs,
                              const std::string& path, const ExportOptions& options = {});

// Exports module.forward(example_inputs[0]) in evaluation mode (the module's mode is restored).
ExportSummary export_model(nn::Module& module, const std::vector<Tensor>& example_inputs, const std::string& path,
                           const ExportOptions& options = {});

// Throws ember::Error naming `path` when it cannot be written (missing folder, no permission, a
// folder in its place); run before a long export. Creates nothing.
void check_writable(const std::string& path);

}  // namespace ember::onnx
