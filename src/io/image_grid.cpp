#include "ember/io/image_grid.h"

#include <cmath>
#include <vector>

#include "ember/autograd.h"
#include "ember/io/png.h"
#include "ember/io/file.h"

namespace ember::io {

namespace {
constexpr const char* kOp = "write_image_grid";
}  // namespace

std::string encode_image_grid(const Tensor& images, const ImageGridOptions& o) {
  EMBER_CHECK(images.defined(), kOp, "the images tensor is undefined");
  const Shape& s = images.shape();
  EMBER_CHECK((images.dim() == 4 && s[1] == 1) || images.dim() == 3, kOp,
              "expected grayscale images of shape (N, 1, H, W) or (N, H, W), got ", shape_str(s),
              images.dim() == 4 ? " (one channel only; pick a channel with select(1, c))" : "");
  EMBER_CHECK(images.is_floating_point(), kOp, "expected floating-point values in [0, 1], got dtype ",
              dtype_name(images.dtype()), "; convert with .to(kFloat32) and divide by 255 if needed");
  const int64_t n = s[0], h = s[images.dim() - 2], w = s[images.dim() - 1];
  EMBER_CHECK(n > 0 && h > 0 && w > 0, kOp, "no pixels to draw in images of shape ", shape_str(s));
  EMBER_CHECK(o.columns > 0, kOp, "columns must be positive, got ", o.columns);
  EMBER_CHECK(o.padding >= 0, kOp, "padding must be non-negative, got ", o.padding);
  EMBER_CHECK(o.scale > 0, kOp, "scale must be positive, got ", o.scale);
  EMBER_CHECK(o.pad_value >= 0 && o.pad_value <= 1, kOp, "pad_value must be in [0, 1], got ", o.pad_value);

  std::vector<double> v;
  {
    NoGradGuard ng;
    v = images.detach().to_vector<double>();
  }
  for (size_t i = 0; i < v.size(); ++i)
    EMBER_CHECK(v[i] >= 0.0 && v[i] <= 1.0, kOp, "pixel values must lie in [0, 1], found ", v[i], " in image ",
                static_cast<int64_t>(i) / (h * w), " of shape ", shape_str(s),
                "; clamp or rescale the images first (a Sigmoid output is in range)");

  const int64_t cols = std::min(o.columns, n), rows = (n + cols - 1) / cols;
  const int64_t cell_w = w * o.scale, cell_h = h * o.scale;
  const int64_t width = cols * (cell_w + o.padding) + o.padding, height = rows * (cell_h + o.padding) + o.padding;
  // PNG rows up to 1,000,000 pixels (libpng's default limit), and at most 256 Mi pixels in all.
  EMBER_CHECK(width <= 1000000 && height <= 1000000 && width * height <= (int64_t{1} << 28), kOp, "a grid of ", n, " images of ", h, "x", w, " at scale ",
              o.scale, " would be ", width, "x", height, " pixels; use fewer images or a smaller scale");
  auto to_byte = [](double x) { return static_cast<uint8_t>(std::lround(x * 255.0)); };
  std::vector<uint8_t> px(static_cast<size_t>(width * height), to_byte(o.pad_value));
  for (int64_t k = 0; k < n; ++k) {
    const int64_t x0 = o.padding + (k % cols) * (cell_w + o.padding);
    const int64_t y0 = o.padding + (k / cols) * (cell_h + o.padding);
    const double* img = v.data() + k * h * w;
    for (int64_t y = 0; y < cell_h; ++y) {
      uint8_t* row = px.data() + (y0 + y) * width + x0;
      const double* src = img + (y / o.scale) * w;
      for (int64_t x = 0; x < cell_w; ++x) row[x] = to_byte(src[x / o.scale]);
    }
  }
  return encode_png(px.data(), width, height, 1, kOp);
}

void write_image_grid(const std::string& path, const Tensor& images, const ImageGridOptions& options) {
  EMBER_CHECK(!path.empty(), kOp, "the output path is empty");
  std::string bytes = encode_image_grid(images, options);
  write_file_atomic(path, bytes, kOp);
}

}  // namespace ember::io
