// The `ember` command line: parses arguments and hands each subcommand to its own file.
#include <CLI/CLI.hpp>
#include <iostream>

#include "ember/distributed/process_group.h"
#include "bert_classifier_cmd.h"
#include "distill_cmd.h"
#include "ember/ember.h"
#include "embed_cmd.h"
#include "explain_cmd.h"
#include "imdb_lstm_cmd.h"
#include "info.h"
#include "mnist_autoencoder_cmd.h"
#include "shakespeare_gpt_cmd.h"
#include "mnist_cnn_cmd.h"
#include "number_flags.h"

int main(int argc, char** argv) {
  CLI::App app{"Ember: a deep-learning framework in C++"};
  app.set_version_flag("--version", std::string("ember ") + EMBER_VERSION);
  app.require_subcommand(0, 1);
  auto* info = app.add_subcommand("info", "Print build and runtime information");
  auto* train = app.add_subcommand("train", "Train a recipe (ember train <recipe> --help lists its flags)");
  train->require_subcommand(1);
  auto* tune = app.add_subcommand("tune", "Search a recipe's hyperparameters on held-out data (ember tune <recipe> --help)");
  tune->require_subcommand(1);
  ember::cli::Commands commands;
  ember::cli::add_mnist_cnn_commands(app, *train, *tune, commands);
  ember::cli::add_mnist_autoencoder_command(*train, *tune, commands);
  ember::cli::add_mnist_vae_command(*train, *tune, commands);
  ember::cli::add_shakespeare_gpt_commands(app, *train, *tune, commands);
  ember::cli::add_imdb_lstm_command(*train, *tune, commands);
  ember::cli::add_bert_classifier_command(*train, commands);
  ember::cli::add_embed_command(app, commands);
  ember::cli::add_explain_command(app, commands);
  ember::cli::add_distill_command(app, commands);
  ember::cli::add_number_range_checks(app);  // after every flag is defined
  // `ember train <recipe>`: name the unknown recipe and the known ones (CLI11 would only say
  // that a subcommand is required).
  auto find = [](CLI::App* parent, const std::string& name) -> CLI::App* {
    for (auto* c : parent->get_subcommands({}))
      if (c->get_name() == name) return c;
    return nullptr;
  };
  if (argc > 2 && argv[2][0] != '-') {
    CLI::App* group = find(&app, argv[1]);
    if (group && !group->get_subcommands({}).empty() && !find(group, argv[2])) {
      std::string names;
      for (auto* c : group->get_subcommands({})) names += (names.empty() ? "" : ", ") + c->get_name();
      std::cerr << "error: unknown recipe '" << argv[2] << "' for 'ember " << argv[1] << "'; choose one of: " << names
                << "\n";
      return 2;
    }
  }
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
    for (auto& c : commands)
      if (*c.app) return c.run();
    std::cout << app.help();
  } catch (const std::exception& e) {  // ember::Error, or e.g. a malformed number in a checkpoint's metadata
    // Under mpirun: name this rank and end every rank (none is left waiting in a collective).
    ember::distributed::abort_job_on_error(e.what());
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
