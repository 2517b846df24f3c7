// MNIST: the real files in the shared data folder, data-root resolution, and every kind of bad
// input (small corrupt IDX files written into a temporary directory).
#include <gtest/gtest.h>
#include <zlib.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>

#include "ember/ember.h"
#include "op_registry.h"
#include "temp_dir.h"

using namespace ember;
using namespace ember::data;
using ember::test::TempDir;

namespace {

std::string be32(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
}

// An IDX image file with n images of rows x cols; pixel (i, k) = (i * 31 + k) % 256.
std::string idx_images(uint32_t n, uint32_t rows = 28, uint32_t cols = 28, uint32_t magic = 2051) {
  std::string s = be32(magic) + be32(n) + be32(rows) + be32(cols);
  for (uint32_t i = 0; i < n; ++i)
    for (uint32_t k = 0; k < rows * cols; ++k) s.push_back(static_cast<char>((i * 31 + k) % 256));
  return s;
}

std::string idx_labels(uint32_t n, uint32_t magic = 2049) {
  std::string s = be32(magic) + be32(n);
  for (uint32_t i = 0; i < n; ++i) s.push_back(static_cast<char>(i % 10));
  return s;
}

void write_gz(const std::string& path, const std::string& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())), static_cast<int>(bytes.size()));
  gzclose(f);
}

// Sets an environment variable for one scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old, had_ = true;
    if (value) setenv(name, value, 1);
    else unsetenv(name);
  }
  ~ScopedEnv() {
    if (had_) setenv(name_, old_.c_str(), 1);
    else unsetenv(name_);
  }

 private:
  const char* name_;
  std::string old_;
  bool had_ = false;
};

// The real data, loaded once for the suite.
class MnistReal : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    train_ = std::make_unique<MNIST>("", true);
    test_ = std::make_unique<MNIST>("", false);
  }
  static void TearDownTestSuite() {
    train_.reset();
    test_.reset();
  }
  static std::unique_ptr<MNIST> train_, test_;
};
std::unique_ptr<MNIST> MnistReal::train_, MnistReal::test_;

}  // namespace

TEST_F(MnistReal, CountsShapesAndLabels) {
  EXPECT_EQ(train_->size(), 60000);
  EXPECT_EQ(test_->size(), 10000);
  EXPECT_EQ(train_->images().shape(), (Shape{60000, 1, 28, 28}));
  EXPECT_EQ(train_->images().dtype(), kFloat32);
  EXPECT_EQ(train_->targets().shape(), (Shape{60000}));
  EXPECT_EQ(train_->targets().dtype(), kInt64);
  auto first = [](const Tensor& t) {
    auto v = t.to_vector<int64_t>();
    return std::vector<int64_t>(v.begin(), v.begin() + 10);
  };
  EXPECT_EQ(first(train_->targets()), (std::vector<int64_t>{5, 0, 4, 1, 9, 2, 1, 3, 1, 4}));
  EXPECT_EQ(first(test_->targets()), (std::vector<int64_t>{7, 2, 1, 0, 4, 1, 4, 9, 5, 9}));
  // Checksums of the label files (computed independently from the gzip'd files with Python).
  EXPECT_EQ(train_->targets().sum().item<int64_t>(), 267236);
  EXPECT_EQ(test_->targets().sum().item<int64_t>(), 44434);
  Example e = train_->get(0);
  EXPECT_EQ(e.data.shape(), (Shape{1, 28, 28}));
  EXPECT_EQ(e.target.item<int64_t>(), 5);
}

TEST_F(MnistReal, PixelsScaledToUnitRange) {
  const Tensor& x = train_->images();
  auto v = x.to_vector<float>();
  auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  EXPECT_EQ(*lo, 0.0f);
  EXPECT_EQ(*hi, 1.0f);
  // The usual MNIST training mean; the first image's bytes add up to 27525.
  EXPECT_NEAR(x.mean().item<double>(), 0.13066, 1e-4);
  EXPECT_NEAR(train_->get(0).data.sum().item<double>(), 27525.0 / 255.0, 1e-3);
  EXPECT_EQ(v[14 * 28 + 14], 240.0f / 255.0f);
}

