#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>
#include <new>
#include <vector>

#include "core/allocator.h"
#include "ember/memory.h"
#include "ember/tensor.h"

namespace ember {

namespace {

// Large blocks (>= 1 MiB) are mapped here and cached for reuse instead of being unmapped:
// first-touch page faults cost more than the kernels that fill the memory (an add over 10M floats
// ran 4x slower). Sizes are rounded up to one of 8 classes per power of two (at most 12.5% waste).
// By default the cache keeps up to 2 GiB of freed blocks. The bounded mode (set_bounded_cache, or
// EMBER_BOUNDED_CACHE=1) never lets the process grow past what its tensors have needed: on a miss
// that would take live + cached past the peak of live bytes (memory_stats), it first unmaps cached
// blocks of other sizes. A training step whose forward and backward use different sizes then peaks
// at its live tensors rather than live + a cache of the other phase's blocks (GPT-2 124M at batch
// 4 x 256: 2,259 MB peak RSS instead of 2,696 MB), at the cost of re-faulting evicted blocks each
// step (GPT-2: about 5% of the step; the seed CNN, whose blocks are small and many: 35%).
#if defined(__SANITIZE_ADDRESS__)
constexpr size_t kCacheMin = ~size_t{0};  // no caching, no mmap: let AddressSanitizer see every block
#else
constexpr size_t kCacheMin = size_t{1} << 20;
#endif
constexpr size_t kCacheLimit = size_t{2} << 30;
constexpr size_t kPage = 4096;

struct BlockCache {
  std::mutex mu;
  std::map<size_t, std::vector<void*>> free_blocks;  // capacity -> blocks
  size_t cached_bytes = 0;
};

BlockCache& cache() {
  static BlockCache* c = new BlockCache();  // leaked on purpose: tensors may die after static destructors
  return *c;
}

std::atomic<int64_t> g_allocated{0}, g_peak{0};

void raise_to(std::atomic<int64_t>& a, int64_t v) {
  int64_t cur = a.load(std::memory_order_relaxed);
  while (v > cur && !a.compare_exchange_weak(cur, v, std::memory_order_relaxed)) {
  }
}

void count_allocation(int64_t bytes) {
  const int64_t now = g_allocated.fetch_add(bytes, std::memory_order_relaxed) + bytes;
  raise_to(g_peak, now);
}

std::atomic<bool>& bounded_flag() {
  static std::atomic<bool> on{[] {
    const char* v = std::getenv("EMBER_BOUNDED_CACHE");
    return v != nullptr && std::string(v) == "1";
  }()};
  return on;
}

size_t size_class(size_t n) {
  size_t p = size_t{1} << (63 - __builtin_clzll(n));  // largest power of two <= n
  size_t step = std::max(p / 8, kPage);
  return (n + step - 1) / step * step;
}

// Unmaps cached blocks, largest first, until at least `want` bytes are gone or the cache is empty.
// Called with the cache's lock held.
void evict(BlockCache& c, size_t want) {
  size_t freed = 0;
  while (freed < want && !c.free_blocks.empty()) {
    auto it = std::prev(c.free_blocks.end());
    while (!it->second.empty() && freed < want) {
      munmap(it->second.back(), it->first);
      it->second.pop_back();
      freed += it->first;
      c.cached_bytes -= it->first;
    }
    if (it->second.empty()) c.free_blocks.erase(it);
  }
}

// Physical memory: a request beyond it cannot succeed, but with overcommit mmap grants it and the
// kernel kills the process later as pages are touched (--batch-size 99999999999 grew to 23.8 GB).
size_t physical_memory() {
  static const size_t bytes = [] {
    const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
    return pages > 0 && page > 0 ? static_cast<size_t>(pages) * static_cast<size_t>(page) : SIZE_MAX;
  }();
  return bytes;
}

void* allocate_bytes(size_t nbytes, size_t* capacity_out) {
  if (nbytes > physical_memory()) [[unlikely]]
    throw Error(detail::str_cat("Storage: cannot allocate ", nbytes, " bytes (", nbytes >> 30,
                                " GiB): more than this machine's ", physical_memory() >> 30, " GiB of memory"));
  size_t& capacity = *capacity_out;
  if (nbytes >= kCacheMin && nbytes < (size_t{1} << 62)) {
    capacity = size_class(nbytes);
    auto& c = cache();
    {
      std::lock_guard<std::mutex> lock(c.mu);
      auto it = c.free_blocks.find(capacity);
      if (it != c.free_blocks.end() && !it->second.empty()) {
        void* p = it->second.back();
        it->second.pop_back();
        if (it->second.empty()) c.free_blocks.erase(it);
        c.cached_bytes -= capacity;
        count_allocation(static_cast<int64_t>(capacity));
        return p;
      }
      // No block of this class: hand out the smallest cached one up to twice as large, whole (it
      // returns to its own class when freed). Sizes that vary from batch to batch (padding to the
      // longest text, sorted batches whose lengths fall) then reuse pages already touched instead
      // of mapping and faulting in new blocks beside the cached ones.
      if (auto big = c.free_blocks.upper_bound(capacity); big != c.free_blocks.end() && big->first <= 2 * capacity) {
        capacity = big->first;
        void* p = big->second.back();
        big->second.pop_back();
        if (big->second.empty()) c.free_blocks.erase(big);
        c.cached_bytes -= capacity;
        count_allocation(static_cast<int64_t>(capacity));
        return p;
      }
      // Bounded: map new memory only within the most the tensors have needed at once (since the
      // last reset_peak_memory_stats): unmap cached blocks of other sizes to make room.
      const size_t live = static_cast<size_t>(std::max<int64_t>(g_allocated.load(std::memory_order_relaxed), 0));
      const size_t high = std::max(static_cast<size_t>(std::max<int64_t>(g_peak.load(std::memory_order_relaxed), 0)), live + capacity);
      if (bounded_cache() && live + c.cached_bytes + capacity > high) evict(c, live + c.cached_bytes + capacity - high);
    }
    void* p = mmap(nullptr, capacity, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return nullptr;
    count_allocation(static_cast<int64_t>(capacity));
    return p;
  }
  capacity = (nbytes + 63) / 64 * 64;  // aligned_alloc wants a multiple of the alignment
  if (capacity == 0) capacity = 64;
  void* p = std::aligned_alloc(64, capacity);
  if (p) count_allocation(static_cast<int64_t>(capacity));
  return p;
}

void release_bytes(void* p, size_t capacity) {
  g_allocated.fetch_sub(static_cast<int64_t>(capacity), std::memory_order_relaxed);
  if (capacity >= kCacheMin) {
    auto& c = cache();
    std::lock_guard<std::mutex> lock(c.mu);
    if (c.cached_bytes + capacity <= kCacheLimit) {
      c.free_blocks[capacity].push_back(p);
      c.cached_bytes += capacity;
      return;
    }
    munmap(p, capacity);
    return;
  }
  std::free(p);
}

}  // namespace

namespace detail {
const Allocator& host_allocator() {
  static constexpr Allocator a{allocate_bytes, release_bytes};
  return a;
}
}  // namespace detail

void set_bounded_cache(bool on) { bounded_flag().store(on, std::memory_order_relaxed); }
bool bounded_cache() { return bounded_flag().load(std::memory_order_relaxed); }

void empty_cache() {
  auto& c = cache();
  std::lock_guard<std::mutex> lock(c.mu);
  evict(c, c.cached_bytes);
}

MemoryStats memory_stats() {
  MemoryStats s;
  s.allocated_bytes = g_allocated.load(std::memory_order_relaxed);
  s.peak_allocated_bytes = g_peak.load(std::memory_order_relaxed);
  auto& c = cache();
  std::lock_guard<std::mutex> lock(c.mu);
  s.cached_bytes = static_cast<int64_t>(c.cached_bytes);
  return s;
}

int64_t physical_memory_bytes() { return static_cast<int64_t>(std::min<size_t>(physical_memory(), INT64_MAX)); }

void check_fits_in_memory(double bytes, const std::string& flags, const std::string& what) {
  const double have = static_cast<double>(physical_memory_bytes());
  if (bytes <= have) return;
  const double gib = double(int64_t{1} << 30);
  throw Error(detail::str_cat(flags, ": ", what, " needs about ", static_cast<int64_t>(bytes / gib + 0.5),
                              " GiB, more than this machine's ", static_cast<int64_t>(have / gib), " GiB of memory"));
}

void reset_peak_memory_stats() { g_peak.store(g_allocated.load(std::memory_order_relaxed), std::memory_order_relaxed); }

std::shared_ptr<Storage> Storage::allocate(size_t nbytes, Device device) {
  const detail::Allocator* a = detail::find_allocator(device.type);
  if (!a) [[unlikely]]
    throw Error(detail::str_cat("Storage: cannot allocate ", nbytes, " bytes on device ", device.str(),
                                ": no backend is registered for ", device_type_name(device.type),
                                " (Ember was built without a ", device_type_name(device.type), " backend)"));
  auto s = std::make_shared<Storage>();
  size_t capacity = 0;
  s->data = a->allocate(nbytes, &capacity);
  if (!s->data) throw Error(detail::str_cat("Storage: out of memory allocating ", nbytes, " bytes on ", device.str()));
  s->nbytes = nbytes;
  s->device = device;
  s->deleter = [a, capacity](void* p) { a->release(p, capacity); };
  return s;
}

std::shared_ptr<Storage> Storage::from_external(void* data, size_t nbytes, std::function<void(void*)> deleter) {
  auto s = std::make_shared<Storage>();
  s->data = data;
  s->nbytes = nbytes;
  s->deleter = std::move(deleter);
  return s;
}

Storage::~Storage() {
  if (deleter && data) deleter(data);
}

}  // namespace ember
