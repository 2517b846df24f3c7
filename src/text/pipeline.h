#pragma once
// The stages of a Tokenizer (tokenizer.h), as Hugging Face `tokenizers` arranges them:
//   added tokens -> normalizer -> pre-tokenizer -> model -> post-processor (+ truncation, padding)
// and a decoder for the way back. Each stage is an interface here; the implementations live in
// normalizers.cpp, pre_tokenizers.cpp, wordpiece_model.cpp, bpe_model.cpp, post_processors.cpp
// and decoders.cpp, and tokenizer_json.cpp builds them from a tokenizer.json.
//
// Offsets: every normalized character remembers the byte range of the input character it came
// from, so a token's offsets are byte offsets into the caller's text whatever the normalizer did.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ember/text/encoding.h"

namespace ember::text::detail {

// A character under normalization and the input bytes [start, end) it came from.
struct NormChar {
  int32_t cp;
  uint32_t start, end;
};
using NormChars = std::vector<NormChar>;

// Normalized text as UTF-8, each byte aligned to the input bytes of its source character.
struct NormalizedString {
  std::string text;
  std::vector<uint32_t> start, end;  // per byte of text

  void clear() {
    text.clear();
    start.clear();
    end.clear();
  }
  void append(const NormChars& chars);  // encodes to UTF-8
};

// A pre-tokenized piece: bytes [begin, end) of the normalized text, with a space before it that
// the ByteLevel pre-tokenizer's add_prefix_space added (aligned to the piece's first character).
struct Piece {
  uint32_t begin, end;
  bool prefix_space = false;
};

class Normalizer {
 public:
  virtual ~Normalizer() = default;
  virtual void normalize(NormChars& chars) const = 0;
};

class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  // Splits each of `pieces` (non-empty, in order) further; empty pieces are dropped.
  virtual void pre_tokenize(const NormalizedString& ns, std::vector<Piece>& pieces) const = 0;
  // The ByteLevel pre-tokenizer (alone or in a Sequence): the model then works on bytes.
  virtual bool byte_level() const { return false; }
};

// A model's token: its id and bytes [begin, end) of the piece's text.
struct ModelToken {
  int32_t id;
  uint32_t begin, end;
};

class Model {
 public:
  virtual ~Model() = default;
  // Appends the tokens of one piece (the piece's bytes, a prefix space included).
  virtual void tokenize(std::string_view piece, std::vector<ModelToken>& out) const = 0;
  virtual int64_t vocab_size() const = 0;
  // The token's string as the vocabulary spells it; nullptr when `id` is not in it.
  virtual const std::string* id_to_token(int64_t id) const = 0;
  virtual int64_t token_to_id(std::string_view token) const = 0;  // -1 when absent
};

// Adds special tokens (and type ids) around the encodings of a single input or a pair.
class PostProcessor {
 public:
  virtual ~PostProcessor() = default;
  virtual int64_t added_tokens(bool pair) const = 0;
  // `encodings` holds one or two encodings on entry; on return, the pieces of the result in
  // order (merged by the caller). texts[s] is the input text of sequence s (offsets refer to it).
  virtual void process(std::vector<Encoding>& encodings, bool add_special_tokens, const std::string_view* texts) const = 0;
};

// Turns tokens back into text (a chain: each decoder maps the list of token strings).
class Decoder {
 public:
  virtual ~Decoder() = default;
  virtual void decode_chain(std::vector<std::string>& tokens) const = 0;
};

}  // namespace ember::text::detail
