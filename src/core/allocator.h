#pragma once
// Allocators keyed by device type (private to core and backend): Storage::allocate asks the one
// registered for a device's type, so a tensor cannot be created on a device that has no backend.
// The CPU backend registers host_allocator() (src/backend/cpu/backend.cpp).
#include <cstddef>

#include "ember/device.h"

namespace ember::detail {

struct Allocator {
  // Memory for nbytes, or nullptr when out of memory; *capacity is what release() is given back.
  void* (*allocate)(size_t nbytes, size_t* capacity);
  void (*release)(void* p, size_t capacity);
};

// Host memory, 64-byte aligned; large blocks are cached for reuse (memory_stats, empty_cache).
const Allocator& host_allocator();

// `a` must outlive every tensor of that type (in practice: a static). backend names it in errors.
void register_allocator(Device::Type type, const Allocator* a, const char* backend);
// nullptr when no backend registered one for `type`.
const Allocator* find_allocator(Device::Type type);

}  // namespace ember::detail
