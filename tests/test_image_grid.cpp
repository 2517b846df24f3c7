// io::write_image_grid: PNG layout read back with libpng, errors on bad shapes, values and paths,
// and atomic replacement.
#include <gtest/gtest.h>
#include <png.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "ember/io/image_grid.h"
#include "op_registry.h"
#include "temp_dir.h"

namespace ember::test {
namespace {

struct Gray {
  int64_t width = 0, height = 0;
  int color_type = -1, bit_depth = 0;
  std::vector<uint8_t> px;
  int at(int64_t x, int64_t y) const { return px[static_cast<size_t>(y * width + x)]; }
};

// Decodes a PNG file with libpng's simplified API (no conversion: the file must be 8-bit gray).
Gray read_png(const std::string& path) {
  Gray g;
  png_image img{};
  img.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_file(&img, path.c_str())) throw Error("read_png: " + std::string(img.message));
  g.width = img.width, g.height = img.height;
  g.color_type = (img.format & PNG_FORMAT_FLAG_COLOR) ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_GRAY;
  g.bit_depth = (img.format & PNG_FORMAT_FLAG_LINEAR) ? 16 : 8;
  img.format = PNG_FORMAT_GRAY;
  g.px.resize(PNG_IMAGE_SIZE(img));
  if (!png_image_finish_read(&img, nullptr, g.px.data(), 0, nullptr)) throw Error("read_png: " + std::string(img.message));
  return g;
}

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream os;
  os << f.rdbuf();
  return os.str();
}

// Image k (of 2 x 3 pixels) holds the values (10 k + 2 y + x) / 255, so every pixel is identifiable.
Tensor numbered_images(int64_t n) {
  Tensor t = empty({n, 1, 2, 3});
  float* p = t.data_ptr<float>();
  for (int64_t k = 0; k < n; ++k)
    for (int64_t y = 0; y < 2; ++y)
      for (int64_t x = 0; x < 3; ++x) p[(k * 2 + y) * 3 + x] = static_cast<float>(10 * k + 3 * y + x) / 255.0f;
  return t;
}

TEST(ImageGrid, LayoutReadsBackWithLibpng) {
  TempDir d;
  io::ImageGridOptions o;
  o.columns = 2, o.padding = 1, o.pad_value = 0.5, o.scale = 2;
  io::write_image_grid(d.file("grid.png"), numbered_images(3), o);
  Gray g = read_png(d.file("grid.png"));
  EXPECT_EQ(g.color_type, PNG_COLOR_TYPE_GRAY);
  EXPECT_EQ(g.bit_depth, 8);
  // 2 columns of 6-pixel-wide cells, 2 rows of 4-pixel-high cells, 1 pixel of padding around each.
  ASSERT_EQ(g.width, 2 * (6 + 1) + 1);
  ASSERT_EQ(g.height, 2 * (4 + 1) + 1);
  for (int64_t k = 0; k < 4; ++k) {
    int64_t x0 = 1 + (k % 2) * 7, y0 = 1 + (k / 2) * 5;
    for (int64_t y = 0; y < 4; ++y)
      for (int64_t x = 0; x < 6; ++x) {
        int want = k < 3 ? static_cast<int>(10 * k + 3 * (y / 2) + x / 2) : 128;  // the 4th cell is empty
        EXPECT_EQ(g.at(x0 + x, y0 + y), want) << "image " << k << " pixel (" << x << ", " << y << ")";
      }
  }
  for (int64_t x = 0; x < g.width; ++x) EXPECT_EQ(g.at(x, 0), 128) << "top padding";
  for (int64_t y = 0; y < g.height; ++y) EXPECT_EQ(g.at(7, y), 128) << "padding between columns";
}

TEST(ImageGrid, AcceptsThreeDimsFloat64AndRoundsToNearest) {
  TempDir d;
  Tensor imgs = tensor({0.0f, 1.0f, 0.5f, 0.2f}, {1, 2, 2}).to(kFloat64);
  io::ImageGridOptions o;
  o.padding = 0;
  io::write_image_grid(d.file("one.png"), imgs, o);
  Gray g = read_png(d.file("one.png"));
  ASSERT_EQ(g.width, 2);
  ASSERT_EQ(g.height, 2);
  EXPECT_EQ(g.px, (std::vector<uint8_t>{0, 255, 128, 51}));  // round(127.5) = 128, round(51.0) = 51
  // columns larger than N: one row as wide as the images.
  o.columns = 10;
  io::write_image_grid(d.file("row.png"), numbered_images(3), o);
  EXPECT_EQ(read_png(d.file("row.png")).width, 9);
  // The bytes written are the bytes encode_image_grid returns.
  EXPECT_EQ(slurp(d.file("row.png")), io::encode_image_grid(numbered_images(3), o));
}

