#pragma once
// UTF-8 checks for text from outside (files, flags, prompts), with errors that name where the
// text came from and the byte offset of the first invalid sequence.
#include <cstdint>
#include <string>
#include <string_view>

namespace ember::text {

// Throws ember::Error "<op>: <what> is not valid UTF-8 at byte N (\xC3\x28); ..." at the first
// invalid sequence (overlong forms, surrogates and values above U+10FFFF included).
void check_utf8(std::string_view text, const std::string& op, const std::string& what);
// The number of characters (code points) of valid UTF-8 text, as Python's len(str).
int64_t utf8_char_count(std::string_view text);

}  // namespace ember::text
