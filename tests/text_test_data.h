#pragma once
// The real text corpora, read once per test process and shared by the text test files.
#include "ember/ember.h"

namespace ember::test {

inline const data::IMDBReviews& imdb_reviews() {
  static const data::IMDBReviews r = data::read_imdb();
  return r;
}

inline const std::string& tinyshakespeare_text() {
  static const std::string text = data::read_text_file(data::resolve_data_root() + "/tinyshakespeare/input.txt");
  return text;
}

}  // namespace ember::test
