#pragma once
// Bytes held by tensor storages (torch.cuda.memory_allocated / max_memory_allocated /
// memory_reserved, for Ember's CPU allocator): for finding where a program's memory peaks.
#include <cstdint>
#include <string>

namespace ember {

struct MemoryStats {
  int64_t allocated_bytes = 0;       // live tensor storages (their rounded-up capacity)
  int64_t peak_allocated_bytes = 0;  // the most allocated_bytes since start or the last reset
  int64_t cached_bytes = 0;          // freed large blocks kept for reuse (empty_cache() returns them)
};

MemoryStats memory_stats();

// The machine's physical memory in bytes (sysconf); tensors larger than it are refused.
int64_t physical_memory_bytes();
// Checks, before anything is built, that a run estimated to need `bytes` fits in physical memory:
// throws ember::Error "<flags>: <what> needs about N GiB, more than this machine's M GiB of memory".
void check_fits_in_memory(double bytes, const std::string& flags, const std::string& what);
// Sets peak_allocated_bytes to the current allocated_bytes.
void reset_peak_memory_stats();

// The block cache's bounded mode (default off, or EMBER_BOUNDED_CACHE=1): freed large blocks are
// unmapped whenever keeping them would take the process past peak_allocated_bytes (the most tensor
// bytes held at once since the start or the last reset), so peak memory is the peak of live tensors. Costs page faults when a program's
// phases use blocks of different sizes; for training big models close to the memory limit.
void set_bounded_cache(bool on);
bool bounded_cache();

}  // namespace ember
