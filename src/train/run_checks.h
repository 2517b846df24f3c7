#pragma once
// Checks the trainer makes before any work (issue 19, "validate before work"): outputs that can
// be written, a training set that fills at least one batch, step counts that fit their counters,
// and a resumed run's configuration against the checkpoint's.
#include <cstdint>
#include <initializer_list>
#include <iosfwd>
#include <string>

#include "ember/data/dataloader.h"
#include "ember/optim/optimizer.h"

namespace ember::train::detail {

// `path` (a file to be written later, "" for none) can be created: its folder exists and is
// writable, it is not a folder and it ends in one of `suffixes`. Errors name `flag`.
void check_output_path(const std::string& path, const char* flag, std::initializer_list<const char*> suffixes);

// `dir` (a folder for files written later, "" for none) exists or is created (with its parents),
// and a file can be created in it. Errors name `flag`.
void check_output_dir(const std::string& dir, const char* flag);

// The loader yields at least one batch, --batch-size is at most its examples per epoch (per
// rank), and epochs * steps per epoch fits in an int64 step counter.
void check_epoch_loader(const data::DataLoader& loader, int64_t epochs, int64_t steps_per_epoch);

// A resumed run's "config" metadata (`saved`, key=value words) against this run's (`current`):
// the optimizer's hyperparameters from the command line replace the checkpoint's (loaded with the
// optimizer state) with a note on `log`; any other difference but the length of the run is an
// error naming both values, since the checkpoint's state belongs to the configuration it was
// trained with. `lr_scheduled`: the lr is set every step (nothing to replace).
void reconcile_resume_config(const std::string& saved, const std::string& current, optim::Optimizer& opt,
                             bool lr_scheduled, const std::string& path, std::ostream& log);

}  // namespace ember::train::detail
