// The allocator's block cache: memory_stats() counts, and the bounded mode gives cached blocks
// back instead of letting live + cached grow past the most ever live.
#include <gtest/gtest.h>

#include "ember/ember.h"
#include "ember/memory.h"

using namespace ember;

namespace {

struct BoundedGuard {  // restores the mode and empties the cache, whatever the test did
  bool was = bounded_cache();
  ~BoundedGuard() {
    set_bounded_cache(was);
    empty_cache();
  }
};

}  // namespace

TEST(Memory, StatsCountLiveTensors) {
  empty_cache();
  const int64_t before = memory_stats().allocated_bytes;
  {
    Tensor t = empty({1 << 20}, kFloat32);  // 4 MiB
    EXPECT_GE(memory_stats().allocated_bytes - before, int64_t{4} << 20);
    EXPECT_GE(memory_stats().peak_allocated_bytes, memory_stats().allocated_bytes);
  }
  EXPECT_EQ(memory_stats().allocated_bytes, before);
}

TEST(Memory, BoundedCacheNeverHoldsMoreThanThePeakNeeds) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "the cache is off under AddressSanitizer";
#else
  BoundedGuard guard;
  empty_cache();
  reset_peak_memory_stats();  // the bound is the peak since the last reset
  const int64_t live0 = memory_stats().allocated_bytes;
  // Phase A: 8 MiB blocks, freed into the cache; the high-water mark becomes live0 + 64 MiB.
  {
    std::vector<Tensor> a;
    for (int i = 0; i < 8; ++i) a.push_back(empty({2 << 20}, kFloat32));
  }
  ASSERT_GE(memory_stats().cached_bytes, int64_t{64} << 20);
  // Phase B, unbounded: 12 MiB blocks miss the cache and are mapped beside the cached 8 MiB ones.
  set_bounded_cache(false);
  {
    std::vector<Tensor> b;
    for (int i = 0; i < 4; ++i) b.push_back(empty({3 << 20}, kFloat32));
    EXPECT_GE(memory_stats().allocated_bytes + memory_stats().cached_bytes - live0, int64_t{64 + 48} << 20);
  }
  empty_cache();
  reset_peak_memory_stats();
  {
    std::vector<Tensor> a;
    for (int i = 0; i < 8; ++i) a.push_back(empty({2 << 20}, kFloat32));
  }
  // Bounded: the same phase B unmaps 8 MiB blocks as it goes, staying within the 64 MiB peak
  // (plus one size-class step of slack for the block being mapped).
  set_bounded_cache(true);
  {
    std::vector<Tensor> b;
    for (int i = 0; i < 4; ++i) {
      b.push_back(empty({3 << 20}, kFloat32));
      EXPECT_LE(memory_stats().allocated_bytes + memory_stats().cached_bytes - live0, int64_t{64} << 20) << i;
    }
  }
  // Blocks that fit the cache are still reused: no new mapping, cached bytes go down.
  const int64_t cached = memory_stats().cached_bytes;
  Tensor again = empty({3 << 20}, kFloat32);
  EXPECT_EQ(memory_stats().cached_bytes, cached - (int64_t{12} << 20));
#endif
}
