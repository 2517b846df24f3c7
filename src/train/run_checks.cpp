#include "train/run_checks.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <ostream>
#include <set>
#include <sstream>

#include "ember/error.h"

namespace ember::train::detail {

namespace fs = std::filesystem;

void check_output_path(const std::string& path, const char* flag, std::initializer_list<const char*> suffixes) {
  if (path.empty()) return;
  std::error_code ec;
  EMBER_CHECK(!fs::is_directory(path, ec), flag, "'", path, "' is a folder; give a file name");
  bool known = false;
  std::string names;
  for (const std::string suffix : suffixes) {
    known |= path.size() >= suffix.size() && path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0;
    names += (names.empty() ? "" : " or ") + suffix;
  }
  EMBER_CHECK(known, flag, "'", path, "' must end in ", names);
  const fs::path dir = fs::path(path).has_parent_path() ? fs::path(path).parent_path() : fs::path(".");
  EMBER_CHECK(fs::is_directory(dir, ec), flag, "cannot write '", path, "': the folder '", dir.string(),
              "' does not exist");
  // Creating a file beside it is the one reliable test (permissions, read-only mounts, quotas).
  const std::string probe = path + ".check." + std::to_string(::getpid());
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  EMBER_CHECK(fd >= 0, flag, "cannot write '", path, "': ", std::strerror(errno));
  ::close(fd);
  ::unlink(probe.c_str());
}

void check_output_dir(const std::string& dir, const char* flag) {
  if (dir.empty()) return;
  std::error_code ec;
  EMBER_CHECK(!fs::exists(dir, ec) || fs::is_directory(dir, ec), flag, "'", dir, "' is a file; give a folder");
  fs::create_directories(dir, ec);
  EMBER_CHECK(!ec, flag, "cannot create the folder '", dir, "': ", ec.message());
  const std::string probe = (fs::path(dir) / (".ember-check." + std::to_string(::getpid()))).string();
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  EMBER_CHECK(fd >= 0, flag, "cannot write in the folder '", dir, "': ", std::strerror(errno),
              "; give a folder you can write to");
  ::close(fd);
  ::unlink(probe.c_str());
}

void check_epoch_loader(const data::DataLoader& loader, int64_t epochs, int64_t steps_per_epoch) {
  const auto& o = loader.options();
  const int64_t n = o.sampler ? o.sampler->size() : loader.dataset()->size();
  EMBER_CHECK(n > 0, "Trainer", "the training set is empty: there is nothing to train on");
  EMBER_CHECK(o.batch_size <= n, "--batch-size", o.batch_size, " is more than the ", n, " training examples",
              o.sampler && o.sampler->size() != loader.dataset()->size() ? " of this rank" : "",
              " (one batch would hold them all); use at most ", n);
  const int64_t most = std::numeric_limits<int64_t>::max() / std::max<int64_t>(steps_per_epoch, 1);
  EMBER_CHECK(epochs <= most, "--epochs", epochs, " epochs of ", steps_per_epoch,
              " steps overflow the step counter; use at most ", most);
}

namespace {
std::map<std::string, std::string> words(const std::string& s) {
  std::map<std::string, std::string> m;
  std::istringstream is(s);
  std::string w;
  while (is >> w) {
    const auto eq = w.find('=');
    if (eq != std::string::npos) m[w.substr(0, eq)] = w.substr(eq + 1);
  }
  return m;
}

std::string flag(std::string key) {
  for (char& c : key)
    if (c == '_') c = '-';
  return "--" + key;
}
}  // namespace

void reconcile_resume_config(const std::string& saved, const std::string& current, optim::Optimizer& opt,
                             bool lr_scheduled, const std::string& path, std::ostream& log) {
  // The run's length may grow (that is what a resume is for).
  static const std::set<std::string> length = {"epochs", "steps"};
  // Read afresh every step from the command line's configuration (the schedule, clipping,
  // evaluation), or, for the optimizer's own options, written over the loaded state below.
  static const std::set<std::string> applied = {"lr", "min_lr", "warmup", "warmup_steps", "momentum",
                                                "weight_decay", "beta2", "clip_norm", "grad_clip",
                                                "eval_interval", "eval_iters", "cache_teacher"};
  const auto was = words(saved), now = words(current);
  for (const auto& [key, value] : now) {
    const auto it = was.find(key);
    if (it == was.end() || it->second == value || length.count(key)) continue;
    EMBER_CHECK(applied.count(key), "--resume", "'", path, "' was trained with ", flag(key), " ", it->second,
                ", this run has ", flag(key), " ", value, "; resume with ", flag(key), " ", it->second,
                " or start a new run in another --checkpoint-dir");
    if (!(key == "lr" && lr_scheduled)) {
      char *end = nullptr, *end_was = nullptr;
      const double v = std::strtod(value.c_str(), &end), v_was = std::strtod(it->second.c_str(), &end_was);
      // Groups that follow the flag (bert's bias group keeps weight decay 0); lr in every group.
      if (end != value.c_str() && *end == '\0')
        for (auto& g : opt.param_groups()) {
          bool has = false;
          for (auto& [name, x] : g.options().values())
            if (name == key) has = key == "lr" || (*end_was == '\0' && x == v_was);
          if (has) g.options().set(key, v);
        }
    }
    log << "Note: " << flag(key) << " " << value << " replaces the checkpoint's " << it->second << "\n";
  }
}

}  // namespace ember::train::detail
