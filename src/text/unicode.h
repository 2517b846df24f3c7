#pragma once
// UTF-8 decoding and the Unicode properties the tokenizers need, answered by utf8proc (kept out of
// Ember's public headers: only unicode.cpp includes it).
//
// The definitions follow Hugging Face `tokenizers` (Rust): whitespace is the White_Space property
// (Rust's char::is_whitespace), punctuation the P* categories, "other" the Cc/Cf/Co/Cs categories.
// utf8proc's tables are Unicode 15; `tokenizers` takes categories from an older crate, so a
// character assigned after Unicode 9 can be classed differently (see tokenizer.h).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ember::text::detail {

// Decodes the UTF-8 character at text[pos] (pos < size): returns its code point and sets `len`
// to its byte length, or returns -1 when the bytes there are not valid UTF-8 (overlong forms,
// surrogates and values above U+10FFFF included).
inline int32_t decode_utf8(std::string_view text, size_t pos, size_t& len) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  const unsigned b0 = s[pos];
  if (b0 < 0x80) {
    len = 1;
    return static_cast<int32_t>(b0);
  }
  auto cont = [&](size_t k) { return pos + k < n && (s[pos + k] & 0xC0) == 0x80; };
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    if (!cont(1)) return -1;
    len = 2;
    return static_cast<int32_t>(((b0 & 0x1F) << 6) | (s[pos + 1] & 0x3F));
  }
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    if (!cont(1) || !cont(2)) return -1;
    const int32_t cp = static_cast<int32_t>(((b0 & 0x0F) << 12) | ((s[pos + 1] & 0x3F) << 6) | (s[pos + 2] & 0x3F));
    if (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF)) return -1;
    len = 3;
    return cp;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return -1;
    const int32_t cp = static_cast<int32_t>(((b0 & 0x07) << 18) | ((s[pos + 1] & 0x3F) << 12) |
                                            ((s[pos + 2] & 0x3F) << 6) | (s[pos + 3] & 0x3F));
    if (cp < 0x10000 || cp > 0x10FFFF) return -1;
    len = 4;
    return cp;
  }
  return -1;
}

// Appends the UTF-8 encoding of a valid code point.
inline void append_utf8(std::string& out, int32_t cp) {
  const auto c = static_cast<uint32_t>(cp);
  if (c < 0x80) {
    out.push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (c >> 6)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (c >> 12)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (c >> 18)));
    out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

// The byte offset of the first invalid UTF-8 sequence in `text`, or npos when it is all valid.
size_t find_invalid_utf8(std::string_view text);

// Replaces each maximal invalid subpart of `bytes` by U+FFFD (what Rust's from_utf8_lossy and
// Python's errors="replace" do), for decoders whose tokens may split characters.
std::string utf8_lossy(std::string_view bytes);

// Number of characters (code points) in valid UTF-8.
inline size_t utf8_length(std::string_view text) {
  size_t n = 0;
  for (char c : text) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

// --- properties (code points, valid) --------------------------------------------------------

bool is_whitespace(int32_t cp);       // the White_Space property
bool is_punctuation(int32_t cp);      // categories Pc Pd Ps Pe Pi Pf Po
bool is_bert_punctuation(int32_t cp); // ASCII punctuation (incl. $+<=>^`|~) or a P* category
bool is_other(int32_t cp);            // categories Cc Cf Co Cs (not Cn: unassigned stay)
bool is_mark_nonspacing(int32_t cp);  // category Mn
bool is_mark(int32_t cp);             // categories Mn Mc Me
// Regex \w as `tokenizers` matches it (Alphabetic, M*, Nd, Pc, Join_Control), approximated by
// categories L* M* Nd Nl Pc and U+200C/U+200D: the few Other_Alphabetic symbols (circled
// letters such as U+24B6) are not word characters here.
bool is_word_char(int32_t cp);
bool is_numeric(int32_t cp);          // categories Nd Nl No (Rust's char::is_numeric)
// BERT's "Chinese character" blocks, as `tokenizers` lists them (its list has U+2B920 where
// Google's BERT has U+2B820, and it keeps that).
bool is_chinese_char(int32_t cp);
int canonical_combining_class(int32_t cp);

// Writes the canonical (compat: compatibility) decomposition of `cp` into out[0..], at most
// `cap` code points, and returns how many (1 when it has none). Not reordered: see nfd.
int decompose(int32_t cp, bool compat, int32_t* out, int cap);
// Full lowercase mapping (Rust's char::to_lowercase: the unconditional one of Unicode's
// SpecialCasing plus the simple mapping): writes 1 or 2 code points, returns the count.
int to_lowercase(int32_t cp, int32_t* out);

}  // namespace ember::text::detail
