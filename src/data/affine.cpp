// affine / RandomAffine: rotation about the image centre, scale and translation, sampled by
// inverse mapping with nearest or bilinear interpolation and zero fill.
#include <cmath>
#include <numbers>

#include "data/image.h"
#include "ember/data/transforms.h"
#include "ember/ops.h"

namespace ember::data {

namespace {

template <typename T>
void affine_kernel(const T* in, T* out, int64_t C, int64_t H, int64_t W, double cos_a, double sin_a, double tx,
                   double ty, double inv_scale, Interpolation interp) {
  const double cx = 0.5 * static_cast<double>(W - 1), cy = 0.5 * static_cast<double>(H - 1);
  auto at = [&](const T* plane, int64_t y, int64_t x) -> double {
    return (y >= 0 && y < H && x >= 0 && x < W) ? static_cast<double>(plane[y * W + x]) : 0.0;
  };
  for (int64_t y = 0; y < H; ++y) {
    for (int64_t x = 0; x < W; ++x) {
      // Output offset from the centre, undo translation and scale, then rotate by -angle.
      const double u1 = (static_cast<double>(x) - cx - tx) * inv_scale;
      const double v1 = (static_cast<double>(y) - cy - ty) * inv_scale;
      const double xs = cos_a * u1 - sin_a * v1 + cx;
      const double ys = sin_a * u1 + cos_a * v1 + cy;
      if (interp == Interpolation::Nearest) {
        const int64_t xi = static_cast<int64_t>(std::floor(xs + 0.5)), yi = static_cast<int64_t>(std::floor(ys + 0.5));
        for (int64_t c = 0; c < C; ++c) out[(c * H + y) * W + x] = static_cast<T>(at(in + c * H * W, yi, xi));
      } else {
        const double fx0 = std::floor(xs), fy0 = std::floor(ys);
        const double wx = xs - fx0, wy = ys - fy0;
        const int64_t x0 = static_cast<int64_t>(fx0), y0 = static_cast<int64_t>(fy0);
        for (int64_t c = 0; c < C; ++c) {
          const T* p = in + c * H * W;
          const double top = (1 - wx) * at(p, y0, x0) + wx * at(p, y0, x0 + 1);
          const double bottom = (1 - wx) * at(p, y0 + 1, x0) + wx * at(p, y0 + 1, x0 + 1);
          out[(c * H + y) * W + x] = static_cast<T>((1 - wy) * top + wy * bottom);
        }
      }
    }
  }
}

}  // namespace

Tensor affine(const Tensor& image, double angle_degrees, double tx, double ty, double scale, Interpolation interp) {
  detail::check_image(image, "affine");
  EMBER_CHECK(std::isfinite(angle_degrees) && std::isfinite(tx) && std::isfinite(ty), "affine",
              "angle and translation must be finite, got angle ", angle_degrees, ", translate (", tx, ", ", ty, ")");
  EMBER_CHECK(std::isfinite(scale) && scale > 0, "affine", "scale must be positive and finite, got ", scale);
  Tensor src = image.contiguous();
  Tensor out = empty(src.shape(), src.dtype());
  const double a = angle_degrees * std::numbers::pi / 180.0;
  // Exact values at multiples of 90 degrees keep nearest-neighbour rotations exact.
  double cos_a = std::cos(a), sin_a = std::sin(a);
  if (std::fmod(angle_degrees, 90.0) == 0.0) {
    cos_a = std::round(cos_a);
    sin_a = std::round(sin_a);
  }
  detail::with_image_type(src, [&]<typename T>() {
    affine_kernel<T>(src.data_ptr<T>(), out.data_ptr<T>(), src.size(0), src.size(1), src.size(2), cos_a, sin_a, tx, ty,
                     1.0 / scale, interp);
  });
  return out;
}

RandomAffine::RandomAffine(std::array<double, 2> degrees, std::array<double, 2> translate, Interpolation interpolation,
                           std::array<double, 2> scale)
    : degrees_(degrees), translate_(translate), scale_(scale), interpolation_(interpolation) {
  EMBER_CHECK(degrees_[0] <= degrees_[1], "RandomAffine", "degrees range (", degrees_[0], ", ", degrees_[1],
              ") is empty; a single value d means (-d, d) and must be >= 0");
  for (double t : translate_)
    EMBER_CHECK(t >= 0.0 && t <= 1.0, "RandomAffine", "translate fractions must be in [0, 1], got (", translate_[0],
                ", ", translate_[1], ")");
  EMBER_CHECK(scale_[0] > 0 && scale_[0] <= scale_[1], "RandomAffine", "scale range (", scale_[0], ", ", scale_[1],
              ") must be positive and ordered");
}

Tensor RandomAffine::operator()(const Tensor& image, Generator& gen) const {
  detail::check_image(image, "RandomAffine");
  auto uniform = [&](double lo, double hi) { return lo + (hi - lo) * gen.uniform(); };
  const double angle = uniform(degrees_[0], degrees_[1]);
  const double max_dx = translate_[0] * static_cast<double>(image.size(2));
  const double max_dy = translate_[1] * static_cast<double>(image.size(1));
  const double tx = std::round(uniform(-max_dx, max_dx));
  const double ty = std::round(uniform(-max_dy, max_dy));
  const double scale = uniform(scale_[0], scale_[1]);
  return affine(image, angle, tx, ty, scale, interpolation_);
}

}  // namespace ember::data
