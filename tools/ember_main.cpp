// The `ember` command line: parses arguments and hands each subcommand to its own file.
#include <CLI/CLI.hpp>
#include <iostream>

#include "ember/ember.h"
#include "info.h"
#include "train_cmd.h"

int main(int argc, char** argv) {
  CLI::App app{"Ember: a deep-learning framework in C++"};
  app.set_version_flag("--version", std::string("ember ") + EMBER_VERSION);
  app.require_subcommand(0, 1);
  auto* info = app.add_subcommand("info", "Print build and runtime information");
  ember::cli::TrainCommands train;
  ember::cli::add_train_commands(app, train);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);  // usage errors: message on stderr, non-zero exit
  }
  try {
    if (*info) {
      ember::cli::print_info(std::cout);
      return 0;
    }
    int rc = ember::cli::run_train_commands(train);
    if (rc >= 0) return rc;
    std::cout << app.help();
  } catch (const ember::Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {  // e.g. a malformed number in a checkpoint's metadata
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
