#pragma once
// What train::Trainer writes to TensorBoard (TrainerOptions::tensorboard_dir), in one place:
//   metrics/<column>    every value of a history row (metrics.csv's columns), at x = the row's
//                       epoch (or step): the same numbers as metrics.csv
//   train_step/loss     each step's training loss (per sample for a summed loss), at its step
//   train_step/lr       the learning rate that step used
//   weights/<name>, gradients/<name>   histograms of every parameter and its gradient, per row
//   _hparams_/...       the run's configuration as hyperparameters, with the last row's metrics
#include <string>
#include <vector>

#include "ember/nn/module.h"
#include "ember/train/report.h"
#include "ember/train/tensorboard.h"

namespace ember::train::detail {

inline constexpr const char* kMetricsTagPrefix = "metrics/";

void log_row(TensorBoardWriter& tb, const EpochRecord& row);
void log_step(TensorBoardWriter& tb, int64_t step, double loss, double lr);
void log_parameters(TensorBoardWriter& tb, const nn::Module& model, int64_t step);
// config: the recipe's "key=value ..." words (numbers, true/false, else strings).
void log_hparams(TensorBoardWriter& tb, const std::string& recipe, const std::string& config,
                 const std::vector<EpochRecord>& history);

}  // namespace ember::train::detail
