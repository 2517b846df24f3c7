#pragma once
// Tokenizer: Hugging Face `tokenizers`' pipeline, read from a tokenizer.json, giving the same ids,
// type ids, masks and offsets (BERT's WordPiece, GPT-2's byte-level BPE and their relatives).
//
//   auto tok = text::Tokenizer::from_pretrained("models/all-MiniLM-L6-v2");  // dir/tokenizer.json
//   text::Encoding e = tok.encode("Hello, world!");         // [CLS] hello , world ! [SEP] + padding
//   auto batch = tok.encode_batch_tensors({"a review", "another one"});
//   batch.input_ids;                                        // (B, T) int64
//   std::string s = tok.decode(e.ids);                      // "hello, world!"
//
// The pipeline, in order (tokenizer.json's sections):
//   added_tokens    special tokens such as "[SEP]" are found in the raw text first and never split
//                   (tokens marked "normalized" are matched in the normalized text instead);
//   normalizer      BertNormalizer (clean text, CJK spacing, accent stripping by NFD, lowercase),
//                   Lowercase, NFD, NFKD, StripAccents, Strip, Prepend, Sequence;
//   pre_tokenizer   BertPreTokenizer, ByteLevel, Whitespace, WhitespaceSplit, Punctuation, Digits,
//                   Sequence;
//   model           WordPiece, BPE (byte-level like GPT-2's, or over characters), WordLevel;
//   post_processor  TemplateProcessing, BertProcessing, RobertaProcessing, ByteLevel, Sequence;
//   truncation, padding, then the decoder (WordPiece, ByteLevel, BPEDecoder, Sequence) for decode.
// Anything else in a file (another model type, a regex Split pre-tokenizer, NFC, ...) is an
// ember::Error naming the file, the JSON key and what is supported.
//
// Offsets are byte offsets into the UTF-8 input (Encoding::char_offsets converts them to the
// character offsets of Hugging Face's Python API). Text must be valid UTF-8: an invalid byte is an
// ember::Error naming its offset.
//
// Differences from `tokenizers` 0.23 (by design or by Unicode version):
//  - Unicode properties come from utf8proc (Unicode 15); `tokenizers` classes punctuation, marks
//    and control characters with older tables (about Unicode 9), so the rare characters assigned
//    since (e.g. U+2E5D, a dash of Unicode 14) can split or be stripped differently.
//  - truncation.max_length smaller than the number of special tokens the post-processor adds is an
//    error here (`tokenizers` silently skips truncation: an unsigned underflow); decode rejects ids
//    outside the vocabulary (`tokenizers` drops them); a truncated encoding's overflowing parts
//    (stride) are not kept.
//
// Instances are cheap to copy (the pipeline is shared and immutable; truncation and padding
// settings belong to each copy) and safe to use from several threads.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ember/tensor.h"
#include "ember/text/encoding.h"

namespace ember::text {

enum class TruncationStrategy { LongestFirst, OnlyFirst, OnlySecond };
enum class Direction { Right, Left };

struct TruncationParams {
  int64_t max_length = 512;  // special tokens included
  TruncationStrategy strategy = TruncationStrategy::LongestFirst;
  Direction direction = Direction::Right;  // Right: keep the beginning
  int64_t stride = 0;                      // kept for round trips; overflowing parts are dropped
};

struct PaddingParams {
  // Bound on length and pad_to_multiple_of (2^20 tokens, as config.json's positions): a hostile
  // tokenizer.json must not pad every encoding to 10^12 tokens.
  static constexpr int64_t kMaxLength = int64_t{1} << 20;
  std::optional<int64_t> length;              // pad to this length; nullopt: the batch's longest
  std::optional<int64_t> pad_to_multiple_of;  // then round the length up to a multiple
  Direction direction = Direction::Right;
  int64_t pad_id = 0;
  int64_t pad_type_id = 0;
  std::string pad_token = "[PAD]";
};

// A padded batch as (B, T) int64 tensors.
struct BatchEncoding {
  Tensor input_ids;       // (B, T)
  Tensor attention_mask;  // (B, T)
  Tensor token_type_ids;  // (B, T)
  std::vector<Encoding> encodings;
};

class Tokenizer {
 public:
  // A tokenizer.json as Hugging Face `tokenizers` writes it.
  static Tokenizer from_file(const std::string& path);
  static Tokenizer from_json(const std::string& json, const std::string& name = "<string>");
  // A model folder: dir/tokenizer.json; without it, BERT's dir/vocab.txt (lower-casing from
  // dir/tokenizer_config.json's do_lower_case, default true) or GPT-2's dir/vocab.json +
  // dir/merges.txt (or OpenAI's encoder.json + vocab.bpe).
  static Tokenizer from_pretrained(const std::string& dir);
  // BERT's uncased/cased WordPiece pipeline from a vocab.txt (one token per line, id = line).
  static Tokenizer from_wordpiece_vocab(const std::string& vocab_txt, bool lowercase = true);
  // GPT-2's byte-level BPE from its vocabulary (token -> id JSON) and merges files, set up as
  // Hugging Face's gpt2 tokenizer.json (<|endoftext|> a special added token).
  static Tokenizer from_gpt2_files(const std::string& vocab_json, const std::string& merges_txt);

