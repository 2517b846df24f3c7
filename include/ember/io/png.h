#pragma once
// PNG encoding with libpng (the image grid writer and the training-curve plots use it).
#include <cstdint>
#include <string>

namespace ember::io {

// 8-bit pixels, row-major, `channels` per pixel (1: gray, 3: RGB, 4: RGBA). Returns the PNG file's bytes;
// errors name `op`.
std::string encode_png(const uint8_t* pixels, int64_t width, int64_t height, int channels, const char* op);

}  // namespace ember::io
