#pragma once
// Shared by the harnesses: a scratch file for the parsers that only take paths, and the rule that
// bad input may throw ember::Error and nothing else (any other exception escapes to libFuzzer,
// which reports it as a crash, as it does ASan/UBSan reports, leaks and over-limit allocations).
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "ember/error.h"

namespace ember::fuzz {

// A folder of this process's own under $EMBER_FUZZ_TMPDIR, else /dev/shm (memory: a disk-backed
// /tmp made the harnesses ten times slower), else /tmp; removed at exit. Its files are rewritten
// on every input.
inline const std::filesystem::path& scratch_dir() {
  static const std::filesystem::path dir = [] {
    const char* env = std::getenv("EMBER_FUZZ_TMPDIR");
    std::error_code ec;
    const std::string base = env && *env ? env : std::filesystem::is_directory("/dev/shm", ec) ? "/dev/shm" : "/tmp";
    std::filesystem::path d = std::filesystem::path(base) /
                              ("ember_fuzz." + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    return d;
  }();
  static const struct Cleanup {
    ~Cleanup() {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
  } cleanup;
  return dir;
}

// Writes `size` bytes to scratch_dir()/name and returns its path.
inline std::string write_scratch(const std::string& name, const void* data, size_t size) {
  const std::string path = (scratch_dir() / name).string();
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(static_cast<const char*>(data), static_cast<std::streamsize>(size));
  f.close();
  if (!f) std::abort();  // the harness's own failure, not the parser's
  return path;
}
inline std::string write_scratch(const std::string& name, const std::string& bytes) {
  return write_scratch(name, bytes.data(), bytes.size());
}

// Runs f; an ember::Error is the expected answer to bad input.
template <class F>
void expect_errors(F&& f) {
  try {
    f();
  } catch (const ember::Error&) {
  }
}

}  // namespace ember::fuzz
