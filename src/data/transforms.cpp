// Image transforms on (C, H, W) tensors: Compose, Normalize, RandomCrop, RandomHorizontalFlip.
// (RandomAffine lives in affine.cpp.)
#include "ember/data/transforms.h"

#include <cstring>

#include "data/image.h"
#include "ember/autograd.h"
#include "ember/ops.h"

namespace ember::data {

namespace detail {
void check_image(const Tensor& image, const char* op) {
  EMBER_CHECK(image.defined(), op, "image tensor is undefined");
  EMBER_CHECK(image.dim() == 3, op, "expected a (C, H, W) image, got shape ", shape_str(image.shape()),
              image.dim() == 2 ? "; add a channel dim with unsqueeze(0)" : "");
  EMBER_CHECK(image.dtype() == kFloat32 || image.dtype() == kFloat64, op, "expected a float32 or float64 image, got ",
              dtype_name(image.dtype()), "; convert with .to(ember::kFloat32)");
}
}  // namespace detail
using detail::check_image;

int64_t uniform_int(Generator& gen, int64_t low, int64_t high) {
  EMBER_CHECK(low <= high, "uniform_int", "low (", low, ") must not exceed high (", high, ")");
  // Lemire's multiply-shift: maps 64 random bits onto the range with bias below range / 2^64.
  uint64_t range = static_cast<uint64_t>(high - low) + 1;
  if (range == 0) return static_cast<int64_t>(gen.engine()());  // the full 64-bit range
  unsigned __int128 m = static_cast<unsigned __int128>(gen.engine()()) * range;
  return low + static_cast<int64_t>(static_cast<uint64_t>(m >> 64));
}

Compose::Compose(std::vector<Transform> transforms) : transforms_(std::move(transforms)) {
  for (size_t i = 0; i < transforms_.size(); ++i)
    EMBER_CHECK(static_cast<bool>(transforms_[i]), "Compose", "transform ", i, " is empty");
}

Tensor Compose::operator()(const Tensor& image, Generator& gen) const {
  Tensor x = image;
  for (const auto& t : transforms_) x = t(x, gen);
  return x;
}

Normalize::Normalize(std::vector<double> mean, std::vector<double> std) : mean_(std::move(mean)), std_(std::move(std)) {
  EMBER_CHECK(!mean_.empty() && !std_.empty(), "Normalize", "mean and std need at least one value each");
  EMBER_CHECK(mean_.size() == std_.size() || mean_.size() == 1 || std_.size() == 1, "Normalize", "mean has ",
              mean_.size(), " values but std has ", std_.size(), "; give one per channel (or one for all)");
  for (size_t i = 0; i < std_.size(); ++i)
    EMBER_CHECK(std_[i] != 0.0, "Normalize", "std[", i, "] is 0, which would divide by zero");
  auto per_channel = [](const std::vector<double>& v, DType dt) {  // (len) -> (len, 1, 1)
    return tensor(v, {static_cast<int64_t>(v.size()), 1, 1}, dt);
  };
  mean32_ = per_channel(mean_, kFloat32), std32_ = per_channel(std_, kFloat32);
  mean64_ = per_channel(mean_, kFloat64), std64_ = per_channel(std_, kFloat64);
}

Tensor Normalize::operator()(const Tensor& image, Generator&) const {
  check_image(image, "Normalize");
  const int64_t C = image.size(0);
  for (const auto* v : {&mean_, &std_})
    EMBER_CHECK(v->size() == 1 || static_cast<int64_t>(v->size()) == C, "Normalize", "image has ", C,
                " channels (shape ", shape_str(image.shape()), ") but ", v == &mean_ ? "mean" : "std", " has ",
                v->size(), " values");
  const bool f32 = image.dtype() == kFloat32;
  NoGradGuard no_grad;
  return (image - (f32 ? mean32_ : mean64_)) / (f32 ? std32_ : std64_);  // (C, H, W) with (C, 1, 1)
}

Tensor crop_padded(const Tensor& image, int64_t top, int64_t left, int64_t height, int64_t width, int64_t padding) {
  check_image(image, "crop_padded");
  const int64_t C = image.size(0), H = image.size(1), W = image.size(2);
  EMBER_CHECK(padding >= 0 && height >= 0 && width >= 0, "crop_padded", "padding (", padding, ") and size (", height,
              ", ", width, ") must be non-negative");
  EMBER_CHECK(top >= 0 && left >= 0 && top + height <= H + 2 * padding && left + width <= W + 2 * padding,
              "crop_padded", "window at (", top, ", ", left, ") of size (", height, ", ", width,
              ") does not fit the padded image of size (", H + 2 * padding, ", ", W + 2 * padding, ")");
  NoGradGuard no_grad;
  Tensor out = zeros({C, height, width}, image.dtype());
  // The window in padded coordinates is [top, top + height); the image occupies [padding, padding + H).
  int64_t y0 = std::max(top, padding), y1 = std::min(top + height, padding + H);
  int64_t x0 = std::max(left, padding), x1 = std::min(left + width, padding + W);
  if (y0 < y1 && x0 < x1) {
    Tensor dst = out.slice(1, y0 - top, y1 - top).slice(2, x0 - left, x1 - left);
    dst.copy_(image.slice(1, y0 - padding, y1 - padding).slice(2, x0 - padding, x1 - padding));
  }
  return out;
}

RandomCrop::RandomCrop(std::array<int64_t, 2> size_hw, int64_t padding) : size_(size_hw), padding_(padding) {
  EMBER_CHECK(size_[0] > 0 && size_[1] > 0, "RandomCrop", "size must be positive, got (", size_[0], ", ", size_[1], ")");
  EMBER_CHECK(padding_ >= 0, "RandomCrop", "padding must be non-negative, got ", padding_);
}

Tensor RandomCrop::operator()(const Tensor& image, Generator& gen) const {
  check_image(image, "RandomCrop");
  const int64_t PH = image.size(1) + 2 * padding_, PW = image.size(2) + 2 * padding_;
  EMBER_CHECK(size_[0] <= PH && size_[1] <= PW, "RandomCrop", "crop size (", size_[0], ", ", size_[1],
              ") is larger than the padded image (", PH, ", ", PW, ") of an image of shape ",
              shape_str(image.shape()), " with padding ", padding_);
  int64_t top = uniform_int(gen, 0, PH - size_[0]);
  int64_t left = uniform_int(gen, 0, PW - size_[1]);
  return crop_padded(image, top, left, size_[0], size_[1], padding_);
}

Tensor hflip(const Tensor& image) {
  check_image(image, "hflip");
  Tensor src = image.contiguous();
  Tensor out = empty(src.shape(), src.dtype());
  const int64_t rows = src.size(0) * src.size(1), W = src.size(2);
  detail::with_image_type(src, [&]<typename T>() {
    const T* in = src.data_ptr<T>();
    T* o = out.data_ptr<T>();
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t x = 0; x < W; ++x) o[r * W + x] = in[r * W + (W - 1 - x)];
  });
  return out;
}

RandomHorizontalFlip::RandomHorizontalFlip(double p) : p_(p) {
  EMBER_CHECK(p >= 0.0 && p <= 1.0, "RandomHorizontalFlip", "p must be in [0, 1], got ", p);
}

Tensor RandomHorizontalFlip::operator()(const Tensor& image, Generator& gen) const {
  check_image(image, "RandomHorizontalFlip");
  return gen.uniform() < p_ ? hflip(image) : image;
}

}  // namespace ember::data
