// The `ember` command line: parses arguments (the apps are built in cli_app.cpp) and runs the
// subcommand that was given.
#include <iostream>

#include "cli_app.h"
#include "ember/distributed/process_group.h"
#include "ember/ember.h"
#include "info.h"
#include "resume_defaults.h"

int main(int argc, char** argv) {
  ember::cli::Cli cli;
  CLI::App& app = cli.app;
  if (std::string err = ember::cli::unknown_recipe_error(cli, argc, argv); !err.empty()) {
    std::cerr << "error: " << err << "\n";
    return 2;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);  // usage errors: message on stderr, non-zero exit
  }
  try {
    if (*cli.info) {
      ember::cli::print_info(std::cout);
      return 0;
    }
    for (auto& c : cli.commands)
      if (*c.app) {
        ember::cli::fill_flags_from_checkpoint(*c.app, std::cout);
        return c.run();
      }
    std::cout << app.help();
  } catch (const std::exception& e) {  // ember::Error, or e.g. a malformed number in a checkpoint's metadata
    // Under mpirun: name this rank and end every rank (none is left waiting in a collective).
    ember::distributed::abort_job_on_error(e.what());
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