TEST_F(MnistReal, BatchesThroughDataLoaderWithTransform) {
  auto ds = std::make_shared<MNIST>("", false, Compose({RandomCrop(28, 2), Normalize({0.1307}, {0.3081})}));
  DataLoader loader(ds, {.batch_size = 64, .shuffle = true, .seed = 5, .num_workers = 2});
  EXPECT_EQ(loader.size(), 157);
  int64_t n = 0, batches = 0;
  for (const Batch& b : loader) {
    EXPECT_EQ(b.data.dim(), 4);
    EXPECT_EQ(b.data.size(1), 1);
    EXPECT_EQ(b.data.size(2), 28);
    EXPECT_EQ(b.target.dim(), 1);
    n += b.data.size(0);
    if (++batches == 20) break;  // enough to exercise the workers; the rest is abandoned
  }
  EXPECT_EQ(n, 20 * 64);
  EXPECT_EMBER_ERROR(ds->get(10000), "MNIST::get", "10000");
}

// ---------------------------------------------------------------- data root

TEST(DataRoot, ExplicitEnvAndMissing) {
  TempDir dir;
  EXPECT_EQ(resolve_data_root(dir.path()), dir.path());
  {
    ScopedEnv env("EMBER_DATA", dir.path().c_str());
    EXPECT_EQ(resolve_data_root(), dir.path());
  }
  {
    ScopedEnv env("EMBER_DATA", "/nonexistent/ember-data");
    EXPECT_EMBER_ERROR(resolve_data_root(), "EMBER_DATA='/nonexistent/ember-data'", "not a directory");
  }
  EXPECT_EMBER_ERROR(resolve_data_root("/nonexistent/ember-data"), "'/nonexistent/ember-data'", "not a directory");
  {
    ScopedEnv env("EMBER_DATA", nullptr);
    // From the build tree, ../shared/data beside the project is found by walking up.
    std::string found = resolve_data_root();
    EXPECT_TRUE(std::filesystem::is_directory(std::filesystem::path(found) / "mnist")) << found;
  }
}

// ---------------------------------------------------------------- bad input

TEST(MnistFiles, SmallValidSetRawAndGzip) {
  TempDir dir;
  std::filesystem::create_directory(dir.file("mnist"));
  dir.write("mnist/t10k-images-idx3-ubyte", idx_images(3));     // raw
  write_gz(dir.file("mnist/t10k-labels-idx1-ubyte.gz"), idx_labels(3));  // gzip
  MNIST m(dir.path(), false);
  EXPECT_EQ(m.size(), 3);
  EXPECT_EQ(m.images().shape(), (Shape{3, 1, 28, 28}));
  EXPECT_EQ(m.targets().to_vector<int64_t>(), (std::vector<int64_t>{0, 1, 2}));
  auto px = m.images().to_vector<float>();
  EXPECT_EQ(px[784 + 5], static_cast<float>((31 + 5) % 256) / 255.0f);
  // The folder holding the files can be given directly too.
  EXPECT_EQ(MNIST(dir.file("mnist"), false).size(), 3);
}

TEST(MnistFiles, MissingDirectoryAndFiles) {
  EXPECT_EMBER_ERROR(MNIST("/nonexistent/ember-data"), "/nonexistent/ember-data", "not a directory");
  TempDir dir;
  EXPECT_EMBER_ERROR(MNIST(dir.path(), true), "MNIST", "train-images-idx3-ubyte.gz", dir.path().c_str(), "EMBER_DATA",
                     "download");
  dir.write("t10k-images-idx3-ubyte", idx_images(2));
  EXPECT_EMBER_ERROR(MNIST(dir.path(), false), "MNIST", "t10k-labels-idx1-ubyte", "data root");
}

