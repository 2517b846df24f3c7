#pragma once
// Where a tensor's storage lives: a device type and an index ("cpu", "cuda:0"). Allocation and
// kernels are chosen by it (src/backend/backend.h); a device whose type has no registered backend
// cannot hold tensors. This build registers the CPU only.
#include <cstdint>
#include <iosfwd>
#include <string>

namespace ember {

struct Device {
  // PrivateUse: a backend registered from outside Ember (or by a test), as PyTorch's PrivateUse1.
  enum class Type : uint8_t { CPU, CUDA, PrivateUse };
  static constexpr int kNumTypes = 3;

  Type type = Type::CPU;
  int16_t index = 0;  // which device of its type; always 0 for the CPU

  constexpr Device() = default;
  constexpr Device(Type t, int16_t i = 0) : type(t), index(i) {}  // NOLINT: Device(Device::Type::CUDA)
  bool is_cpu() const { return type == Type::CPU; }
  std::string str() const;  // "cpu", "cuda:0", "privateuse:1"
  friend constexpr bool operator==(const Device&, const Device&) = default;
};

inline constexpr Device kCPU{};

const char* device_type_name(Device::Type t);  // "cpu", "cuda", "privateuse"
std::ostream& operator<<(std::ostream& os, const Device& d);

// The device factories (zeros, arange, randn, tensor...) use when their options name none: the
// CPU, unless a DefaultDeviceGuard is alive in this thread (torch.set_default_device).
Device default_device();

class DefaultDeviceGuard {
 public:
  explicit DefaultDeviceGuard(Device d);
  ~DefaultDeviceGuard();
  DefaultDeviceGuard(const DefaultDeviceGuard&) = delete;
  DefaultDeviceGuard& operator=(const DefaultDeviceGuard&) = delete;

 private:
  Device prev_;
};

}  // namespace ember
