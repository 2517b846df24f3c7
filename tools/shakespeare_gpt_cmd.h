#pragma once
// `ember train shakespeare-gpt` and `ember generate <checkpoint>` (its sampler).
#include "command.h"

namespace ember::cli {

// Adds `shakespeare-gpt` under `train` and `tune`, and the top-level `generate` command.
void add_shakespeare_gpt_commands(CLI::App& app, CLI::App& train, CLI::App& tune, Commands& out);
// `ember generate`: defined in generate_cmd.cpp.
void add_generate_command(CLI::App& app, Commands& out);

}  // namespace ember::cli
