// IDX file readers (the MNIST format): a big-endian header of magic number and dims, then uint8
// data. zlib's gzread reads gzip'd and plain files alike.
#include <zlib.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <vector>

#include "ember/data/mnist.h"
#include "ember/error.h"
#include "ember/ops.h"

namespace ember::data {

namespace {

constexpr uint32_t kImagesMagic = 2051;  // 0x00000803: unsigned bytes, 3 dims
constexpr uint32_t kLabelsMagic = 2049;  // 0x00000801: unsigned bytes, 1 dim

class IdxFile {
 public:
  IdxFile(const std::string& path, const char* op) : path_(path), op_(op) {
    f_ = gzopen(path.c_str(), "rb");
    EMBER_CHECK(f_ != nullptr, op_, "cannot open '", path, "': ", std::strerror(errno));
    gzbuffer(f_, 1 << 20);
  }
  ~IdxFile() {
    if (f_) gzclose(f_);
  }
  IdxFile(const IdxFile&) = delete;
  IdxFile& operator=(const IdxFile&) = delete;

  // Reads up to n bytes; fewer only at the end of the data. Decompression errors throw.
  size_t read(void* dst, size_t n) {
    size_t done = 0;
    while (done < n) {
      unsigned chunk = static_cast<unsigned>(std::min<size_t>(n - done, 1u << 30));
      int got = gzread(f_, static_cast<char*>(dst) + done, chunk);
      if (got < 0) fail_corrupt();
      if (got == 0) break;
      done += static_cast<size_t>(got);
    }
    int errnum = Z_OK;
    gzerror(f_, &errnum);
    // Z_BUF_ERROR here means the gzip stream ended early; the caller reports the short count.
    if (errnum != Z_OK && errnum != Z_BUF_ERROR) fail_corrupt();
    return done;
  }

  uint32_t read_u32(const char* what) {
    unsigned char b[4];
    size_t got = read(b, 4);
    EMBER_CHECK(got == 4, op_, "'", path_, "' is truncated: it ends inside the header (", what, ")");
    return (uint32_t(b[0]) << 24) | (uint32_t(b[1]) << 16) | (uint32_t(b[2]) << 8) | uint32_t(b[3]);
  }

  void check_magic(uint32_t expected, const char* kind) {
    uint32_t magic = read_u32("magic number");
    EMBER_CHECK(magic == expected, op_, "'", path_, "' has magic number ", magic, " but an IDX ", kind,
                " file starts with ", expected,
                magic == kImagesMagic   ? " (this is an image file: are the file names swapped?)"
                : magic == kLabelsMagic ? " (this is a label file: are the file names swapped?)"
                                        : " (the file is corrupt or not in IDX format; re-download it)");
  }

  // Reads exactly n payload bytes and checks that nothing follows them.
  std::vector<uint8_t> read_payload(size_t n, const std::string& promised) {
    std::vector<uint8_t> data;
    // Grow as the data arrives, in chunks that double from 64 KiB to 16 MiB, so a corrupt header
    // cannot demand a huge allocation (or a 16 MiB one for a file of a few bytes) up front.
    size_t done = 0, step = size_t(64) << 10;
    while (done < n) {
      const size_t chunk = std::min(n - done, step);
      data.resize(done + chunk);
      size_t got = read(data.data() + done, chunk);
      done += got;
      if (got < chunk) break;
      step = std::min(step * 2, size_t(16) << 20);
    }
    EMBER_CHECK(done == n, op_, "'", path_, "' is truncated: its header promises ", promised, " (", n,
                " bytes after the header) but only ", done, " bytes follow", stream_note(),
                "; re-download the file");
    unsigned char extra;
    EMBER_CHECK(read(&extra, 1) == 0, op_, "'", path_, "' has data after the ", promised,
                " its header promises; the file is corrupt or not an MNIST file");
    return data;
  }

 private:
  [[noreturn]] void fail_corrupt() {
    int errnum = 0;
    const char* msg = gzerror(f_, &errnum);
    EMBER_FAIL(op_, "'", path_, "' cannot be read: ",
               errnum == Z_ERRNO ? std::strerror(errno) : (msg ? msg : "unknown zlib error"),
               " (a corrupt gzip file: re-download it)");
  }
  std::string stream_note() {
    int errnum = Z_OK;
    gzerror(f_, &errnum);
    return errnum == Z_BUF_ERROR ? " (the gzip stream ends early)" : "";
  }

  gzFile f_ = nullptr;
  std::string path_;
  const char* op_;
};

}  // namespace

Tensor read_idx_images(const std::string& path, int64_t expected_rows, int64_t expected_cols) {
  const char* op = "read_idx_images";
  IdxFile f(path, op);
  f.check_magic(kImagesMagic, "image");
  const int64_t n = f.read_u32("image count");
  const int64_t rows = f.read_u32("row count"), cols = f.read_u32("column count");
  EMBER_CHECK(rows == expected_rows && cols == expected_cols, op, "'", path, "' holds ", rows, "x", cols,
              " images but ", expected_rows, "x", expected_cols, " were expected");
  std::vector<uint8_t> pixels =
      f.read_payload(static_cast<size_t>(n * rows * cols),
                     ember::detail::str_cat(n, " images of ", rows, "x", cols, " pixels"));
  // Same values as torchvision's ToTensor: float(byte) / 255 in float32.
  std::array<float, 256> lut;
  for (int i = 0; i < 256; ++i) lut[i] = static_cast<float>(i) / 255.0f;
  Tensor out = empty({n, 1, rows, cols}, kFloat32);  // (N, 1, rows, cols)
  float* o = out.data_ptr<float>();
  for (size_t i = 0; i < pixels.size(); ++i) o[i] = lut[pixels[i]];
  return out;
}

Tensor read_idx_labels(const std::string& path) {
  const char* op = "read_idx_labels";
  IdxFile f(path, op);
  f.check_magic(kLabelsMagic, "label");
  const int64_t n = f.read_u32("label count");
  std::vector<uint8_t> labels = f.read_payload(static_cast<size_t>(n), ember::detail::str_cat(n, " labels"));
  Tensor out = empty({n}, kInt64);  // (N,)
  int64_t* o = out.data_ptr<int64_t>();
  for (int64_t i = 0; i < n; ++i) o[i] = labels[static_cast<size_t>(i)];
  return out;
}

}  // namespace ember::data
