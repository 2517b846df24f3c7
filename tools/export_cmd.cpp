// `ember export onnx CHECKPOINT_OR_MODEL_DIR --out model.onnx [--batch N] [--seq-len T]`: picks the
// model from the checkpoint's "recipe" metadata (as `ember explain` does) or from the folder's
// files (sentence-transformers, or a BERT), exports it with dynamic batch (and sequence) axes,
// and prints the opset, the inputs and outputs with their dims, and the node count.
#include <iostream>
#include <memory>
#include <string>

#include "export_cmd.h"
#include "ember/error.h"
#include "ember/onnx/export.h"
#include "ember/recipes/exportable.h"

namespace ember::cli {

namespace {

struct ExportArgs {
  std::string source, out;
  int64_t batch = 2, seq_len = 16;
};

std::string dims_str(const std::vector<std::string>& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + dims[i];
  return s + "]";
}

int run_export(const ExportArgs& a) {
  onnx::check_writable(a.out);  // before loading and tracing
  recipes::ExportableModel e = recipes::exportable_model(a.source, a.batch, a.seq_len);
  onnx::ExportOptions o;
  o.input_names = e.input_names;
  o.output_names = e.output_names;
  o.dynamic_axes = e.dynamic_axes;
  onnx::ExportSummary s = onnx::export_function(e.forward, e.params->state_dict(), e.example_inputs, a.out, o);
  std::cout << "exported " << e.description << " to " << a.out << " (ONNX opset " << s.opset << ")\n";
  for (const auto& v : s.inputs) std::cout << "  input  " << v.name << ": " << v.dtype << " " << dims_str(v.dims) << "\n";
  for (const auto& v : s.outputs) std::cout << "  output " << v.name << ": " << v.dtype << " " << dims_str(v.dims) << "\n";
  std::cout << "  " << s.nodes << " nodes, " << s.initializers << " initializers\n";
  return 0;
}

}  // namespace

void add_export_command(CLI::App& app, Commands& out) {
  auto* group = app.add_subcommand("export", "Export a model to another format (ember export onnx --help)");
  group->require_subcommand(1);
  auto args = std::make_shared<ExportArgs>();
  auto* c = group->add_subcommand("onnx", "Export a checkpoint (mnist-cnn, mnist-autoencoder, mnist-vae, imdb-lstm, "
                                          "shakespeare-gpt) or a Hugging Face BERT / sentence-transformers folder "
                                          "to ONNX (opset 17), with dynamic batch and sequence axes");
  c->add_option("source", args->source, "A checkpoint (.safetensors) written by `ember train`, or a model folder")
      ->required();
  c->add_option("--out", args->out, "The .onnx file to write")->required();
  c->add_option("--batch", args->batch, "Batch size of the example inputs traced (the graph takes any)")
      ->check(kPositive)
      ->capture_default_str();
  c->add_option("--seq-len", args->seq_len, "Sequence length of the example inputs of text models (the graph takes any)")
      ->check(kPositive)
      ->capture_default_str();
  out.push_back({c, [args] { return run_export(*args); }});
}

}  // namespace ember::cli
