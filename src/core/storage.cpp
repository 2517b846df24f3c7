#include <atomic>
#include <cstdlib>
#include <map>
#include <mutex>
#include <new>
#include <vector>

#include "ember/memory.h"
#include "ember/tensor.h"

namespace ember {

namespace {

// Large blocks are cached for reuse instead of being returned to the OS: glibc serves blocks over
// 32 MB with fresh mmap()s, and the page faults on first touch cost more than the kernels that
// fill them (an add over 10M floats ran 4x slower). Sizes are rounded up to one of 8 classes per
// power of two (at most 12.5% waste); the cache holds at most kCacheLimit bytes.
#if defined(__SANITIZE_ADDRESS__)
constexpr size_t kCacheMin = ~size_t{0};  // no caching: let AddressSanitizer see every free
#else
constexpr size_t kCacheMin = size_t{1} << 20;
#endif
constexpr size_t kCacheLimit = size_t{2} << 30;

struct BlockCache {
  std::mutex mu;
  std::map<size_t, std::vector<void*>> free_blocks;
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

size_t size_class(size_t n) {
  size_t p = size_t{1} << (63 - __builtin_clzll(n));  // largest power of two <= n
  size_t step = p / 8;
  return (n + step - 1) / step * step;
}

void* allocate_bytes(size_t nbytes, size_t& capacity) {
  if (nbytes >= kCacheMin && nbytes < (size_t{1} << 62)) {
    capacity = size_class(nbytes);
    auto& c = cache();
    std::lock_guard<std::mutex> lock(c.mu);
    auto it = c.free_blocks.find(capacity);
    if (it != c.free_blocks.end() && !it->second.empty()) {
      void* p = it->second.back();
      it->second.pop_back();
      c.cached_bytes -= capacity;
      count_allocation(static_cast<int64_t>(capacity));
      return p;
    }
  } else {
    capacity = (nbytes + 63) / 64 * 64;  // aligned_alloc wants a multiple of the alignment
    if (capacity == 0) capacity = 64;
  }
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
  }
  std::free(p);
}

}  // namespace

void empty_cache() {
  auto& c = cache();
  std::lock_guard<std::mutex> lock(c.mu);
  for (auto& [size, blocks] : c.free_blocks)
    for (void* p : blocks) std::free(p);
  c.free_blocks.clear();
  c.cached_bytes = 0;
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

void reset_peak_memory_stats() { g_peak.store(g_allocated.load(std::memory_order_relaxed), std::memory_order_relaxed); }

std::shared_ptr<Storage> Storage::allocate(size_t nbytes) {
  auto s = std::make_shared<Storage>();
  size_t capacity = 0;
  s->data = allocate_bytes(nbytes, capacity);
  if (!s->data) throw Error(detail::str_cat("Storage: out of memory allocating ", nbytes, " bytes"));
  s->nbytes = nbytes;
  s->deleter = [capacity](void* p) { release_bytes(p, capacity); };
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
