#pragma once
// Tokenizer::Impl: the stages of one pipeline (shared, immutable once built), and the helpers
// that build one from a tokenizer.json or from vocabulary files.
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "ember/text/tokenizer.h"
#include "text/added_vocabulary.h"
#include "text/pipeline.h"

namespace ember::text {

struct Tokenizer::Impl {
  std::string source;  // the file (or folder) it came from, for errors
  std::unique_ptr<detail::Normalizer> normalizer;        // may be null
  std::unique_ptr<detail::PreTokenizer> pre_tokenizer;   // may be null
  std::unique_ptr<detail::Model> model;
  std::unique_ptr<detail::PostProcessor> post_processor; // may be null
  std::unique_ptr<detail::Decoder> decoder;              // may be null
  detail::AddedVocabulary added;

  // Tokenizes one text (no special tokens, no truncation) and appends its tokens to `out` with
  // this type id and sequence id.
  void encode_sequence(std::string_view text, int64_t type_id, int64_t sequence_id, Encoding& out) const;
};

namespace detail {

// What a tokenizer.json describes: the pipeline and its truncation/padding sections.
struct LoadedTokenizer {
  std::shared_ptr<Tokenizer::Impl> impl;
  std::optional<TruncationParams> truncation;
  std::optional<PaddingParams> padding;
};
LoadedTokenizer load_tokenizer_json(const nlohmann::json& j, const std::string& source);

// Truncation and padding of encodings, as `tokenizers`' truncate_encodings / pad_encodings.
void truncate_encoding(Encoding& e, int64_t max_length, Direction direction);
void pad_encoding(Encoding& e, int64_t length, const PaddingParams& params);

}  // namespace detail

}  // namespace ember::text
