#pragma once
// `ember train mnist-cnn`, `ember eval <checkpoint>` and `ember tune mnist-cnn`.
#include "command.h"
#include "ember/recipes/mnist_cnn.h"

namespace ember::cli {

struct TrainCommands {
  recipes::MnistCnnConfig cfg;
  std::string checkpoint, search = "random";
  int64_t trials = 6, eval_batch = 1000;
};

// Adds `mnist-cnn` under `train`, and the top-level `eval` and `tune` commands.
void add_mnist_cnn_commands(CLI::App& app, CLI::App& train, Commands& out);

}  // namespace ember::cli