  // add_special_tokens: run the post-processor's template ([CLS] ... [SEP]); its type ids apply
  // either way.
  Encoding encode(std::string_view text, bool add_special_tokens = true) const;
  Encoding encode(std::string_view text, std::string_view pair, bool add_special_tokens = true) const;
  // (Without this, encode("a", "b") would take "b" for add_special_tokens.)
  Encoding encode(std::string_view text, const char* pair, bool add_special_tokens = true) const {
    return encode(text, std::string_view(pair), add_special_tokens);
  }
  // Encodes on get_num_threads() threads (same result as one at a time), then pads the batch.
  std::vector<Encoding> encode_batch(const std::vector<std::string>& texts, bool add_special_tokens = true) const;
  std::vector<Encoding> encode_batch(const std::vector<std::pair<std::string, std::string>>& pairs,
                                     bool add_special_tokens = true) const;
  // encode_batch as (B, T) tensors: needs equal lengths, i.e. padding enabled (or equal inputs).
  BatchEncoding encode_batch_tensors(const std::vector<std::string>& texts, bool add_special_tokens = true) const;
  BatchEncoding encode_batch_tensors(const std::vector<std::pair<std::string, std::string>>& pairs,
                                     bool add_special_tokens = true) const;

  // The decoder's text for `ids` (each in [0, vocab_size())); skip_special_tokens drops the added
  // tokens marked special ([CLS], [PAD], <|endoftext|>, ...).
  std::string decode(const std::vector<int64_t>& ids, bool skip_special_tokens = true) const;
  std::string decode(const Tensor& ids, bool skip_special_tokens = true) const;  // 1-D int64/int32
  std::vector<std::string> decode_batch(const std::vector<std::vector<int64_t>>& ids,
                                        bool skip_special_tokens = true) const;

  std::optional<int64_t> token_to_id(std::string_view token) const;  // added tokens first
  std::optional<std::string> id_to_token(int64_t id) const;
  int64_t vocab_size(bool with_added_tokens = true) const;

  // Truncation and padding: from the file's sections, changed per instance.
  void enable_truncation(const TruncationParams& params);
  void no_truncation() { truncation_.reset(); }
  const std::optional<TruncationParams>& truncation() const { return truncation_; }
  void enable_padding(const PaddingParams& params);
  void no_padding() { padding_.reset(); }
  const std::optional<PaddingParams>& padding() const { return padding_; }

  struct Impl;  // the pipeline (tokenizer.cpp)

 private:
  Tokenizer(std::shared_ptr<const Impl> impl, std::optional<TruncationParams> truncation,
            std::optional<PaddingParams> padding);
  Encoding encode_pair(std::string_view text, const std::string_view* pair, bool add_special_tokens) const;
  Encoding post_process(Encoding a, Encoding* b, bool add_special_tokens, std::string_view text,
                        std::string_view pair) const;
  std::shared_ptr<const Impl> impl_;
  std::optional<TruncationParams> truncation_;
  std::optional<PaddingParams> padding_;
};

}  // namespace ember::text
