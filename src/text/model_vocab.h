#pragma once
// A model's vocabulary: token -> id (VocabMap) and id -> token, checked once when loaded.
#include <algorithm>
#include <string>
#include <vector>

#include "ember/error.h"
#include "text/models.h"
#include "text/vocab_map.h"

namespace ember::text::detail {

struct ModelVocab {
  static constexpr int64_t kMaxIdGap = int64_t{1} << 20;  // unused ids allowed below the largest

  ModelVocab(const VocabEntries& entries, const char* op, const std::string& src) : source(src) {
    int64_t max_id = -1;
    for (const auto& [tok, id] : entries) {
      EMBER_CHECK(id >= 0 && id < (int64_t(1) << 31), op, source, ": token \"", tok, "\" has id ", id,
                  "; ids must be integers 0 to 2^31 - 1 (the file is corrupt)");
      max_id = std::max(max_id, id);
    }
    // id -> token is a table as long as the largest id: ids may leave gaps, but not so many that
    // one hostile id (2^31 - 1) makes it 64 GB.
    const auto n = static_cast<int64_t>(entries.size());
    EMBER_CHECK(max_id < n + kMaxIdGap, op, source, ": the vocabulary has ", n, " tokens but id ", max_id,
                "; ids must stay below the token count + ", kMaxIdGap, " (the file is corrupt)");
    id_to_token.resize(static_cast<size_t>(max_id + 1));
    present.assign(static_cast<size_t>(max_id + 1), false);
    for (const auto& [tok, id] : entries) {
      EMBER_CHECK(!present[static_cast<size_t>(id)], op, source, ": id ", id, " is given to two tokens (\"",
                  id_to_token[static_cast<size_t>(id)], "\" and \"", tok, "\"; the file is corrupt)");
      present[static_cast<size_t>(id)] = true;
      id_to_token[static_cast<size_t>(id)] = tok;
      map.insert(tok, static_cast<int32_t>(id));
    }
    const std::string_view repeat = map.build();
    EMBER_CHECK(repeat.empty(), op, source, ": token \"", repeat, "\" appears twice in the vocabulary (the file is corrupt)");
  }

  const std::string* token(int64_t id) const {
    if (id < 0 || id >= static_cast<int64_t>(id_to_token.size()) || !present[static_cast<size_t>(id)]) return nullptr;
    return &id_to_token[static_cast<size_t>(id)];
  }

  std::vector<std::string> id_to_token;
  std::vector<bool> present;
  VocabMap map;
  std::string source;
};

}  // namespace ember::text::detail
