#pragma once
// GPT2Tokenizer: GPT-2's byte-level BPE, giving the same ids as OpenAI's encoder and
// tiktoken's "gpt2" encoding.
//
//   auto tok = text::GPT2Tokenizer::from_directory(dir);   // dir/{encoder.json, vocab.bpe}
//   std::vector<int64_t> ids = tok.encode("Hello world");   // {15496, 995}
//   tok.decode(ids) == "Hello world";
//
// encode: the text (valid UTF-8) is split by GPT-2's pre-tokenization regex (contractions, runs
// of letters, of digits, of other symbols, each with an optional leading space, and whitespace),
// matched by PCRE2 with Unicode properties; each piece's bytes are merged by the ranks of
// vocab.bpe, lowest rank first. decode concatenates the tokens' bytes, so decode(encode(s)) == s
// for every valid UTF-8 string. Instances are cheap to copy (they share the tables) and safe to
// use from several threads.
//
// Unicode version: letters and digits are those of PCRE2's tables (Unicode 14 in Debian 12's
// PCRE2 10.42). Characters assigned later (e.g. CJK Extension H, Unicode 15) count as symbols
// here but as letters for a regex engine with newer tables, so such rare text can pre-tokenize
// and encode differently; the ids still decode to the same text.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ember/tensor.h"

namespace ember::text {

struct GPT2EncodeOptions {
  // When true, each "<|endoftext|>" in the text becomes the one special token (50256); when
  // false it is ordinary text ("<", "|", "endoftext", "|", ">").
  bool allow_special = false;
};

class GPT2Tokenizer {
 public:
  // Reads the vocabulary (encoder.json: token -> id) and the merges (vocab.bpe). Errors name the
  // file and what is wrong with it.
  static GPT2Tokenizer from_files(const std::string& encoder_json_path, const std::string& vocab_bpe_path);
  // From a folder holding encoder.json and vocab.bpe (e.g. <data root>/gpt2, see
  // data::resolve_data_root).
  static GPT2Tokenizer from_directory(const std::string& dir);

  std::vector<int64_t> encode(std::string_view text, const GPT2EncodeOptions& options = {}) const;
  Tensor encode_tensor(std::string_view text, const GPT2EncodeOptions& options = {}) const;  // (N,) int64
  // Ids must be in [0, vocab_size()); the result is bytes, which may end inside a UTF-8
  // character when `ids` is a prefix of an encoding.
  std::string decode(const std::vector<int64_t>& ids) const;
  std::string decode(const Tensor& ids) const;  // 1-D int64/int32

  int64_t vocab_size() const;     // 50257 for GPT-2
  int64_t eot_token() const;      // the id of "<|endoftext|>" (50256)
  int64_t num_merges() const;     // 50000 for GPT-2
  const std::string& token_bytes(int64_t id) const;  // the bytes a token stands for

  struct Impl;  // the tables, compiled regex and piece cache (gpt2_tokenizer.cpp)

 private:
  explicit GPT2Tokenizer(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

}  // namespace ember::text
