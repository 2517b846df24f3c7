#pragma once
// One `ember` subcommand: the CLI11 app that parses it and what runs when it was given.
// Each recipe adds its commands from its own file (tools/<recipe>_cmd.cpp) and ember_main.cpp
// runs the one the user selected, so recipes never edit each other's flags.
#include <CLI/CLI.hpp>

#include <functional>
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

}  // namespace ember::cli
