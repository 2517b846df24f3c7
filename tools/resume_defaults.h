#pragma once
// `--resume` continues the run the checkpoint holds: every flag the command line leaves out takes
// the checkpoint's recorded value (its "config" metadata), not the flag's default, so resuming
// without --lr a run trained at --lr 0.05 keeps 0.05 (as restoring a PyTorch optimizer's
// state_dict keeps its lr). Flags given explicitly are still compared with the checkpoint by the
// trainer (applied with a note, or an error).
#include <CLI/CLI.hpp>

#include <iosfwd>

namespace ember::cli {

// For the selected (parsed) subcommand `sub`: when it has --resume, reads the checkpoint's config
// and fills the options not given on the command line. Prints the ones that changed to `log`.
// A missing checkpoint is left to the trainer (--resume auto starts afresh; a wrong path fails there).
void fill_flags_from_checkpoint(CLI::App& sub, std::ostream& log);

}  // namespace ember::cli
