#pragma once
// Downloads with SHA-256 verification (libcurl: http and https; OpenSSL for the hash).
// A download is written to a temporary file beside the destination, verified, fsync'd and then
// renamed into place, so a failed, interrupted or corrupt download never leaves a file at dest.
#include <cstddef>
#include <string>

namespace ember::data {

enum class ChecksumOf {
  File,              // the bytes as downloaded
  GunzippedContent,  // the decompressed content of a gzip file: mirrors may re-compress
};

struct DownloadOptions {
  std::string expected_sha256;  // 64 hex digits; empty skips verification
  ChecksumOf checksum_of = ChecksumOf::File;
  long connect_timeout_s = 30;
  long stall_timeout_s = 60;  // abort when under 1 byte/s for this long
};

// Fetches `url` to `dest_path` (creating its directory). Throws ember::Error naming the URL and
// the cause (connection refused, HTTP status, checksum mismatch with both sums ...).
void download(const std::string& url, const std::string& dest_path, const std::string& expected_sha256);
void download(const std::string& url, const std::string& dest_path, const DownloadOptions& options);

// Lower-case hex SHA-256 digests.
std::string sha256_hex(const void* data, size_t nbytes);
std::string sha256_file(const std::string& path);
// Of the content of a gzip file (zlib reads a plain file as is).
std::string sha256_gunzipped_file(const std::string& path);

}  // namespace ember::data
