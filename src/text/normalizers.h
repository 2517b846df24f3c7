#pragma once
// Normalizers of Hugging Face `tokenizers`: each maps characters to characters, every output
// character keeping the input range of the character it came from.
#include <memory>
#include <string>
#include <vector>

#include "text/pipeline.h"

namespace ember::text::detail {

struct BertNormalizerOptions {
  bool clean_text = true;            // drop NUL, U+FFFD and control/format chars; whitespace -> ' '
  bool handle_chinese_chars = true;  // spaces around CJK ideographs
  bool strip_accents = true;         // NFD, then drop nonspacing marks (Mn)
  bool lowercase = true;
};

std::unique_ptr<Normalizer> make_bert_normalizer(const BertNormalizerOptions& options);
std::unique_ptr<Normalizer> make_lowercase();
std::unique_ptr<Normalizer> make_nfd(bool compat);  // compat: NFKD
std::unique_ptr<Normalizer> make_strip_accents();   // drops marks M* (use after NFD, as `tokenizers`)
std::unique_ptr<Normalizer> make_strip(bool left, bool right);
std::unique_ptr<Normalizer> make_prepend(const std::string& prefix);
std::unique_ptr<Normalizer> make_normalizer_sequence(std::vector<std::unique_ptr<Normalizer>> parts);

// Decodes valid UTF-8 `text` (at byte `base` of the caller's input) into aligned characters.
void to_norm_chars(std::string_view text, uint32_t base, NormChars& out);

}  // namespace ember::text::detail
