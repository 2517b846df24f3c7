#pragma once
// `ember tune <recipe>`: grid or random search over any recipe's hyperparameters. Each trial is a
// training run with the recipe's own flags plus the trial's values, scored on held-out data (a
// validation split, never the test set); the table ranks the trials.
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "command.h"
#include "number_flags.h"

namespace ember::cli {

// One searched flag and its candidate values, e.g. {"--lr", {"0.003", "0.01"}}.
struct TuneParam {
  std::string flag;
  std::vector<std::string> values;
};

// A trial's held-out figures; accuracy is NaN for recipes without one (ranked by loss alone).
struct TrialScore {
  double loss = NAN, accuracy = NAN;
};

// Runs one trial: the tune command's flags with `flags` (e.g. {"--lr", "0.01"}) applied on top.
// With dry_run it only checks the flags (every trial's values are checked before the first runs).
using RunTrial = std::function<TrialScore(const std::vector<std::string>& flags, bool dry_run)>;

struct Tunable {
  std::string recipe, help;
  std::vector<TuneParam> space;  // the default search space
  // Adds the recipe's flags to `app` (bound to a base configuration with tuning defaults) and
  // returns the trial runner; it is called once, when the command is built.
  std::function<RunTrial(CLI::App* app)> setup;
};

// Adds `tune <recipe>` with --search, --trials and --param on top of the recipe's flags.
void add_tune_command(CLI::App& tune, const Tunable& t, Commands& out);

[[noreturn]] void throw_trial_error(const std::vector<std::string>& flags, const std::string& what);

// Parses `flags` into a configuration with `add_flags` (the recipe's flag definitions), so a
// trial's values are checked exactly as on the command line. Throws ember::Error naming the flag.
template <typename Config>
Config with_flags(Config cfg, const std::vector<std::string>& flags, void (*add_flags)(CLI::App*, Config&)) {
  CLI::App app;
  add_flags(&app, cfg);
  add_number_range_checks(app);
  std::vector<std::string> args(flags.rbegin(), flags.rend());  // CLI11 parses a reversed vector
  try {
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    throw_trial_error(flags, e.what());
  }
  return cfg;
}

// The Tunable of a recipe whose flags `add_flags` defines: trials start from `base` (the tuning
// defaults, e.g. one epoch and a validation split) with the command line's flags, then the
// trial's; `run` trains one and returns its held-out score. A config with validation_size gets
// --validation-size, and tuning refuses 0 (it would score on the test set).
template <typename Config>
Tunable make_tunable(std::string recipe, std::string help, std::vector<TuneParam> space, Config base,
                     void (*add_flags)(CLI::App*, Config&), std::function<TrialScore(const Config&)> run) {
  auto setup = [base, add_flags, run](CLI::App* c) -> RunTrial {
    auto b = std::make_shared<Config>(base);
    add_flags(c, *b);
    if constexpr (requires { b->validation_size; })
      c->add_option("--validation-size", b->validation_size, "Training examples held out to score the trials")
          ->check(kPositive);
    return [b, add_flags, run](const std::vector<std::string>& flags, bool dry_run) -> TrialScore {
      Config cfg = with_flags(*b, flags, add_flags);
      return dry_run ? TrialScore{} : run(cfg);
    };
  };
  return {std::move(recipe), std::move(help), std::move(space), setup};
}

}  // namespace ember::cli
