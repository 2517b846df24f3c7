#pragma once
// GPT-2's pre-tokenization regex (contractions, runs of letters, of digits, of other symbols, each
// with an optional leading space, and whitespace), matched by PCRE2 with Unicode properties.
// Shared by GPT2Tokenizer and the ByteLevel pre-tokenizer of tokenizer.json pipelines.
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

namespace ember::text::detail {

// Appends the pieces of `text` as [begin, end) byte ranges, in order; they tile the text. With
// `validate`, invalid UTF-8 is an ember::Error from `op` naming the byte (base + its offset);
// without, the caller must have validated the text.
void gpt2_split(std::string_view text, size_t base, bool validate, const char* op,
                std::vector<std::pair<uint32_t, uint32_t>>& out);

}  // namespace ember::text::detail
