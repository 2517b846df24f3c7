// CharTokenizer: a code-point vocabulary, UTF-8 encode/decode and its JSON form.
#include "ember/text/char_tokenizer.h"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "ember/error.h"
#include "ember/io/json.h"
#include "ember/text/utf8.h"
#include "text/token_ids.h"
#include "text/unicode.h"

namespace ember::text {

namespace {

constexpr const char* kJsonType = "ember.CharTokenizer";

bool is_scalar_value(char32_t c) { return c <= 0x10FFFF && (c < 0xD800 || c > 0xDFFF); }

// 'a' (U+0061) for a printable character, U+000A for a control character.
std::string describe_char(char32_t c) {
  char code[16];
  std::snprintf(code, sizeof(code), "U+%04X", static_cast<unsigned>(c));
  if (c < 0x20 || c == 0x7F || (c >= 0x80 && c < 0xA0)) return code;
  std::string s = "'";
  detail::append_utf8(s, static_cast<int32_t>(c));
  return s + "' (" + code + ")";
}

// The code points of `text`, which must be valid UTF-8 (op names the caller in the error).
template <class Fn>
void for_each_char(std::string_view text, const char* op, const char* what, Fn&& fn) {
  for (size_t pos = 0, index = 0; pos < text.size(); ++index) {
    size_t len = 0;
    const int32_t cp = detail::decode_utf8(text, pos, len);
    if (cp < 0) [[unlikely]]
      check_utf8(text, op, what);  // throws, naming the byte offset
    fn(static_cast<char32_t>(cp), index, pos);
    pos += len;
  }
}

}  // namespace

CharTokenizer CharTokenizer::from_text(std::string_view text) {
  EMBER_CHECK(!text.empty(), "CharTokenizer", "cannot build a vocabulary from an empty text");
  std::array<bool, 128> ascii{};
  std::vector<char32_t> chars;
  for_each_char(text, "CharTokenizer", "the text", [&](char32_t c, size_t, size_t) {
    if (c < 128) ascii[c] = true;
    else chars.push_back(c);
  });
  std::sort(chars.begin(), chars.end());
  chars.erase(std::unique(chars.begin(), chars.end()), chars.end());
  std::vector<char32_t> vocab;
  for (char32_t c = 0; c < 128; ++c)
    if (ascii[c]) vocab.push_back(c);
  vocab.insert(vocab.end(), chars.begin(), chars.end());
  return from_vocab(vocab);
}

CharTokenizer CharTokenizer::from_vocab(const std::vector<char32_t>& chars) {
  EMBER_CHECK(!chars.empty(), "CharTokenizer", "the vocabulary is empty; it needs at least one character");
  CharTokenizer tok;
  for (size_t i = 0; i < chars.size(); ++i) {
    EMBER_CHECK(is_scalar_value(chars[i]), "CharTokenizer", "vocabulary entry ", i, " (", static_cast<uint32_t>(chars[i]),
                ") is not a Unicode character (code points 0 to 0x10FFFF, surrogates excluded)");
    EMBER_CHECK(i == 0 || chars[i - 1] < chars[i], "CharTokenizer", "the vocabulary must hold distinct characters in "
                "ascending code point order, but entry ", i, " (", describe_char(chars[i]), ") follows ",
                describe_char(chars[i - 1]));
    if (chars[i] < 128) tok.ascii_[chars[i]] = static_cast<int32_t>(i);
  }
  tok.itos_ = chars;
  return tok;
}

CharTokenizer CharTokenizer::from_vocab_utf8(std::string_view chars) {
  std::vector<char32_t> cps;
  for_each_char(chars, "CharTokenizer", "the vocabulary", [&](char32_t c, size_t, size_t) { cps.push_back(c); });
  return from_vocab(cps);
}

std::string CharTokenizer::vocab_utf8() const {
  std::string s;
  for (char32_t c : itos_) detail::append_utf8(s, static_cast<int32_t>(c));
  return s;
}

int64_t CharTokenizer::id_of(char32_t ch) const {
  if (ch < 128) return ascii_[ch];
  auto it = std::lower_bound(itos_.begin(), itos_.end(), ch);
  return it != itos_.end() && *it == ch ? it - itos_.begin() : -1;
}

std::vector<int64_t> CharTokenizer::encode(std::string_view text) const {
  std::vector<int64_t> ids;
  ids.reserve(text.size());
  for_each_char(text, "CharTokenizer::encode", "the text", [&](char32_t c, size_t index, size_t pos) {
    const int64_t id = id_of(c);
    if (id < 0) [[unlikely]]
      EMBER_FAIL("CharTokenizer::encode", "character ", describe_char(c), " at position ", index, " (byte ", pos,
                 ") is not in the vocabulary of ", vocab_size(),
                 " characters; build the tokenizer from a text that contains it, or clean the input");
    ids.push_back(id);
  });
  return ids;
}

Tensor CharTokenizer::encode_tensor(std::string_view text) const { return detail::ids_to_tensor(encode(text)); }

std::string CharTokenizer::decode(const std::vector<int64_t>& ids) const {
  std::string out;
  out.reserve(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    EMBER_CHECK(ids[i] >= 0 && ids[i] < vocab_size(), "CharTokenizer::decode", "id ", ids[i], " at position ", i,
                " is out of range for a vocabulary of ", vocab_size(), " (valid ids: 0 to ", vocab_size() - 1, ")");
    detail::append_utf8(out, static_cast<int32_t>(itos_[static_cast<size_t>(ids[i])]));
  }
  return out;
}

std::string CharTokenizer::decode(const Tensor& ids) const {
  return decode(detail::tensor_to_ids(ids, "CharTokenizer::decode"));
}

std::string CharTokenizer::to_json() const {
  const bool ascii = itos_.back() < 128;
  std::vector<uint32_t> cps(itos_.begin(), itos_.end());
  nlohmann::json j = {{"type", kJsonType}, {"version", ascii ? 1 : 2}, {"vocab", cps}};
  return j.dump();
}

CharTokenizer CharTokenizer::from_json(const std::string& json) {
  const char* op = "CharTokenizer::from_json";
  auto j = io::parse_json<nlohmann::json>(json, op, "the text");
  EMBER_CHECK(j.is_object() && j.contains("type") && j["type"] == kJsonType, op, "expected an object with \"type\": \"",
              kJsonType, "\" (as written by CharTokenizer::to_json)");
  const auto version = j.find("version");
  EMBER_CHECK(version != j.end() && (*version == 1 || *version == 2), op, "unsupported version ",
              version != j.end() ? io::describe_json(*version) : "(missing)", "; this build reads versions 1 and 2");
  const auto it = j.find("vocab");
  EMBER_CHECK(it != j.end() && it->is_array(), op, "\"vocab\" must be an array of code points");
  // Version 1 held bytes: the same as code points for ASCII; its bytes 128-255 were pieces of
  // UTF-8 characters, which no character vocabulary can stand for.
  const int64_t limit = *version == 1 ? 127 : 0x10FFFF;
  std::vector<char32_t> chars;
  for (const auto& v : *it) {
    EMBER_CHECK(v.is_number_integer() && v.get<int64_t>() >= 0 && v.get<int64_t>() <= limit, op, "\"vocab\" entry ",
                chars.size(), " is ", io::describe_json(v), "; expected ",
                *version == 1 ? "an ASCII code 0-127 (a version 1 vocabulary of bytes beyond ASCII split characters "
                                "into bytes: rebuild the tokenizer from the text)"
                              : "a code point 0-0x10FFFF");
    chars.push_back(static_cast<char32_t>(v.get<int64_t>()));
  }
  return from_vocab(chars);
}

}  // namespace ember::text
