#include "train/tensorboard/crc32c.h"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#define EMBER_CRC32C_X86 1
#endif

namespace ember::train::detail {

namespace {

// The reflected Castagnoli polynomial 0x1EDC6F41.
constexpr uint32_t kPoly = 0x82F63B78u;

constexpr std::array<uint32_t, 256> make_table() {
  std::array<uint32_t, 256> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ kPoly : c >> 1;
    t[i] = c;
  }
  return t;
}
constexpr std::array<uint32_t, 256> kTable = make_table();

}  // namespace

uint32_t crc32c_table(const void* data, size_t n) {
  const auto* p = static_cast<const uint8_t*>(data);
  uint32_t c = ~0u;
  for (size_t i = 0; i < n; ++i) c = kTable[(c ^ p[i]) & 0xffu] ^ (c >> 8);
  return ~c;
}

#ifdef EMBER_CRC32C_X86
// Compiled for SSE4.2 whatever the build's -march; called only after the run-time check.
__attribute__((target("sse4.2"))) uint32_t crc32c_sse42(const void* data, size_t n) {
  const auto* p = static_cast<const uint8_t*>(data);
  uint64_t c = ~0u;
  for (; n >= 8; n -= 8, p += 8) {
    uint64_t word;
    std::memcpy(&word, p, 8);  // unaligned load
    c = _mm_crc32_u64(c, word);
  }
  uint32_t c32 = static_cast<uint32_t>(c);
  for (; n > 0; --n, ++p) c32 = _mm_crc32_u8(c32, *p);
  return ~c32;
}

bool crc32c_sse42_available() {
  static const bool has = __builtin_cpu_supports("sse4.2");
  return has;
}
#else
uint32_t crc32c_sse42(const void* data, size_t n) { return crc32c_table(data, n); }
bool crc32c_sse42_available() { return false; }
#endif

uint32_t crc32c(const void* data, size_t n) {
  return crc32c_sse42_available() ? crc32c_sse42(data, n) : crc32c_table(data, n);
}

}  // namespace ember::train::detail
