#pragma once
// `ember export onnx`: a trained checkpoint or a Hugging Face model folder as an ONNX file.
#include "command.h"

namespace ember::cli {

void add_export_command(CLI::App& app, Commands& out);

}  // namespace ember::cli
