#pragma once
// `ember train imdb-lstm`.
#include "command.h"

namespace ember::cli {

void add_imdb_lstm_command(CLI::App& train, Commands& out);

}  // namespace ember::cli
