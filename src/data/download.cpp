// download(): libcurl transfer into a temporary file beside the destination, SHA-256 (OpenSSL
// EVP) verification, fsync and an atomic rename.
#include "ember/data/download.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>
#include <zlib.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <vector>

#include "ember/error.h"

namespace ember::data {

namespace fs = std::filesystem;

namespace {

class Sha256 {
 public:
  Sha256() : ctx_(EVP_MD_CTX_new(), EVP_MD_CTX_free) {
    if (!ctx_ || EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) != 1)
      EMBER_FAIL("sha256", "OpenSSL could not initialise a SHA-256 context");
  }
  void update(const void* data, size_t n) {
    if (n && EVP_DigestUpdate(ctx_.get(), data, n) != 1) EMBER_FAIL("sha256", "OpenSSL digest update failed");
  }
  std::string hex() {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_DigestFinal_ex(ctx_.get(), md, &len) != 1) EMBER_FAIL("sha256", "OpenSSL digest final failed");
    static const char* digits = "0123456789abcdef";
    std::string out(2 * len, '0');
    for (unsigned int i = 0; i < len; ++i) {
      out[2 * i] = digits[md[i] >> 4];
      out[2 * i + 1] = digits[md[i] & 15];
    }
    return out;
  }

 private:
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx_;
};

std::string errno_text() { return std::strerror(errno); }

// The temporary file; removed unless committed.
struct TempFile {
  std::string path;
  int fd = -1;
  bool committed = false;
  ~TempFile() {
    if (fd >= 0) ::close(fd);
    if (!committed && !path.empty()) ::unlink(path.c_str());
  }
};

struct WriteState {
  int fd;
  Sha256* hash;  // null when the check is on decompressed content
  std::string error;
};

size_t write_cb(char* data, size_t size, size_t nmemb, void* user) {
  auto* st = static_cast<WriteState*>(user);
  const size_t n = size * nmemb;
  size_t done = 0;
  while (done < n) {
    ssize_t w = ::write(st->fd, data + done, n - done);
    if (w < 0) {
      if (errno == EINTR) continue;
      st->error = "writing the temporary file failed: " + errno_text();
      return 0;  // makes libcurl stop with CURLE_WRITE_ERROR
    }
    done += static_cast<size_t>(w);
  }
  if (st->hash) {
    try {
      st->hash->update(data, n);
    } catch (const std::exception& e) {
      st->error = e.what();
      return 0;
    }
  }
  return n;
}

std::string normalise_sha(const std::string& s, const std::string& url) {
  std::string out = s;
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  bool ok = out.empty() || out.size() == 64;
  for (char c : out) ok = ok && std::isxdigit(static_cast<unsigned char>(c));
  EMBER_CHECK(ok, "download", "expected_sha256 '", s, "' for ", url,
              " is not 64 hex digits (pass an empty string to skip verification)");
  return out;
}

void fsync_dir(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return;  // best effort: the rename itself has happened
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

std::string sha256_hex(const void* data, size_t nbytes) {
  Sha256 h;
  h.update(data, nbytes);
  return h.hex();
}

std::string sha256_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY);
  EMBER_CHECK(fd >= 0, "sha256_file", "cannot open '", path, "': ", errno_text());
  Sha256 h;
  std::vector<char> buf(1 << 20);
  for (;;) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      std::string err = errno_text();
      ::close(fd);
      EMBER_FAIL("sha256_file", "reading '", path, "' failed: ", err);
    }
    if (n == 0) break;
    h.update(buf.data(), static_cast<size_t>(n));
  }
  ::close(fd);
  return h.hex();
}

std::string sha256_gunzipped_file(const std::string& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  EMBER_CHECK(f != nullptr, "sha256_gunzipped_file", "cannot open '", path, "': ", errno_text());
  Sha256 h;
  std::vector<char> buf(1 << 20);
  for (;;) {
    int n = gzread(f, buf.data(), static_cast<unsigned>(buf.size()));
    if (n < 0) {
      int errnum = 0;
      std::string err = gzerror(f, &errnum);
      gzclose(f);
      EMBER_FAIL("sha256_gunzipped_file", "'", path, "' is not a valid gzip file: ", err);
    }
    if (n == 0) break;
    h.update(buf.data(), static_cast<size_t>(n));
  }
  int errnum = 0;
  const char* err = gzerror(f, &errnum);
  std::string msg = err ? err : "";
  gzclose(f);
  EMBER_CHECK(errnum == Z_OK || errnum == Z_STREAM_END, "sha256_gunzipped_file", "'", path,
              "' is not a valid gzip file: ", msg);
  return h.hex();
}

