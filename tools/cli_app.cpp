#include "cli_app.h"

#include "bert_classifier_cmd.h"
#include "distill_cmd.h"
#include "embed_cmd.h"
#include "explain_cmd.h"
#include "export_cmd.h"
#include "imdb_lstm_cmd.h"
#include "mnist_autoencoder_cmd.h"
#include "mnist_cnn_cmd.h"
#include "number_flags.h"
#include "shakespeare_gpt_cmd.h"

namespace ember::cli {

Cli::Cli() {
  app.set_version_flag("--version", std::string("ember ") + EMBER_VERSION);
  app.require_subcommand(0, 1);
  info = app.add_subcommand("info", "Print build and runtime information");
  auto* train = app.add_subcommand("train", "Train a recipe (ember train <recipe> --help lists its flags)");
  train->require_subcommand(1);
  auto* tune = app.add_subcommand("tune", "Search a recipe's hyperparameters on held-out data (ember tune <recipe> --help)");
  tune->require_subcommand(1);
  add_mnist_cnn_commands(app, *train, *tune, commands);
  add_mnist_autoencoder_command(*train, *tune, commands);
  add_mnist_vae_command(*train, *tune, commands);
  add_shakespeare_gpt_commands(app, *train, *tune, commands);
  add_imdb_lstm_command(*train, *tune, commands);
  add_bert_classifier_command(*train, commands);
  add_embed_command(app, commands);
  add_explain_command(app, commands);
  add_distill_command(app, commands);
  add_export_command(app, commands);
  add_number_range_checks(app);  // after every flag is defined
}

std::string unknown_recipe_error(Cli& cli, int argc, const char* const* argv) {
  auto find = [](CLI::App* parent, const std::string& name) -> CLI::App* {
    for (auto* c : parent->get_subcommands({}))
      if (c->get_name() == name) return c;
    return nullptr;
  };
  if (argc > 2 && argv[2][0] != '-') {
    CLI::App* group = find(&cli.app, argv[1]);
    if (group && !group->get_subcommands({}).empty() && !find(group, argv[2])) {
      std::string names;
      for (auto* c : group->get_subcommands({})) names += (names.empty() ? "" : ", ") + c->get_name();
      return std::string("unknown recipe '") + argv[2] + "' for 'ember " + argv[1] + "'; choose one of: " + names;
    }
  }
  return "";
}

}  // namespace ember::cli
