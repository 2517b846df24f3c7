#pragma once
// `ember train <recipe>`, `ember eval <checkpoint>` and `ember tune <recipe>`.
#include <CLI/CLI.hpp>

#include "ember/recipes/mnist_cnn.h"

namespace ember::cli {

struct TrainCommands {
  recipes::MnistCnnConfig cfg;
  std::string recipe, checkpoint, search = "random";
  int64_t trials = 6, eval_batch = 1000;
  CLI::App *train = nullptr, *eval = nullptr, *tune = nullptr;
};

void add_train_commands(CLI::App& app, TrainCommands& tc);
// Runs the selected command; returns its exit code, or -1 when none of these was selected.
int run_train_commands(TrainCommands& tc);

}  // namespace ember::cli