void download(const std::string& url, const std::string& dest_path, const std::string& expected_sha256) {
  DownloadOptions o;
  o.expected_sha256 = expected_sha256;
  download(url, dest_path, o);
}

void download(const std::string& url, const std::string& dest_path, const DownloadOptions& options) {
  EMBER_CHECK(!url.empty(), "download", "url is empty");
  EMBER_CHECK(!dest_path.empty(), "download", "destination path is empty (for ", url, ")");
  const std::string expected = normalise_sha(options.expected_sha256, url);
  const fs::path dest(dest_path);
  fs::path dir = dest.parent_path();
  if (dir.empty()) dir = ".";
  std::error_code ec;
  fs::create_directories(dir, ec);
  EMBER_CHECK(!ec, "download", "cannot create directory '", dir.string(), "' for ", dest_path, ": ", ec.message());

  static std::once_flag curl_init;
  std::call_once(curl_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });

  TempFile tmp;
  std::string templ = dest_path + ".part-XXXXXX";
  std::vector<char> name(templ.begin(), templ.end());
  name.push_back('\0');
  tmp.fd = ::mkstemp(name.data());
  EMBER_CHECK(tmp.fd >= 0, "download", "cannot create a temporary file in '", dir.string(), "': ", errno_text());
  tmp.path = name.data();

  Sha256 hash;
  WriteState st{tmp.fd, options.checksum_of == ChecksumOf::File ? &hash : nullptr, {}};
  std::unique_ptr<CURL, void (*)(CURL*)> curl(curl_easy_init(), curl_easy_cleanup);
  EMBER_CHECK(curl != nullptr, "download", "libcurl could not start a transfer for ", url);
  char errbuf[CURL_ERROR_SIZE] = {0};
  // Loopback never goes through a proxy (keeps local servers reachable with http_proxy set).
  std::string no_proxy = "localhost,127.0.0.1,::1";
  for (const char* var : {"no_proxy", "NO_PROXY"})
    if (const char* v = std::getenv(var); v && *v) no_proxy += std::string(",") + v;
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_NOPROXY, no_proxy.c_str());
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, options.connect_timeout_s);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, options.stall_timeout_s);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "ember/" EMBER_VERSION);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &st);
  CURLcode res = curl_easy_perform(c);
  if (res != CURLE_OK) {
    std::string why;
    if (res == CURLE_HTTP_RETURNED_ERROR) {
      long code = 0;
      curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
      why = "the server answered HTTP " + std::to_string(code);
    } else if (!st.error.empty()) {
      why = st.error;
    } else {
      why = std::string(curl_easy_strerror(res)) + (errbuf[0] ? std::string(" (") + errbuf + ")" : "");
    }
    EMBER_FAIL("download", "fetching ", url, " failed: ", why, "; nothing was written to ", dest_path);
  }
  EMBER_CHECK(::fsync(tmp.fd) == 0, "download", "fsync of '", tmp.path, "' failed: ", errno_text());
  int fd = tmp.fd;
  tmp.fd = -1;
  EMBER_CHECK(::close(fd) == 0, "download", "closing '", tmp.path, "' failed: ", errno_text());

  if (!expected.empty()) {
    const bool content = options.checksum_of == ChecksumOf::GunzippedContent;
    std::string actual;
    try {
      actual = content ? sha256_gunzipped_file(tmp.path) : hash.hex();
    } catch (const Error& e) {
      EMBER_FAIL("download", url, " gave a file that cannot be verified: ", e.what(), "; it was discarded and nothing ",
                 "was written to ", dest_path);
    }
    EMBER_CHECK(actual == expected, "download", "SHA-256 mismatch for ", url, content ? " (decompressed content)" : "",
                ": expected ", expected, ", got ", actual, "; the download was discarded and nothing was written to ",
                dest_path, " (a corrupt transfer or a changed file: retry or use another mirror)");
  }
  EMBER_CHECK(::rename(tmp.path.c_str(), dest_path.c_str()) == 0, "download", "renaming '", tmp.path, "' to '",
              dest_path, "' failed: ", errno_text());
  tmp.committed = true;
  fsync_dir(dir);
}

}  // namespace ember::data
