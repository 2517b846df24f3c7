#pragma once
// Crash-safe file replacement: write everything to a temporary file next to the target, fsync it,
// rename it over the target and fsync the directory. Readers see the old file or the new one,
// never a torn mix; a failure removes the temporary and leaves the old file as it was.
#include <cstddef>
#include <functional>
#include <string>

namespace ember::io::detail {

class AtomicFileWriter {
 public:
  // Appends bytes; throws ember::Error (naming `op` and the target path) on a write error.
  void write(const void* data, size_t n);

 private:
  friend void write_file_atomically(const std::string&, const char*, const std::function<void(AtomicFileWriter&)>&);
  AtomicFileWriter(int fd, const std::string& path, const char* op) : fd_(fd), path_(path), op_(op) {}
  int fd_;
  const std::string& path_;
  const char* op_;
};

// Runs `fill` against a writer for "<path>.tmp.<pid>", then commits it as `path`. Any exception
// from `fill` or from the commit removes the temporary file and propagates. A successful commit
// also removes "<path>.tmp.<pid>" files of processes that no longer exist (killed mid-save).
void write_file_atomically(const std::string& path, const char* op, const std::function<void(AtomicFileWriter&)>& fill);

}  // namespace ember::io::detail
