#pragma once
// GPT-2's byte <-> unicode table: vocabulary files spell each byte as one printable code point
// (printable Latin-1 bytes as themselves, the other 68 bytes as U+0100 onwards in byte order),
// so that tokens are readable strings without whitespace or control characters.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace ember::text::detail {

// byte -> code point.
const std::array<char32_t, 256>& gpt2_byte_to_unicode();
// Converts a vocabulary spelling (UTF-8 of table code points) to the bytes it stands for.
// Returns false when `spelling` is not valid UTF-8 or uses a code point outside the table.
bool gpt2_spelling_to_bytes(std::string_view spelling, std::string& bytes);

}  // namespace ember::text::detail
