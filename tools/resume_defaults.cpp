#include "resume_defaults.h"

#include <cstdlib>
#include <filesystem>
#include <ostream>
#include <set>
#include <sstream>

#include "ember/error.h"
#include "ember/io/safetensors.h"

namespace ember::cli {

namespace fs = std::filesystem;

namespace {
std::string checkpoint_path(CLI::App& sub) {
  CLI::Option* resume = sub.get_option_no_throw("--resume");
  if (resume == nullptr || resume->count() == 0) return "";
  const std::string value = resume->as<std::string>();
  if (value != "auto") return fs::exists(value) ? value : "";
  CLI::Option* dir = sub.get_option_no_throw("--checkpoint-dir");
  if (dir == nullptr || dir->count() == 0) return "";
  const fs::path p = fs::path(dir->as<std::string>()) / "last.safetensors";
  return fs::exists(p) ? p.string() : "";
}
// Config strings write bools as 1/0 and numbers as ostream does; defaults print as CLI11 does.
bool same_value(const std::string& a, const std::string& b) {
  auto norm = [](const std::string& s) -> std::string {
    if (s == "true") return "1";
    if (s == "false") return "0";
    char* end = nullptr;
    const double d = std::strtod(s.c_str(), &end);
    if (!s.empty() && *end == '\0') {
      std::ostringstream os;
      os << d;
      return os.str();
    }
    return s;
  };
  return norm(a) == norm(b);
}
}  // namespace

void fill_flags_from_checkpoint(CLI::App& sub, std::ostream& log) {
  const std::string path = checkpoint_path(sub);
  if (path.empty()) return;
  const auto meta = io::load_safetensors(path).metadata;
  const auto config = meta.find("config");
  if (config == meta.end()) return;
  // Recorded by file name only (a folder's path is not kept): the trainer compares them instead.
  static const std::set<std::string> lossy = {"model", "teacher"};
  std::istringstream words(config->second);
  std::string word, changed;
  while (words >> word) {
    const auto eq = word.find('=');
    if (eq == std::string::npos || lossy.count(word.substr(0, eq))) continue;
    std::string name = "--" + word.substr(0, eq);
    for (char& c : name)
      if (c == '_') c = '-';
    const std::string value = word.substr(eq + 1);
    CLI::Option* opt = sub.get_option_no_throw(name);
    if (opt == nullptr || opt->count() > 0) continue;  // not a flag of this command, or given explicitly
    opt->capture_default_str();  // the bound variable still holds the flag's default
    std::string before = opt->get_default_str();
    if (before.empty() && opt->get_expected_min() == 0) before = "0";  // a flag not given is off
    try {
      opt->add_result(value);
      opt->run_callback();
    } catch (const CLI::Error& e) {
      throw Error("--resume: '" + path + "' records " + name + " '" + value + "', which " + name +
                  " does not accept (" + e.what() + "); the checkpoint's config is corrupt");
    }
    if (!same_value(value, before)) changed += (changed.empty() ? "" : ", ") + name + " " + value;
  }
  const char* rank = std::getenv("OMPI_COMM_WORLD_RANK");  // under mpirun, rank 0 speaks for all
  if (!changed.empty() && (rank == nullptr || std::string(rank) == "0"))
    log << "Resuming '" << path << "' with its settings for the flags not given: " << changed << "\n";
}

}  // namespace ember::cli
