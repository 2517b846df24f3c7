#pragma once
// CRC-32C (Castagnoli), the checksum of TensorBoard's event-file records. No Debian package
// offers it as a C library, so it is a few lines here: the SSE4.2 crc32 instruction where the CPU
// has it (chosen at run time), a byte table otherwise. Both give the same values.
#include <cstddef>
#include <cstdint>

namespace ember::train::detail {

uint32_t crc32c(const void* data, size_t n);        // the fastest path this CPU has
uint32_t crc32c_table(const void* data, size_t n);  // portable byte-at-a-time table
uint32_t crc32c_sse42(const void* data, size_t n);  // the crc32 instruction (x86-64); the table elsewhere
bool crc32c_sse42_available();

// The record format stores checksums masked (rotated right by 15 bits plus a constant) so that a
// CRC computed over data that itself holds CRCs does not degenerate.
inline uint32_t masked_crc32c(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + 0xa282ead8u; }

}  // namespace ember::train::detail
