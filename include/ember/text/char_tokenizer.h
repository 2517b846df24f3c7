#pragma once
// CharTokenizer: one token per byte, over the sorted set of bytes of a training text (the
// character-level vocabulary of char-rnn and nanoGPT's shakespeare_char: TinyShakespeare has 65).
//
//   auto tok = text::CharTokenizer::from_text(corpus);
//   std::vector<int64_t> ids = tok.encode("To be");   // ids in [0, vocab_size())
//   std::string back = tok.decode(ids);                // "To be"
//
// Tokens are bytes, not Unicode characters: a UTF-8 character outside ASCII is several tokens,
// and decode(encode(s)) == s for any string whose bytes are all in the vocabulary.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ember/tensor.h"

namespace ember::text {

class CharTokenizer {
 public:
  // The sorted distinct bytes of `text`, which must not be empty.
  static CharTokenizer from_text(std::string_view text);
  // `bytes`: the vocabulary in id order; distinct and sorted ascending (throws otherwise).
  static CharTokenizer from_vocab(const std::vector<uint8_t>& bytes);
  // Inverse of to_json().
  static CharTokenizer from_json(const std::string& json);

  int64_t vocab_size() const { return static_cast<int64_t>(itos_.size()); }
  const std::vector<uint8_t>& vocab() const { return itos_; }  // id -> byte
  bool contains(uint8_t byte) const { return stoi_[byte] >= 0; }

  // One id per byte. A byte outside the vocabulary throws ember::Error naming it and its
  // byte offset.
  std::vector<int64_t> encode(std::string_view text) const;
  Tensor encode_tensor(std::string_view text) const;  // (N,) int64
  // Ids must be in [0, vocab_size()).
  std::string decode(const std::vector<int64_t>& ids) const;
  std::string decode(const Tensor& ids) const;  // 1-D int64/int32

  // {"type": "ember.CharTokenizer", "version": 1, "vocab": [byte values in id order]}: small,
  // and valid JSON whatever the bytes (a checkpoint can carry it as metadata).
  std::string to_json() const;

  bool operator==(const CharTokenizer& other) const { return itos_ == other.itos_; }

 private:
  CharTokenizer() { stoi_.fill(-1); }
  std::vector<uint8_t> itos_;
  std::array<int16_t, 256> stoi_;  // byte -> id, -1 when absent
};

}  // namespace ember::text
