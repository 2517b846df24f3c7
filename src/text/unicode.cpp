// Unicode properties from utf8proc, and UTF-8 validation / lossy repair.
#include "text/unicode.h"

#include <utf8proc.h>

namespace ember::text::detail {

size_t find_invalid_utf8(std::string_view text) {
  size_t pos = 0;
  const size_t n = text.size();
  while (pos < n) {
    // Eight ASCII bytes at a time: most text is mostly ASCII.
    while (pos + 8 <= n) {
      uint64_t w;
      __builtin_memcpy(&w, text.data() + pos, 8);
      if (w & 0x8080808080808080ULL) break;
      pos += 8;
    }
    if (pos >= n) break;
    size_t len = 0;
    if (decode_utf8(text, pos, len) < 0) return pos;
    pos += len;
  }
  return std::string_view::npos;
}

std::string utf8_lossy(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  const auto* s = reinterpret_cast<const unsigned char*>(bytes.data());
  const size_t n = bytes.size();
  for (size_t pos = 0; pos < n;) {
    size_t len = 0;
    if (decode_utf8(bytes, pos, len) >= 0) {
      out.append(bytes.substr(pos, len));
      pos += len;
      continue;
    }
    // The maximal subpart: a lead byte and the continuation bytes that could still have
    // completed it (the second byte's range depends on the lead), replaced by one U+FFFD.
    const unsigned b0 = s[pos];
    size_t need = 0;
    unsigned lo = 0x80, hi = 0xBF;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
      need = 1;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
      need = 2;
      if (b0 == 0xE0) lo = 0xA0;
      if (b0 == 0xED) hi = 0x9F;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
      need = 3;
      if (b0 == 0xF0) lo = 0x90;
      if (b0 == 0xF4) hi = 0x8F;
    }
    size_t k = 1;
    if (need > 0 && pos + 1 < n && s[pos + 1] >= lo && s[pos + 1] <= hi) {
      k = 2;
      while (k <= need && pos + k < n && (s[pos + k] & 0xC0) == 0x80) ++k;
    }
    out += "\xEF\xBF\xBD";
    pos += k;
  }
  return out;
}

namespace {

utf8proc_category_t category(int32_t cp) { return utf8proc_category(cp); }

}  // namespace

bool is_whitespace(int32_t cp) {
  if (cp < 0x80) return cp == ' ' || (cp >= 0x09 && cp <= 0x0D);
  if (cp == 0x85) return true;
  // White_Space outside ASCII is exactly the Zs, Zl and Zp categories (plus U+0085 above).
  const auto c = category(cp);
  return c == UTF8PROC_CATEGORY_ZS || c == UTF8PROC_CATEGORY_ZL || c == UTF8PROC_CATEGORY_ZP;
}

bool is_punctuation(int32_t cp) {
  const auto c = category(cp);
  return c >= UTF8PROC_CATEGORY_PC && c <= UTF8PROC_CATEGORY_PO;
}

bool is_bert_punctuation(int32_t cp) {
  if (cp < 0x80)
    return (cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126);
  return is_punctuation(cp);
}

bool is_other(int32_t cp) {
  const auto c = category(cp);
  return c == UTF8PROC_CATEGORY_CC || c == UTF8PROC_CATEGORY_CF || c == UTF8PROC_CATEGORY_CO ||
         c == UTF8PROC_CATEGORY_CS;
}

bool is_mark_nonspacing(int32_t cp) { return category(cp) == UTF8PROC_CATEGORY_MN; }

bool is_mark(int32_t cp) {
  const auto c = category(cp);
  return c >= UTF8PROC_CATEGORY_MN && c <= UTF8PROC_CATEGORY_ME;
}

bool is_word_char(int32_t cp) {
  if (cp < 0x80) return (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || cp == '_';
  if (cp == 0x200C || cp == 0x200D) return true;  // Join_Control
  const auto c = category(cp);
  return (c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_NL) || c == UTF8PROC_CATEGORY_PC;
}

bool is_numeric(int32_t cp) {
  if (cp < 0x80) return cp >= '0' && cp <= '9';
  const auto c = category(cp);
  return c >= UTF8PROC_CATEGORY_ND && c <= UTF8PROC_CATEGORY_NO;
}

bool is_chinese_char(int32_t cp) {
  return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF) ||
         (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B920 && cp <= 0x2CEAF) ||
         (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

int canonical_combining_class(int32_t cp) {
  if (cp < 0x300) return 0;
  return utf8proc_get_property(cp)->combining_class;
}

int decompose(int32_t cp, bool compat, int32_t* out, int cap) {
  if (cp < 0xC0) {  // nothing below U+00C0 decomposes canonically
    if (!compat || cp < 0xA0) {
      out[0] = cp;
      return 1;
    }
  }
  const auto options = static_cast<utf8proc_option_t>(UTF8PROC_DECOMPOSE | (compat ? UTF8PROC_COMPAT : 0));
  const utf8proc_ssize_t n = utf8proc_decompose_char(cp, out, cap, options, nullptr);
  if (n <= 0 || n > cap) {  // cannot happen with cap >= 18 (the longest decomposition)
    out[0] = cp;
    return 1;
  }
  return static_cast<int>(n);
}

int to_lowercase(int32_t cp, int32_t* out) {
  if (cp < 0x80) {
    out[0] = (cp >= 'A' && cp <= 'Z') ? cp + 32 : cp;
    return 1;
  }
  // The one unconditional multi-character lowercase mapping in SpecialCasing.txt (U+0130 LATIN
  // CAPITAL LETTER I WITH DOT ABOVE -> i + COMBINING DOT ABOVE); utf8proc gives simple mappings.
  if (cp == 0x130) {
    out[0] = 'i';
    out[1] = 0x307;
    return 2;
  }
  out[0] = utf8proc_tolower(cp);
  return 1;
}

}  // namespace ember::text::detail
