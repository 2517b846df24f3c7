#include "ember/io/png.h"

#include <png.h>

#include "ember/error.h"

namespace ember::io {

namespace {
void png_append(png_structp png, png_bytep data, png_size_t len) {
  auto* out = static_cast<std::string*>(png_get_io_ptr(png));
  out->append(reinterpret_cast<const char*>(data), len);
}
}  // namespace

std::string encode_png(const uint8_t* pixels, int64_t width, int64_t height, int channels, const char* op) {
  EMBER_CHECK(channels == 1 || channels == 3 || channels == 4, op,
              "PNG pixels must have 1 (gray), 3 (RGB) or 4 (RGBA) channels, got ", channels);
  // PNG's limit is 2^31 - 1 pixels per side; libpng's default user limit is 1,000,000.
  EMBER_CHECK(width > 0 && height > 0 && width <= 1000000 && height <= 1000000, op, "a PNG image of ", width, "x",
              height, " pixels cannot be written (each side must be 1 to 1,000,000)");
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  EMBER_CHECK(png != nullptr, op, "libpng could not start");
  png_infop info = png_create_info_struct(png);
  if (info == nullptr) {
    png_destroy_write_struct(&png, nullptr);
    EMBER_FAIL(op, "libpng could not start");
  }
  std::string out;
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    EMBER_FAIL(op, "libpng failed while encoding a ", width, "x", height, " image");
  }
  png_set_write_fn(png, &out, png_append, nullptr);
  png_set_IHDR(png, info, static_cast<png_uint_32>(width), static_cast<png_uint_32>(height), 8,
               channels == 1   ? PNG_COLOR_TYPE_GRAY
               : channels == 3 ? PNG_COLOR_TYPE_RGB
                               : PNG_COLOR_TYPE_RGBA,
               PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  const size_t row_bytes = static_cast<size_t>(width) * static_cast<size_t>(channels);
  for (int64_t y = 0; y < height; ++y)
    png_write_row(png, const_cast<png_bytep>(pixels + static_cast<size_t>(y) * row_bytes));
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return out;
}

}  // namespace ember::io
