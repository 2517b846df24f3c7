// GPT-2's byte <-> unicode table and the decoding of vocabulary spellings.
#include "text/gpt2_bytes.h"

namespace ember::text::detail {

namespace {

constexpr char32_t kMaxMapped = 0x100 + 68;  // the 68 remapped bytes end below this

struct Tables {
  std::array<char32_t, 256> to_unicode{};
  std::array<int16_t, kMaxMapped> to_byte{};  // code point -> byte, -1 when unused
  Tables() {
    to_byte.fill(-1);
    char32_t next = 0x100;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      to_unicode[b] = printable ? static_cast<char32_t>(b) : next++;
      to_byte[to_unicode[b]] = static_cast<int16_t>(b);
    }
  }
};

const Tables& tables() {
  static const Tables t;
  return t;
}

}  // namespace

const std::array<char32_t, 256>& gpt2_byte_to_unicode() { return tables().to_unicode; }

bool gpt2_spelling_to_bytes(std::string_view s, std::string& bytes) {
  const Tables& t = tables();
  bytes.clear();
  // Only code points below U+0200 occur: one byte (ASCII) or two (lead 0xC2..0xC7).
  for (size_t i = 0; i < s.size();) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    char32_t cp;
    if (b0 < 0x80) {
      cp = b0;
      i += 1;
    } else if (b0 >= 0xC2 && b0 <= 0xDF && i + 1 < s.size() && (static_cast<unsigned char>(s[i + 1]) & 0xC0) == 0x80) {
      cp = (static_cast<char32_t>(b0 & 0x1F) << 6) | (static_cast<unsigned char>(s[i + 1]) & 0x3F);
      i += 2;
    } else {
      return false;
    }
    if (cp >= kMaxMapped || t.to_byte[cp] < 0) return false;
    bytes.push_back(static_cast<char>(t.to_byte[cp]));
  }
  return true;
}

}  // namespace ember::text::detail
