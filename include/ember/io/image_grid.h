#pragma once
// A grid of grayscale images as one PNG (as torchvision.utils.save_image): for looking at
// reconstructions and samples of generative models.
#include <cstdint>
#include <string>

#include "ember/tensor.h"

namespace ember::io {

struct ImageGridOptions {
  int64_t columns = 8;     // images per row (torchvision's nrow); the last row may be partly empty
  int64_t padding = 2;     // pixels between images and around the grid
  double pad_value = 0.5;  // gray level of the padding in [0, 1] (mid-gray separates white-on-black digits)
  int64_t scale = 1;       // each pixel drawn as a scale x scale block (nearest neighbour)
};

// images: (N, 1, H, W) or (N, H, W), floating point, values in [0, 1] (0 black, 1 white), tiled
// row-major. Pixels are round(255 * v). Errors (naming the shape, the value or the path) on
// other shapes, values outside [0, 1] or NaN, and unwritable paths; the write is atomic.
void write_image_grid(const std::string& path, const Tensor& images, const ImageGridOptions& options = {});
// The PNG file's bytes, without writing.
std::string encode_image_grid(const Tensor& images, const ImageGridOptions& options = {});

}  // namespace ember::io
