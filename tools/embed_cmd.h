#pragma once
// `ember embed`: sentence embeddings from a sentence-transformers folder.
#include "command.h"

namespace ember::cli {

void add_embed_command(CLI::App& app, Commands& out);

}  // namespace ember::cli
