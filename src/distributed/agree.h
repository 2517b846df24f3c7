#pragma once
// Comparing small descriptions across ranks: a hash first (one allgather of 8 bytes per rank),
// the full strings only when the hashes differ.
#include <cstdint>
#include <string>
#include <vector>

#include "ember/distributed/process_group.h"

namespace ember::distributed::detail {

uint64_t fnv1a(const std::string& s);
// Every rank's string, through two allgathers (lengths, then the padded bytes as int32).
std::vector<std::string> allgather_strings(ProcessGroup& group, const std::string& mine);
// The ranks whose fnv1a(mine) differs from rank 0's (empty when all agree), from one allgather.
std::vector<int> ranks_differing_from_0(ProcessGroup& group, const std::string& mine);

}  // namespace ember::distributed::detail
