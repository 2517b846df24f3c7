#pragma once
// `ember distill mnist-cnn`: a small student learns from a trained seed CNN (or alone with --alpha 0).
#include "command.h"

namespace ember::cli {

void add_distill_command(CLI::App& app, Commands& out);

}  // namespace ember::cli
