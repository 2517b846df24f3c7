#pragma once
// JSON from outside (files, checkpoints, downloads), parsed with a bound on nesting: a file of
// 100,000 nested arrays would otherwise be accepted and then overflow the stack in anything
// that walks the value recursively (dump, copy, comparison). Templates over the JSON type
// (nlohmann::json or nlohmann::ordered_json) so that Ember's public headers need no nlohmann.
//
//   auto j = io::parse_json<nlohmann::json>(text, "IMDB", "'" + path + "'", "re-download the file");
//   EMBER_CHECK(j.is_array(), op, "expected an array, got ", io::describe_json(j));   // never j.dump()
#include <cstddef>
#include <string>
#include <string_view>

#include "ember/error.h"

namespace ember::io {

// As serde_json's default recursion limit (safetensors, tokenizers): real files nest a few levels.
inline constexpr int kMaxJsonDepth = 128;

// A value for an error message, bounded: its JSON (ASCII) when at most max_chars long, else its
// type and first max_chars characters. Safe on any value parse_json returned (depth <= 128).
template <class Json>
std::string describe_json(const Json& v, size_t max_chars = 60) {
  std::string s = v.dump(-1, ' ', /*ensure_ascii=*/true);
  if (s.size() <= max_chars) return s;
  return std::string(v.type_name()) + " " + s.substr(0, max_chars) + "... (" + std::to_string(s.size()) +
         " characters)";
}

// The byte offset of the first '[' or '{' nested deeper than max_depth in `text`, or npos.
// Brackets inside strings do not count, so for valid JSON this is its exact nesting. A scan at
// memory speed instead of nlohmann's parser callback, which doubled the time to load IMDB's
// 25 MB reviews file (1.3 s -> 2.5 s).
size_t find_json_too_deep(std::string_view text, int max_depth);

// Parses `text`; throws ember::Error "<op>: <what> is not valid JSON (...)" or "<op>: <what>
// nests arrays or objects more than 128 levels deep (at byte N)", each followed by "; <hint>"
// when given. nlohmann's parser keeps its own stack, so parsing itself never recurses; the
// bound protects what walks the value afterwards.
template <class Json>
Json parse_json(std::string_view text, const std::string& op, const std::string& what, const std::string& hint = "",
                int max_depth = kMaxJsonDepth) {
  const std::string tail = hint.empty() ? std::string() : "; " + hint;
  if (const size_t at = find_json_too_deep(text, max_depth); at != std::string_view::npos)
    throw Error(op + ": " + what + " nests arrays or objects more than " + std::to_string(max_depth) +
                " levels deep (at byte " + std::to_string(at) + "), more than Ember reads" + tail);
  try {
    return Json::parse(text.begin(), text.end());
  } catch (const typename Json::exception& e) {
    throw Error(op + ": " + what + " is not valid JSON (" + e.what() + ")" + tail);
  }
}

}  // namespace ember::io
