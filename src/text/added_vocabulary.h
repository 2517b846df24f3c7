#pragma once
// Added tokens (tokenizer.json's "added_tokens"): special tokens such as "[CLS]" or
// "<|endoftext|>", found in the text before the model sees it and never split. Tokens marked
// "normalized" are matched in the normalized text, the others in the raw input (as `tokenizers`
// does: leftmost-longest, with the single_word / lstrip / rstrip options).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "text/pipeline.h"

namespace ember::text::detail {

struct AddedToken {
  std::string content;
  int64_t id = -1;
  bool special = false;
  bool single_word = false;
  bool lstrip = false;
  bool rstrip = false;
  bool normalized = false;
};

class AddedVocabulary {
 public:
  AddedVocabulary() = default;
  // `normalizer` (may be null) normalizes the patterns of the tokens marked normalized.
  AddedVocabulary(std::vector<AddedToken> tokens, const Normalizer* normalizer);

  struct Match {
    uint32_t begin, end;  // the matched bytes, stripped whitespace included
    int64_t id;
  };
  // The matches in `text` of the tokens matched before (raw) or after (normalized) normalization.
  void find(std::string_view text, bool normalized, std::vector<Match>& out) const;
  bool has_patterns(bool normalized) const { return !(normalized ? norm_ : raw_).patterns.empty(); }

  const AddedToken* by_id(int64_t id) const;
  std::optional<int64_t> id_of(std::string_view content) const;
  bool is_special(int64_t id) const {
    const AddedToken* t = by_id(id);
    return t != nullptr && t->special;
  }
  const std::vector<AddedToken>& tokens() const { return tokens_; }

 private:
  struct Patterns {
    std::vector<std::string> patterns;             // the text to match
    std::vector<size_t> token;                     // index into tokens_
    std::vector<std::vector<uint32_t>> by_first;   // first byte -> pattern indices, longest first
  };
  void build(Patterns& p);
  std::vector<AddedToken> tokens_;
  std::unordered_map<int64_t, size_t> by_id_;
  std::unordered_map<std::string, size_t> by_content_;
  Patterns raw_, norm_;
};

}  // namespace ember::text::detail
