#include "distributed_options.h"

#include "command.h"
#include "ember/distributed/process_group.h"

namespace ember::cli {

void add_distributed_options(CLI::App* c, bool& zero, double& bucket_cap_mb) {
  c->add_flag("--zero", zero, "Under mpirun: shard the optimizer state across ranks (ZeRO stage 1)");
  c->add_option("--bucket-mb", bucket_cap_mb, "Under mpirun: DDP gradient bucket size in MiB")->check(kPositive);
}

bool is_main_process() { return distributed::init_process_group()->rank() == 0; }

}  // namespace ember::cli
