// The registry of backends, one per device type.
#include "backend/backend.h"

#include <array>
#include <atomic>

namespace ember::backend {

namespace {
// Zero-initialized before any static constructor runs (see register_backend's callers).
std::array<std::atomic<const Backend*>, Device::kNumTypes> g_backends{};
}  // namespace

void register_backend(Device::Type type, const Backend* b) {
  detail::register_allocator(type, b ? b->allocator : nullptr, b ? b->name : nullptr);
  g_backends[static_cast<size_t>(type)].store(b, std::memory_order_release);
}

const Backend* find(Device::Type type) { return g_backends[static_cast<size_t>(type)].load(std::memory_order_acquire); }

void no_kernel(const char* op, const char* kernel, Device d) {
  const Backend* b = find(d.type);
  if (!b)
    EMBER_FAIL(op, "no kernel for device ", d.str(), ": no backend is registered for ", device_type_name(d.type),
               " (Ember was built without a ", device_type_name(d.type), " backend)");
  EMBER_FAIL(op, "no kernel for device ", d.str(), ": its backend '", b->name, "' has no '", kernel,
             "' kernel (add it to that backend, or run the op on the CPU)");
}

}  // namespace ember::backend