TEST(MnistFiles, WrongMagic) {
  TempDir dir;
  dir.write("t10k-images-idx3-ubyte", idx_images(2, 28, 28, 1234));
  dir.write("t10k-labels-idx1-ubyte", idx_labels(2));
  EXPECT_EMBER_ERROR(MNIST(dir.path(), false), "t10k-images-idx3-ubyte", "magic number 1234", "2051");
  // Swapped files: the message says so.
  dir.write("t10k-images-idx3-ubyte", idx_labels(2));
  EXPECT_EMBER_ERROR(MNIST(dir.path(), false), "magic number 2049", "label file", "swapped");
  dir.write("t10k-images-idx3-ubyte", idx_images(2));
  dir.write("t10k-labels-idx1-ubyte", idx_labels(2, 2051));
  EXPECT_EMBER_ERROR(MNIST(dir.path(), false), "t10k-labels-idx1-ubyte", "magic number 2051", "2049");
}

TEST(MnistFiles, TruncatedFiles) {
  TempDir dir;
  std::string images = idx_images(4);
  dir.write("t10k-labels-idx1-ubyte", idx_labels(4));
  dir.write("t10k-images-idx3-ubyte", images.substr(0, images.size() - 100));
  EXPECT_EMBER_ERROR(MNIST(dir.path(), false), "t10k-images-idx3-ubyte", "truncated", "4 images of 28x28",
                     "3036 bytes follow");
  dir.write("t10k-images-idx3-ubyte", images.substr(0, 10));
  EXPECT_EMBER_ERROR(MNIST(dir.path(), false), "truncated", "header");
  // A cut gzip stream.
  std::filesystem::remove(dir.file("t10k-images-idx3-ubyte"));
  write_gz(dir.file("t10k-images-idx3-ubyte.gz"), images);
  std::string gz = ember::test::read_file(dir.file("t10k-images-idx3-ubyte.gz"));
  dir.write("t10k-images-idx3-ubyte.gz", gz.substr(0, gz.size() / 2));
  EXPECT_EMBER_ERROR(MNIST(dir.path(), false), "t10k-images-idx3-ubyte.gz", "truncated");
  // Extra bytes after the promised data.
  std::filesystem::remove(dir.file("t10k-images-idx3-ubyte.gz"));
  dir.write("t10k-images-idx3-ubyte", images + "junk");
  EXPECT_EMBER_ERROR(MNIST(dir.path(), false), "t10k-images-idx3-ubyte", "data after");
}

TEST(MnistFiles, CountMismatchDimsAndLabels) {
  TempDir dir;
  dir.write("t10k-images-idx3-ubyte", idx_images(5));
  dir.write("t10k-labels-idx1-ubyte", idx_labels(4));
  EXPECT_EMBER_ERROR(MNIST(dir.path(), false), "MNIST", "5 images", "4 labels", "t10k-labels-idx1-ubyte");
  dir.write("t10k-images-idx3-ubyte", idx_images(4, 27, 28));
  EXPECT_EMBER_ERROR(MNIST(dir.path(), false), "27x28", "28x28");
  dir.write("t10k-images-idx3-ubyte", idx_images(4));
  std::string labels = idx_labels(4);
  labels[8 + 2] = 12;
  dir.write("t10k-labels-idx1-ubyte", labels);
  EXPECT_EMBER_ERROR(MNIST(dir.path(), false), "label 12", "index 2");
  // A corrupt header that promises a huge file fails as truncated, without a huge allocation.
  dir.write("t10k-images-idx3-ubyte", be32(2051) + be32(4000000000u) + be32(28) + be32(28) + "abc");
  EXPECT_EMBER_ERROR(MNIST(dir.path(), false), "truncated", "4000000000 images");
}

TEST(MnistFiles, CorruptGzip) {
  TempDir dir;
  std::string junk = "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03garbage-that-is-not-deflate";
  dir.write("t10k-images-idx3-ubyte.gz", junk);
  dir.write("t10k-labels-idx1-ubyte", idx_labels(1));
  EXPECT_EMBER_ERROR(MNIST(dir.path(), false), "t10k-images-idx3-ubyte.gz");
}
