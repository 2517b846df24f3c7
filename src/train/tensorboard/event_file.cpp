#include "train/tensorboard/event_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "ember/error.h"
#include "train/tensorboard/crc32c.h"

namespace ember::train::detail {

namespace {

void put_le(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xffu));
}

uint64_t get_le(std::string_view s, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(s[at + i])) << (8 * i);
  return v;
}

std::atomic<int> g_files{0};  // event files this process has opened (the name's last part)

}  // namespace

std::string frame_record(std::string_view data) {
  std::string out;
  out.reserve(data.size() + 16);
  put_le(out, data.size(), 8);
  put_le(out, masked_crc32c(crc32c(out.data(), 8)), 4);
  out.append(data);
  put_le(out, masked_crc32c(crc32c(data.data(), data.size())), 4);
  return out;
}

std::vector<std::string> read_records(std::string_view bytes, const std::string& path) {
  std::vector<std::string> records;
  size_t at = 0;
  while (at < bytes.size()) {
    EMBER_CHECK(bytes.size() - at >= 12, "read_records", "'", path, "' ends inside a record header at byte ", at);
    const uint64_t n = get_le(bytes, at, 8);
    EMBER_CHECK(static_cast<uint32_t>(get_le(bytes, at + 8, 4)) == masked_crc32c(crc32c(bytes.data() + at, 8)),
                "read_records", "'", path, "': the length of the record at byte ", at, " fails its CRC-32C");
    EMBER_CHECK(n <= bytes.size() - at - 12 && bytes.size() - at - 12 - n >= 4, "read_records", "'", path,
                "': the record at byte ", at, " of ", n, " bytes runs past the end of the file");
    std::string_view data = bytes.substr(at + 12, n);
    EMBER_CHECK(static_cast<uint32_t>(get_le(bytes, at + 12 + n, 4)) == masked_crc32c(crc32c(data.data(), n)),
                "read_records", "'", path, "': the data of the record at byte ", at, " fails its CRC-32C");
    records.emplace_back(data);
    at += 12 + n + 4;
  }
  return records;
}

std::string event_file_name(const std::string& suffix) {
  char host[256] = {0};
  if (::gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') std::snprintf(host, sizeof host, "localhost");
  const auto secs =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  char name[512];
  std::snprintf(name, sizeof name, "events.out.tfevents.%010lld.%s.%d.%d", static_cast<long long>(secs), host,
                static_cast<int>(::getpid()), g_files.fetch_add(1));
  return name + suffix;
}

EventFile::EventFile(const std::string& dir, const std::string& suffix, const char* op) : op_(op) {
  EMBER_CHECK(!dir.empty(), op, "the log folder is empty; give a folder for the event files");
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(dir, ec);
  EMBER_CHECK(!ec && fs::is_directory(dir), op, "cannot create the log folder '", dir,
              "': ", ec ? ec.message() : std::string("a file of that name is in the way"));
  // O_EXCL: a name that exists (two writers in one second) moves on to the next counter value.
  for (int tries = 0; fd_ < 0; ++tries) {
    path_ = (fs::path(dir) / event_file_name(suffix)).string();
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644);
    EMBER_CHECK(fd_ >= 0 || (errno == EEXIST && tries < 100), op, "cannot create the event file '", path_,
                "': ", std::strerror(errno), "; give a folder you can write to");
  }
}

EventFile::~EventFile() {
  if (fd_ >= 0) ::close(fd_);
}

void EventFile::flush() {
  EMBER_CHECK(fd_ >= 0, op_, "the event file '", path_, "' is closed");
  size_t done = 0;
  while (done < buffer_.size()) {
    const ssize_t w = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) {
      const int err = errno;
      buffer_.erase(0, done);  // what was written stays written; the rest is kept for a retry
      EMBER_FAIL(op_, "cannot write the event file '", path_, "': ", std::strerror(err));
    }
    done += static_cast<size_t>(w);
  }
  buffer_.clear();
}

void EventFile::close() {
  if (fd_ < 0) return;
  flush();
  const int fd = fd_;
  fd_ = -1;
  EMBER_CHECK(::close(fd) == 0, op_, "cannot close the event file '", path_, "': ", std::strerror(errno));
}

}  // namespace ember::train::detail
