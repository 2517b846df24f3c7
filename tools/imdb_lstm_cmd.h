#pragma once
// `ember train imdb-lstm` and `ember tune imdb-lstm`.
#include "command.h"

namespace ember::cli {

void add_imdb_lstm_command(CLI::App& train, CLI::App& tune, Commands& out);

}  // namespace ember::cli
