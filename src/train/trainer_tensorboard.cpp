#include "train/trainer_tensorboard.h"

#include <cstdlib>
#include <sstream>

#include "ember/ops.h"

namespace ember::train::detail {

void log_row(TensorBoardWriter& tb, const EpochRecord& row) {
  for (const auto& [name, value] : row.values) tb.add_scalar(kMetricsTagPrefix + name, value, row.epoch);
}

void log_step(TensorBoardWriter& tb, int64_t step, double loss, double lr) {
  tb.add_scalar("train_step/loss", loss, step);
  tb.add_scalar("train_step/lr", lr, step);
}

void log_parameters(TensorBoardWriter& tb, const nn::Module& model, int64_t step) {
  for (const auto& [name, p] : model.named_parameters()) {
    if (!p.defined() || p.numel() == 0) continue;
    // A diverged run (--nonfinite skip) may hold NaN weights or gradients: their histograms are
    // left out, the run goes on.
    if (all_finite(p)) tb.add_histogram("weights/" + name, p, step);
    const Tensor g = p.grad();
    if (g.defined() && g.numel() > 0 && all_finite(g)) tb.add_histogram("gradients/" + name, g, step);
  }
}

void log_hparams(TensorBoardWriter& tb, const std::string& recipe, const std::string& config,
                 const std::vector<EpochRecord>& history) {
  if (history.empty()) return;
  HParams hp;
  if (!recipe.empty()) hp.emplace_back("recipe", recipe);
  std::istringstream words(config);
  std::string w;
  while (words >> w) {
    const auto eq = w.find('=');
    if (eq == std::string::npos || eq == 0) continue;
    const std::string key = w.substr(0, eq), value = w.substr(eq + 1);
    char* end = nullptr;
    const double number = std::strtod(value.c_str(), &end);
    if (value == "true" || value == "false")
      hp.emplace_back(key, value == "true");
    else if (!value.empty() && *end == '\0')
      hp.emplace_back(key, number);
    else
      hp.emplace_back(key, value);
  }
  std::vector<std::pair<std::string, double>> metrics;
  for (const auto& [name, value] : history.back().values) metrics.emplace_back(kMetricsTagPrefix + name, value);
  // The metrics are the run's own scalars (log_row): the dashboard reads their last values.
  tb.add_hparams(hp, metrics, /*write_metrics=*/false, history.back().epoch);
}

}  // namespace ember::train::detail
