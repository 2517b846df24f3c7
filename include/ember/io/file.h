#pragma once
// Whole-file reads and crash-safe whole-file writes, with errors that name the file.
#include <string>

namespace ember::io {

// Reads a whole file as bytes; errors name the file and `op`.
std::string read_file_bytes(const std::string& path, const char* op);

// Replaces `path` with `bytes` atomically (temporary file, fsync, rename, fsync of the directory):
// readers see the old file or the new one, never a torn mix. Errors name `op` and the path.
void write_file_atomic(const std::string& path, const std::string& bytes, const char* op);

}  // namespace ember::io
