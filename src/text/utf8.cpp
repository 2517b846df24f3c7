// check_utf8 and utf8_char_count over the decoder in unicode.h.
#include "ember/text/utf8.h"

#include <algorithm>
#include <cstdio>

#include "ember/error.h"
#include "text/unicode.h"

namespace ember::text {

void check_utf8(std::string_view text, const std::string& op, const std::string& what) {
  const size_t bad = detail::find_invalid_utf8(text);
  if (bad == std::string_view::npos) return;
  std::string bytes;  // the bytes from the offset on (at most 4), as \xNN
  for (size_t i = bad; i < std::min(text.size(), bad + 4); ++i) {
    char hex[8];
    std::snprintf(hex, sizeof(hex), "\\x%02X", static_cast<unsigned char>(text[i]));
    bytes += hex;
  }
  EMBER_FAIL(op, what, " is not valid UTF-8 at byte ", bad, " (", bytes,
             "); Ember reads text as UTF-8: convert it (e.g. iconv -f LATIN1 -t UTF-8) or remove the bad bytes");
}

int64_t utf8_char_count(std::string_view text) { return static_cast<int64_t>(detail::utf8_length(text)); }

}  // namespace ember::text
