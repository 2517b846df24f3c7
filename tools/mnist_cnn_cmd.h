#pragma once
// `ember train mnist-cnn`, `ember eval <checkpoint>` and `ember tune mnist-cnn`.
#include "command.h"
#include "ember/recipes/mnist_cnn.h"

namespace ember::cli {

struct TrainCommands {
  recipes::MnistCnnConfig cfg;
  std::string checkpoint;
  int64_t eval_batch = 1000;
};

// Every flag of `ember train mnist-cnn`, bound to cfg.
void add_mnist_cnn_flags(CLI::App* c, recipes::MnistCnnConfig& cfg);
// Adds `mnist-cnn` under `train` and `tune`, and the top-level `eval` command.
void add_mnist_cnn_commands(CLI::App& app, CLI::App& train, CLI::App& tune, Commands& out);

}  // namespace ember::cli
