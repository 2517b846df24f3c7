// find_json_too_deep: the nesting bound of io::parse_json, by one pass over the bytes.
#include "ember/io/json.h"

namespace ember::io {

size_t find_json_too_deep(std::string_view text, int max_depth) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;  // the escaped character, whatever it is
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return i;
    } else if (c == ']' || c == '}') {
      --depth;  // unbalanced input is the parser's error to report
    }
  }
  return std::string_view::npos;
}

}  // namespace ember::io
