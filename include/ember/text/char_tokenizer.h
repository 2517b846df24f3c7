#pragma once
// CharTokenizer: one token per Unicode character (code point), over the sorted set of characters
// of a training text, as nanoGPT's shakespeare_char builds it with sorted(set(text)) on a Python
// str (TinyShakespeare has 65 characters).
//
//   auto tok = text::CharTokenizer::from_text(corpus);   // corpus: UTF-8
//   std::vector<int64_t> ids = tok.encode("To be");   // ids in [0, vocab_size())
//   std::string back = tok.decode(ids);                // "To be"
//
// Text is UTF-8 in and out: "é" or "日" is one token, decode always gives valid UTF-8, and
// decode(encode(s)) == s for any valid UTF-8 string whose characters are in the vocabulary.
// Invalid UTF-8 is an error naming its byte offset.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ember/tensor.h"

namespace ember::text {

class CharTokenizer {
 public:
  // The sorted distinct characters of `text` (UTF-8, not empty).
  static CharTokenizer from_text(std::string_view text);
  // `chars`: the vocabulary in id order; distinct Unicode scalar values, ascending (throws otherwise).
  static CharTokenizer from_vocab(const std::vector<char32_t>& chars);
  // The same from the vocabulary's characters concatenated as UTF-8 (vocab_utf8()).
  static CharTokenizer from_vocab_utf8(std::string_view chars);
  // Inverse of to_json().
  static CharTokenizer from_json(const std::string& json);

  int64_t vocab_size() const { return static_cast<int64_t>(itos_.size()); }
  const std::vector<char32_t>& vocab() const { return itos_; }  // id -> code point
  std::string vocab_utf8() const;                               // the characters in id order, UTF-8
  bool contains(char32_t ch) const { return id_of(ch) >= 0; }

  // One id per character. Invalid UTF-8 or a character outside the vocabulary throws
  // ember::Error naming it and its character and byte offsets.
  std::vector<int64_t> encode(std::string_view text) const;
  Tensor encode_tensor(std::string_view text) const;  // (N,) int64
  // Ids must be in [0, vocab_size()); the result is valid UTF-8.
  std::string decode(const std::vector<int64_t>& ids) const;
  std::string decode(const Tensor& ids) const;  // 1-D int64/int32

  // {"type": "ember.CharTokenizer", "version": V, "vocab": [code points in id order]}: small, and
  // valid JSON whatever the characters. V is 1 (the byte-level format of earlier versions, which
  // means the same for ASCII) when every character is ASCII, else 2, so older readers still load
  // ASCII vocabularies.
  std::string to_json() const;

  bool operator==(const CharTokenizer& other) const { return itos_ == other.itos_; }

 private:
  CharTokenizer() { ascii_.fill(-1); }
  int64_t id_of(char32_t ch) const;
  std::vector<char32_t> itos_;     // sorted ascending
  std::array<int32_t, 128> ascii_;  // ASCII -> id, -1 when absent (the common case, without a search)
};

}  // namespace ember::text
