#pragma once
// One `ember` subcommand: the CLI11 app that parses it and what runs when it was given.
// Each recipe adds its commands from its own file (tools/<recipe>_cmd.cpp) and ember_main.cpp
// runs the one the user selected, so recipes never edit each other's flags.
#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

namespace ember::cli {

struct Command {
  CLI::App* app = nullptr;
  std::function<int()> run;  // returns the process exit code
};
using Commands = std::vector<Command>;

// Flag validators shared by the recipes (CLI11's PositiveNumber prints its range as 0 to 1.8e308).
extern const CLI::Validator kPositive;
extern const CLI::Validator kNonNegative;
// --threads: 1 to ember::max_num_threads() (number_flags.cpp).
extern const CLI::Validator kThreads;
// --workers (data loader threads): 0 to ember::max_num_threads().
extern const CLI::Validator kWorkers;

// --precision float32|bf16 (the recipes' autocast switch; the trainer checks the value).
inline void add_precision_flag(CLI::App* app, std::string& precision) {
  app->add_option("--precision", precision,
                  "float32, or bf16: matrix products (linear, conv, attention) in bfloat16 with float32 "
                  "accumulation, as torch.autocast(\"cpu\"); weights and optimizer stay float32")
      ->capture_default_str();
}

// --nonfinite stop|skip: what a step with a NaN or infinite loss does (train::TrainerOptions).
inline void add_nonfinite_flag(CLI::App* app, std::string& nonfinite) {
  app->add_option("--nonfinite", nonfinite,
                  "A step whose loss is NaN or infinite: stop (an error naming the step; the last checkpoint "
                  "is kept), or skip that batch (counted per epoch; an error if all were)")
      ->check(CLI::IsMember({"stop", "skip"}))
      ->capture_default_str();
}

// --tensorboard DIR: TensorBoard event files of the run (train::TrainerOptions::tensorboard_dir).
inline void add_tensorboard_flag(CLI::App* app, std::string& dir) {
  app->add_option("--tensorboard", dir,
                  "Write TensorBoard event files here (created if needed; `tensorboard --logdir DIR`): the metrics, "
                  "each step's loss and learning rate, weight and gradient histograms, images and hyperparameters");
}

}  // namespace ember::cli
