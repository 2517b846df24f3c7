#include "recipes/output_files.h"

#include <filesystem>

#include "ember/error.h"

namespace fs = std::filesystem;

namespace ember::recipes::detail {

std::string output_path(const std::string& explicit_path, const std::string& dir, const std::string& name) {
  if (!explicit_path.empty()) return explicit_path;
  if (!dir.empty()) return (fs::path(dir) / name).string();
  return "";
}

void make_checkpoint_dir(const std::string& dir) {
  if (dir.empty()) return;
  std::error_code ec;
  fs::create_directories(dir, ec);
  EMBER_CHECK(!ec, "--checkpoint-dir", "cannot create '", dir, "': ", ec.message());
}

}  // namespace ember::recipes::detail
