#pragma once
// `ember explain CHECKPOINT --method ... --index N --out F.png`: attributions of a mnist-cnn
// checkpoint's score for one MNIST test image, drawn beside the image.
#include "command.h"

namespace ember::cli {

void add_explain_command(CLI::App& app, Commands& out);

}  // namespace ember::cli
