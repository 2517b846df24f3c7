#pragma once
// Pre-tokenizers of Hugging Face `tokenizers`: they cut the normalized text into pieces (words)
// that the model then tokenizes one at a time.
#include <memory>
#include <vector>

#include "text/pipeline.h"

namespace ember::text::detail {

// What happens to a delimiter character (`tokenizers`' SplitDelimiterBehavior).
enum class SplitBehavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous };

std::unique_ptr<PreTokenizer> make_bert_pre_tokenizer();   // whitespace removed, punctuation isolated
std::unique_ptr<PreTokenizer> make_whitespace();            // \w+|[^\w\s]+
std::unique_ptr<PreTokenizer> make_whitespace_split();      // split on whitespace
std::unique_ptr<PreTokenizer> make_punctuation(SplitBehavior behavior);
std::unique_ptr<PreTokenizer> make_digits(bool individual_digits);
std::unique_ptr<PreTokenizer> make_byte_level(bool add_prefix_space, bool use_regex);
std::unique_ptr<PreTokenizer> make_pre_tokenizer_sequence(std::vector<std::unique_ptr<PreTokenizer>> parts);

}  // namespace ember::text::detail