TEST(ImageGrid, BadShapesValuesAndOptionsAreErrors) {
  TempDir d;
  std::string p = d.file("x.png");
  EXPECT_EMBER_ERROR(io::write_image_grid(p, zeros({2, 3, 4, 4})), "write_image_grid", "(N, 1, H, W)", "[2, 3, 4, 4]");
  EXPECT_EMBER_ERROR(io::write_image_grid(p, zeros({4, 4})), "write_image_grid", "[4, 4]");
  EXPECT_EMBER_ERROR(io::write_image_grid(p, zeros({1, 1, 1, 4, 4})), "write_image_grid", "[1, 1, 1, 4, 4]");
  EXPECT_EMBER_ERROR(io::write_image_grid(p, zeros({0, 1, 4, 4})), "write_image_grid", "no pixels", "[0, 1, 4, 4]");
  EXPECT_EMBER_ERROR(io::write_image_grid(p, zeros({2, 1, 4, 4}, kInt64)), "write_image_grid", "int64", "[0, 1]");
  EXPECT_EMBER_ERROR(io::write_image_grid(p, full({2, 1, 2, 2}, 1.5)), "write_image_grid", "[0, 1]", "1.5");
  EXPECT_EMBER_ERROR(io::write_image_grid(p, full({2, 1, 2, 2}, -0.25)), "write_image_grid", "-0.25");
  Tensor nan = zeros({3, 1, 2, 2});
  nan.select(0, 2).fill_(std::nan(""));
  EXPECT_EMBER_ERROR(io::write_image_grid(p, nan), "write_image_grid", "nan", "image 2");
  io::ImageGridOptions o;
  o.columns = 0;
  EXPECT_EMBER_ERROR(io::write_image_grid(p, zeros({1, 1, 2, 2}), o), "columns must be positive");
  o = {};
  o.scale = 0;
  EXPECT_EMBER_ERROR(io::write_image_grid(p, zeros({1, 1, 2, 2}), o), "scale must be positive");
  o = {};
  o.padding = -1;
  EXPECT_EMBER_ERROR(io::write_image_grid(p, zeros({1, 1, 2, 2}), o), "padding must be non-negative");
  o = {};
  o.pad_value = 2;
  EXPECT_EMBER_ERROR(io::write_image_grid(p, zeros({1, 1, 2, 2}), o), "pad_value", "[0, 1]");
  o = {};
  o.scale = 400000;
  EXPECT_EMBER_ERROR(io::write_image_grid(p, zeros({1, 1, 2, 2}), o), "800004x800004 pixels", "smaller scale");
  EXPECT_TRUE(d.list().empty());  // nothing written by any failed call
}

TEST(ImageGrid, UnwritablePathsAreErrorsNamingThePath) {
  EXPECT_EMBER_ERROR(io::write_image_grid("/nonexistent-ember-dir/grid.png", zeros({1, 1, 2, 2})), "write_image_grid",
                     "/nonexistent-ember-dir/grid.png", "directory");
  EXPECT_EMBER_ERROR(io::write_image_grid("", zeros({1, 1, 2, 2})), "write_image_grid", "path is empty");
  TempDir d;
  std::filesystem::create_directory(d.file("sub"));
  // A directory in the way of the file: the rename fails and nothing is left behind.
  EXPECT_EMBER_ERROR(io::write_image_grid(d.file("sub"), zeros({1, 1, 2, 2})), "write_image_grid", "sub");
  EXPECT_EQ(d.list(), std::vector<std::string>{"sub"});
}

TEST(ImageGrid, ReplacesAtomicallyAndKeepsTheOldFileOnError) {
  TempDir d;
  std::string p = d.file("grid.png");
  io::write_image_grid(p, zeros({1, 1, 2, 2}));
  std::string first = slurp(p);
  EXPECT_EMBER_ERROR(io::write_image_grid(p, full({1, 1, 2, 2}, 3.0)), "write_image_grid");
  EXPECT_EQ(slurp(p), first);  // a failed write leaves the previous file as it was
  io::write_image_grid(p, ones({1, 1, 2, 2}));
  EXPECT_NE(slurp(p), first);
  Gray g = read_png(p);
  EXPECT_EQ(g.at(3, 3), 255);
  EXPECT_EQ(d.list(), std::vector<std::string>{"grid.png"});  // no temporary files left
}

}  // namespace
}  // namespace ember::test
