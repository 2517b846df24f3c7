#pragma once
// `ember train imdb-lstm` and `ember tune imdb-lstm`.
#include "command.h"

namespace ember::recipes { struct ImdbLstmConfig; }

namespace ember::cli {

void add_imdb_lstm_command(CLI::App& train, CLI::App& tune, Commands& out);
// The recipe's flags (also those of `ember distill imdb-lstm`, whose student it is).
void add_imdb_lstm_flags(CLI::App* c, recipes::ImdbLstmConfig& cfg);

}  // namespace ember::cli
