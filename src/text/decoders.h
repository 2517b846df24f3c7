#pragma once
// Decoders of Hugging Face `tokenizers`: token strings back to text.
#include <memory>
#include <string>
#include <vector>

#include "text/pipeline.h"

namespace ember::text::detail {

// "##" continuations joined to the previous token, other tokens after a space; cleanup removes the
// space before . ? ! , and in contractions ("do n't" -> "don't") as `tokenizers` does, per token.
std::unique_ptr<Decoder> make_wordpiece_decoder(const std::string& prefix, bool cleanup);
// GPT-2's byte-to-unicode spelling back to bytes; invalid UTF-8 becomes U+FFFD.
std::unique_ptr<Decoder> make_byte_level_decoder();
// The end-of-word suffix becomes a space (nothing after the last token).
std::unique_ptr<Decoder> make_bpe_decoder(const std::string& suffix);
std::unique_ptr<Decoder> make_decoder_sequence(std::vector<std::unique_ptr<Decoder>> parts);

}  // namespace ember::text::detail
