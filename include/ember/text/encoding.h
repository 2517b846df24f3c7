#pragma once
// Encoding: what text::Tokenizer::encode returns for one input (a text or a pair of texts), with
// Hugging Face `tokenizers`' fields, one entry per token.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ember::text {

using Offsets = std::pair<int64_t, int64_t>;  // [start, end)

struct Encoding {
  std::vector<int64_t> ids;
  std::vector<int64_t> type_ids;             // segment ids: 0 for the first text, 1 for the pair's
  std::vector<std::string> tokens;           // the vocabulary's spelling ("##ing", "Ġworld")
  // Byte offsets [start, end) into the UTF-8 text the token came from (the pair's second text
  // for tokens whose sequence_ids is 1); (0, 0) for special and padding tokens. Hugging Face's
  // Python API gives character offsets instead: see char_offsets().
  std::vector<Offsets> offsets;
  std::vector<int64_t> special_tokens_mask;  // 1 for tokens the post-processor or padding added
  std::vector<int64_t> attention_mask;       // 0 for padding
  std::vector<int64_t> word_ids;             // index of the pre-tokenized word; -1 for special/padding
  std::vector<int64_t> sequence_ids;         // 0 or 1 (pair); -1 for special/padding

  size_t size() const { return ids.size(); }
  bool empty() const { return ids.empty(); }

  // The offsets in characters (Unicode code points), as Hugging Face's Python API reports them:
  // pass the texts that were encoded (`pair` for a pair's second text).
  std::vector<Offsets> char_offsets(std::string_view text, std::string_view pair = {}) const;

  // Appends `other` (used to merge a pair's parts).
  void append(const Encoding& other);
  // Appends one token.
  void push_back(int64_t id, int64_t type_id, std::string token, Offsets offset, int64_t special, int64_t word_id,
                 int64_t sequence_id);
};

}  // namespace ember::text
