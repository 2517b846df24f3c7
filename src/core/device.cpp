// Device names, the default device of factories, and the allocator registry.
#include <array>
#include <atomic>
#include <ostream>

#include "core/allocator.h"
#include "ember/error.h"

namespace ember {

const char* device_type_name(Device::Type t) {
  switch (t) {
    case Device::Type::CPU: return "cpu";
    case Device::Type::CUDA: return "cuda";
    case Device::Type::PrivateUse: return "privateuse";
  }
  return "unknown";
}

std::string Device::str() const {
  return is_cpu() ? std::string("cpu") : detail::str_cat(device_type_name(type), ":", index);
}

std::ostream& operator<<(std::ostream& os, const Device& d) { return os << d.str(); }

namespace {
thread_local Device t_default_device;
}  // namespace

Device default_device() { return t_default_device; }
DefaultDeviceGuard::DefaultDeviceGuard(Device d) : prev_(t_default_device) { t_default_device = d; }
DefaultDeviceGuard::~DefaultDeviceGuard() { t_default_device = prev_; }

namespace detail {

namespace {
// Zero-initialized before any static constructor runs, so lookups during static initialization
// see "not registered" rather than garbage.
std::array<std::atomic<const Allocator*>, Device::kNumTypes> g_allocators{};
}  // namespace

void register_allocator(Device::Type type, const Allocator* a, const char*) {
  g_allocators[static_cast<size_t>(type)].store(a, std::memory_order_release);
}

const Allocator* find_allocator(Device::Type type) {
  return g_allocators[static_cast<size_t>(type)].load(std::memory_order_acquire);
}

}  // namespace detail
}  // namespace ember
