// resolve_data_root: explicit argument, then $EMBER_DATA, then ../shared/data near the current
// directory or the executable.
#include "ember/data/data_root.h"

#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <filesystem>
#include <vector>

#include "ember/error.h"

namespace ember::data {

namespace fs = std::filesystem;

namespace {

bool is_dir(const fs::path& p) {
  std::error_code ec;
  return fs::is_directory(p, ec);
}

fs::path executable_dir() {
  char buf[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0) return {};
  buf[n] = '\0';
  return fs::path(buf).parent_path();
}

}  // namespace

std::string resolve_data_root(const std::string& explicit_root) {
  if (!explicit_root.empty()) {
    EMBER_CHECK(is_dir(explicit_root), "data root", "'", explicit_root,
                "' (given explicitly) is not a directory; pass the folder that holds the datasets");
    return explicit_root;
  }
  if (const char* env = std::getenv("EMBER_DATA"); env != nullptr && *env != '\0') {
    EMBER_CHECK(is_dir(env), "data root", "EMBER_DATA='", env,
                "' is not a directory; set EMBER_DATA to the folder that holds the datasets");
    return env;
  }
  std::error_code ec;
  std::vector<fs::path> starts;
  if (fs::path cwd = fs::current_path(ec); !ec) starts.push_back(cwd);
  if (fs::path exe = executable_dir(); !exe.empty() && (starts.empty() || exe != starts[0])) starts.push_back(exe);
  std::string looked;
  for (const fs::path& start : starts) {
    looked += "\n  above " + start.string();
    // `dir/../shared/data` for dir = start and each of its parents.
    for (fs::path dir = start;; dir = dir.parent_path()) {
      fs::path candidate = dir.parent_path() / "shared" / "data";
      if (is_dir(candidate)) return candidate.string();
      if (dir == dir.parent_path()) break;
    }
  }
  EMBER_FAIL("data root", "no data directory found: pass the root explicitly, set EMBER_DATA=/path/to/data, "
             "or place the data in ../shared/data beside the project; looked for ../shared/data", looked);
}

}  // namespace ember::data
