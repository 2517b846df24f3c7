#pragma once
// TensorBoard's record framing and the append-only event file that holds the records.
// A record is: uint64 length (little-endian), masked CRC-32C of those 8 bytes, the data, masked
// CRC-32C of the data. A reader stops at a torn last record (a crash mid-write), so appending
// needs no temporary file.
#include <string>
#include <string_view>
#include <vector>

namespace ember::train::detail {

// One record's bytes for `data` (a serialized Event).
std::string frame_record(std::string_view data);
// The records of a whole file, both checksums checked; errors name `path`.
std::vector<std::string> read_records(std::string_view bytes, const std::string& path);

// "events.out.tfevents.<secs>.<host>.<pid>.<n><suffix>", n counting this process's files.
std::string event_file_name(const std::string& suffix);

class EventFile {
 public:
  // Creates `dir` (and parents) and a new, empty event file in it; errors name `op` and the path.
  EventFile(const std::string& dir, const std::string& suffix, const char* op);
  ~EventFile();  // closes without writing: the owner flushes first
  EventFile(const EventFile&) = delete;
  EventFile& operator=(const EventFile&) = delete;

  void append(std::string_view data) { buffer_ += frame_record(data); }
  void flush();  // writes the buffered records (one write(2) per call; retries partial writes)
  void close();  // flush, then close the descriptor
  bool is_open() const { return fd_ >= 0; }
  const std::string& path() const { return path_; }

 private:
  int fd_ = -1;
  std::string path_, buffer_;
  const char* op_;
};

}  // namespace ember::train::detail
