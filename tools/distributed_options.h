#pragma once
// What every `ember train <recipe>` needs to run under mpirun: the shared flags and "am I rank 0".
#include <CLI/CLI.hpp>

namespace ember::cli {

// --zero (ZeRO-1 optimizer sharding) and --bucket-mb (DDP bucket size); both matter only under mpirun.
void add_distributed_options(CLI::App* c, bool& zero, double& bucket_cap_mb);

// Rank 0 of an mpirun job, or a plain process: the one that prints final results.
bool is_main_process();

}  // namespace ember::cli
