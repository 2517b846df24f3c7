// Atomic file replacement (temporary file + fsync + rename + directory fsync).
#include "io/atomic_file.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "ember/error.h"

namespace ember::io::detail {

namespace {
std::string dir_of(const std::string& path) {
  auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}
// Removes "<name>.tmp.<pid>" files next to `path` left by writers that were killed mid-save: only
// those of a process that no longer exists (a live one may be writing right now). Best effort: a
// leftover that cannot be removed is not worth failing a save that succeeded.
void remove_stale_temporaries(const std::string& path, const std::string& dir) {
  const std::string base = path.substr(path.find_last_of('/') == std::string::npos ? 0 : path.find_last_of('/') + 1);
  const std::string prefix = base + ".tmp.";
  DIR* d = ::opendir(dir.c_str());
  if (!d) return;
  while (const dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string digits = name.substr(prefix.size());
    if (digits.find_first_not_of("0123456789") != std::string::npos || digits.size() > 9) continue;
    const pid_t pid = static_cast<pid_t>(std::strtol(digits.c_str(), nullptr, 10));
    if (pid <= 0 || pid == ::getpid() || ::kill(pid, 0) == 0 || errno != ESRCH) continue;
    ::unlink((dir + "/" + name).c_str());
  }
  ::closedir(d);
}
}  // namespace

void AtomicFileWriter::write(const void* data, size_t n) {
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    ssize_t w = ::write(fd_, p, n);
    if (w < 0 && errno == EINTR) continue;
    EMBER_CHECK(w > 0, op_, "writing '", path_, "' failed: ", w < 0 ? std::strerror(errno) : "no progress",
                "; the previous file, if any, is unchanged");
    p += w;
    n -= static_cast<size_t>(w);
  }
}

void write_file_atomically(const std::string& path, const char* op, const std::function<void(AtomicFileWriter&)>& fill) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  EMBER_CHECK(fd >= 0, op, "cannot create '", tmp, "' to write '", path, "': ", std::strerror(errno),
              "; check that the directory exists and is writable");
  try {
    AtomicFileWriter w(fd, path, op);
    fill(w);
    EMBER_CHECK(::fsync(fd) == 0, op, "fsync of '", tmp, "' failed: ", std::strerror(errno),
                "; the previous file, if any, is unchanged");
    int rc = ::close(fd);
    fd = -1;
    EMBER_CHECK(rc == 0, op, "closing '", tmp, "' failed: ", std::strerror(errno),
                "; the previous file, if any, is unchanged");
    EMBER_CHECK(::rename(tmp.c_str(), path.c_str()) == 0, op, "renaming '", tmp, "' to '", path,
                "' failed: ", std::strerror(errno), "; the previous file, if any, is unchanged");
  } catch (...) {
    if (fd >= 0) ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  // Persist the rename itself. The new file is already in place, so a failure here is reported
  // but cannot damage anything.
  const std::string dir = dir_of(path);
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  EMBER_CHECK(dfd >= 0, op, "wrote '", path, "' but cannot open its directory '", dir, "' to fsync it: ",
              std::strerror(errno));
  int rc = ::fsync(dfd);
  int err = errno;
  ::close(dfd);
  EMBER_CHECK(rc == 0, op, "wrote '", path, "' but fsync of its directory failed: ", std::strerror(err));
  remove_stale_temporaries(path, dir);
}

}  // namespace ember::io::detail
