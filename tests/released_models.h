#pragma once
// The released models of the data folder (../shared/data/models), for tests that skip without them.
#include <filesystem>
#include <string>

#include "ember/data/data_root.h"
#include "ember/error.h"

namespace ember::test {

// The data folder's all-MiniLM-L6-v2 when it holds `marker` (config.json; modules.json for the
// sentence-transformers pipeline), or "" when the data folder or the model is absent.
inline std::string minilm_dir(const char* marker = "config.json") {
  try {
    std::string dir = data::resolve_data_root() + "/models/all-MiniLM-L6-v2";
    return std::filesystem::exists(dir + "/" + marker) ? dir : "";
  } catch (const Error&) {
    return "";
  }
}

}  // namespace ember::test
