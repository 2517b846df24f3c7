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

// Parses `text`; throws ember::Error "<op>: <what> is not valid JSON (...)" or "<op>: <what>
// nests arrays or objects more than 128 levels deep", each followed by "; <hint>" when given.
// Parsing itself never recurses (nlohmann's parser keeps its own stack), so only depth is checked.
template <class Json>
Json parse_json(std::string_view text, const std::string& op, const std::string& what, const std::string& hint = "",
                int max_depth = kMaxJsonDepth) {
  const std::string tail = hint.empty() ? std::string() : "; " + hint;
  auto bound = [&](int depth, typename Json::parse_event_t event, Json&) {
    if (depth >= max_depth &&
        (event == Json::parse_event_t::array_start || event == Json::parse_event_t::object_start))
      throw Error(op + ": " + what + " nests arrays or objects more than " + std::to_string(max_depth) +
                  " levels deep, more than Ember reads" + tail);
    return true;
  };
  try {
    return Json::parse(text.begin(), text.end(), bound);
  } catch (const typename Json::exception& e) {
    throw Error(op + ": " + what + " is not valid JSON (" + e.what() + ")" + tail);
  }
}

}  // namespace ember::io
