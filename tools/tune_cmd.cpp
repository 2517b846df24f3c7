#include "tune_cmd.h"

#include <algorithm>
#include <cstdio>
#include <memory>
#include <random>

#include "distributed_options.h"
#include "ember/error.h"
#include "ember/train/trainer.h"

namespace ember::cli {

namespace {

struct TuneFlags {
  std::string search = "random";
  int64_t trials = 6;
  uint64_t seed = 1;
  std::vector<std::string> params;  // "name=v1,v2"
};

// The default space with each --param replacing (or adding) its flag's values.
std::vector<TuneParam> search_space(std::vector<TuneParam> space, const std::vector<std::string>& params) {
  for (const std::string& p : params) {
    const auto eq = p.find('=');
    EMBER_CHECK(eq != std::string::npos && eq > 0 && eq + 1 < p.size(), "--param", "expected NAME=V1,V2,... (e.g. ",
                "lr=0.001,0.01), got '", p, "'");
    std::string name = p.substr(0, eq);
    if (name.rfind("--", 0) != 0) name = "--" + name;
    TuneParam tp{name, {}};
    size_t start = eq + 1;
    while (start <= p.size()) {
      size_t comma = p.find(',', start);
      if (comma == std::string::npos) comma = p.size();
      EMBER_CHECK(comma > start, "--param", "'", p, "' has an empty value");
      tp.values.push_back(p.substr(start, comma - start));
      start = comma + 1;
    }
    auto it = std::find_if(space.begin(), space.end(), [&](const TuneParam& q) { return q.flag == name; });
    if (it != space.end()) *it = tp;
    else space.push_back(tp);
  }
  return space;
}

// Every combination, the first flag outermost.
std::vector<std::vector<std::string>> grid(const std::vector<TuneParam>& space) {
  std::vector<std::vector<std::string>> out = {{}};
  for (const TuneParam& p : space) {
    std::vector<std::vector<std::string>> next;
    for (const auto& partial : out)
      for (const std::string& v : p.values) {
        next.push_back(partial);
        next.back().insert(next.back().end(), {p.flag, v});
      }
    out = std::move(next);
  }
  return out;
}

std::string describe(const std::vector<std::string>& flags) {
  std::string s;
  for (size_t i = 0; i + 1 < flags.size(); i += 2) s += (i ? " " : "") + flags[i].substr(2) + "=" + flags[i + 1];
  return s;
}

int run_search(const TuneFlags& f, const std::vector<TuneParam>& default_space, const RunTrial& run) {
  const std::vector<TuneParam> space = search_space(default_space, f.params);
  std::vector<std::vector<std::string>> trials = grid(space);
  if (f.search == "random") {
    std::mt19937_64 rng(f.seed);
    std::shuffle(trials.begin(), trials.end(), rng);
    trials.resize(std::min<size_t>(trials.size(), static_cast<size_t>(f.trials)));
  }
  for (const auto& t : trials) run(t, /*dry_run=*/true);  // a bad value fails now, not hours in
  struct Row {
    std::vector<std::string> flags;
    TrialScore score;
  };
  std::vector<Row> rows;
  for (size_t i = 0; i < trials.size(); ++i) {
    if (is_main_process()) std::printf("trial %zu/%zu: %s\n", i + 1, trials.size(), describe(trials[i]).c_str());
    std::fflush(stdout);
    TrialScore score;  // NaN: a diverged trial, ranked last
    try {
      score = run(trials[i], false);
    } catch (const train::NonFiniteLoss& e) {
      if (is_main_process()) std::printf("  diverged: %s\n", e.what());
    }
    rows.push_back({trials[i], score});
  }
  // Best first: higher accuracy, then lower loss; a diverged (NaN) trial last.
  auto key = [](const TrialScore& s) {
    return std::pair{std::isnan(s.accuracy) ? 0.0 : -s.accuracy, std::isnan(s.loss) ? INFINITY : s.loss};
  };
  std::stable_sort(rows.begin(), rows.end(), [&](const Row& a, const Row& b) { return key(a.score) < key(b.score); });
  if (!is_main_process()) return 0;
  const bool acc = std::any_of(rows.begin(), rows.end(), [](const Row& r) { return !std::isnan(r.score.accuracy); });
  std::vector<size_t> width;
  std::printf("\n%4s", "rank");
  for (const TuneParam& p : space) {
    size_t w = p.flag.size() - 2;
    for (const std::string& v : p.values) w = std::max(w, v.size());
    width.push_back(w);
    std::printf(" %*s", static_cast<int>(w), p.flag.substr(2).c_str());
  }
  if (acc) std::printf(" %9s", "val_acc");
  std::printf(" %9s\n", "val_loss");
  for (size_t i = 0; i < rows.size(); ++i) {
    std::printf("%4zu", i + 1);
    for (size_t k = 0; k < space.size(); ++k)
      std::printf(" %*s", static_cast<int>(width[k]), rows[i].flags[2 * k + 1].c_str());
    if (acc) std::printf(" %8.2f%%", 100 * rows[i].score.accuracy);
    std::printf(" %9.4f\n", rows[i].score.loss);
  }
  return 0;
}

}  // namespace

[[noreturn]] void throw_trial_error(const std::vector<std::string>& flags, const std::string& what) {
  throw Error("tune: trial " + describe(flags) + ": " + what);
}

void add_tune_command(CLI::App& tune, const Tunable& t, Commands& out) {
  CLI::App* c = tune.add_subcommand(t.recipe, t.help);
  RunTrial run = t.setup(c);
  auto f = std::make_shared<TuneFlags>();
  std::string defaults;
  for (const TuneParam& p : t.space) {
    defaults += (defaults.empty() ? "" : " ") + p.flag.substr(2) + "=";
    for (size_t i = 0; i < p.values.size(); ++i) defaults += (i ? "," : "") + p.values[i];
  }
  c->add_option("--search", f->search, "grid (every combination) or random (--trials of them)")
      ->check(CLI::IsMember({"grid", "random"}));
  c->add_option("--trials", f->trials, "Random-search trials")->check(kPositive);
  c->add_option("--search-seed", f->seed, "Seed of the random search's choice of trials");
  c->add_option("--param", f->params,
                "A searched flag and its values, NAME=V1,V2,... (repeatable; replaces or adds to the default space: " +
                    defaults + ")");
  out.push_back({c, [f, run, space = t.space] { return run_search(*f, space, run); }});
}

}  // namespace ember::cli
