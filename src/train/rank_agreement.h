#pragma once
// The check that every rank of a distributed run trains the same run (Trainer::fit calls it).
#include <string>
#include <utility>
#include <vector>

#include "ember/distributed/context.h"
#include "ember/train/trainer.h"

namespace ember::train::detail {

// Throws ember::Error on every rank, naming the ranks and values that differ, unless all agree
// on the recipe, each key=value of its configuration and `run` (steps, data size, where the run
// starts). Ranks that disagree would pair collectives of other sizes, or leave some unmatched,
// and crash inside MPI. A no-op in a world of one.
void check_ranks_agree(const distributed::Context& dist, const TrainerOptions& options,
                       const std::vector<std::pair<std::string, std::string>>& run);

}  // namespace ember::train::detail
