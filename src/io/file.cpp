#include "ember/io/file.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "ember/error.h"
#include "io/atomic_file.h"

namespace ember::io {

std::string read_file_bytes(const std::string& path, const char* op) {
  std::error_code ec;
  EMBER_CHECK(std::filesystem::exists(path, ec), op, "file '", path, "' does not exist; check the path or the data root");
  EMBER_CHECK(!std::filesystem::is_directory(path, ec), op, "'", path, "' is a directory, not a file");
  std::ifstream f(path, std::ios::binary);
  EMBER_CHECK(f.good(), op, "cannot open '", path, "': ", std::strerror(errno));
  std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  EMBER_CHECK(!f.bad(), op, "error while reading '", path, "': ", std::strerror(errno));
  return bytes;
}

void write_file_atomic(const std::string& path, const std::string& bytes, const char* op) {
  detail::write_file_atomically(path, op, [&](detail::AtomicFileWriter& w) { w.write(bytes.data(), bytes.size()); });
}

}  // namespace ember::io
