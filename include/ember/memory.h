#pragma once
// Bytes held by tensor storages (torch.cuda.memory_allocated / max_memory_allocated /
// memory_reserved, for Ember's CPU allocator): for finding where a program's memory peaks.
#include <cstdint>

namespace ember {

struct MemoryStats {
  int64_t allocated_bytes = 0;       // live tensor storages (their rounded-up capacity)
  int64_t peak_allocated_bytes = 0;  // the most allocated_bytes since start or the last reset
  int64_t cached_bytes = 0;          // freed large blocks kept for reuse (empty_cache() returns them)
};

MemoryStats memory_stats();
// Sets peak_allocated_bytes to the current allocated_bytes.
void reset_peak_memory_stats();

}  // namespace ember
