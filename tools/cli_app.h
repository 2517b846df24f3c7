#pragma once
// The `ember` command line's CLI11 apps, built apart from main() so that tests and the fuzz
// harness (fuzz/fuzz_cli.cpp) can parse arguments without running a command.
#include <string>

#include "command.h"

namespace ember::cli {

struct Cli {
  Cli();  // adds every subcommand and its flags
  Cli(const Cli&) = delete;
  Cli& operator=(const Cli&) = delete;

  CLI::App app{"Ember: a deep-learning framework in C++"};
  CLI::App* info = nullptr;  // `ember info`
  Commands commands;         // what runs for each subcommand, once parsed
};

// For `ember train|tune <recipe>` with an unknown recipe: the error naming the known ones
// (CLI11 would only say that a subcommand is required); empty otherwise.
std::string unknown_recipe_error(Cli& cli, int argc, const char* const* argv);

}  // namespace ember::cli
