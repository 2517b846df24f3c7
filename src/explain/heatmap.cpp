#include "ember/explain/heatmap.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <vector>

#include "ember/autograd.h"
#include "ember/io/file.h"
#include "ember/io/png.h"

namespace ember::explain {

namespace {

constexpr const char* kOp = "write_attribution_png";

// (H, W) or (1, H, W) -> values, h, w.
std::vector<double> plane(const Tensor& t, const char* what, int64_t& h, int64_t& w) {
  EMBER_CHECK(t.defined(), kOp, "the ", what, " tensor is undefined");
  EMBER_CHECK(t.is_floating_point(), kOp, "the ", what, " must be floating point, got dtype ", dtype_name(t.dtype()));
  EMBER_CHECK(t.dim() == 2 || (t.dim() == 3 && t.size(0) == 1), kOp, "expected the ", what,
              " as (H, W) or (1, H, W), got ", shape_str(t.shape()));
  h = t.size(t.dim() - 2), w = t.size(t.dim() - 1);
  EMBER_CHECK(h > 0 && w > 0, kOp, "the ", what, " of shape ", shape_str(t.shape()), " has no pixels");
  NoGradGuard ng;
  return t.detach().to_vector<double>();
}

// The |a| level holding (100 - outlier_percent)% of the total (Captum's _cumulative_sum_threshold).
double saturation(const std::vector<double>& a, double outlier_percent) {
  std::vector<double> s(a.size());
  std::transform(a.begin(), a.end(), s.begin(), [](double v) { return std::abs(v); });
  std::sort(s.begin(), s.end());
  double total = 0;
  for (double v : s) total += v;
  const double goal = total * (100.0 - outlier_percent) / 100.0;
  double run = 0;
  for (double v : s) {
    run += v;
    if (run >= goal) return v;
  }
  return s.empty() ? 0 : s.back();
}

}  // namespace

std::string encode_attribution_png(const Tensor& image, const Tensor& attribution, const HeatmapOptions& o) {
  int64_t h, w, ah, aw;
  std::vector<double> img = plane(image, "image", h, w);
  std::vector<double> att = plane(attribution, "attribution", ah, aw);
  EMBER_CHECK(h == ah && w == aw, kOp, "the image ", shape_str(image.shape()), " and the attribution ",
              shape_str(attribution.shape()), " must have the same size");
  EMBER_CHECK(o.scale >= 1 && o.scale <= 64, kOp, "scale must be in [1, 64], got ", o.scale);
  EMBER_CHECK(o.padding >= 0, kOp, "padding must be non-negative, got ", o.padding);
  EMBER_CHECK(o.outlier_percent >= 0 && o.outlier_percent < 100, kOp, "outlier_percent must be in [0, 100), got ",
              o.outlier_percent);
  for (double v : img) EMBER_CHECK(std::isfinite(v), kOp, "the image holds a non-finite value ", v);
  for (double v : att) EMBER_CHECK(std::isfinite(v), kOp, "the attribution holds a non-finite value ", v);

  const auto [lo_it, hi_it] = std::minmax_element(img.begin(), img.end());
  const double lo = *lo_it, range = *hi_it - *lo_it;
  const double sat = saturation(att, o.outlier_percent);
  const int64_t cw = w * o.scale, ch = h * o.scale;
  const int64_t width = 2 * cw + 3 * o.padding, height = ch + 2 * o.padding;
  std::vector<uint8_t> px(static_cast<size_t>(width * height * 3), 128);
  auto put = [&](int64_t x, int64_t y, double r, double g, double b) {
    uint8_t* p = px.data() + 3 * (y * width + x);
    p[0] = static_cast<uint8_t>(std::lround(std::clamp(r, 0.0, 255.0)));
    p[1] = static_cast<uint8_t>(std::lround(std::clamp(g, 0.0, 255.0)));
    p[2] = static_cast<uint8_t>(std::lround(std::clamp(b, 0.0, 255.0)));
  };
  for (int64_t y = 0; y < ch; ++y)
    for (int64_t x = 0; x < cw; ++x) {
      const size_t i = static_cast<size_t>((y / o.scale) * w + x / o.scale);
      const double gray = range > 0 ? 255.0 * (img[i] - lo) / range : 0.0;
      put(o.padding + x, o.padding + y, gray, gray, gray);
      // The dimmed digit under the attribution's colour, blended by its strength.
      const double a = sat > 0 ? std::clamp(att[i] / sat, -1.0, 1.0) : 0.0, t = std::abs(a), dim = 0.35 * gray;
      const double cr = a >= 0 ? 255 : 40, cg = a >= 0 ? 50 : 120, cb = a >= 0 ? 30 : 255;
      put(2 * o.padding + cw + x, o.padding + y, dim * (1 - t) + cr * t, dim * (1 - t) + cg * t, dim * (1 - t) + cb * t);
    }
  return io::encode_png(px.data(), width, height, 3, kOp);
}

void write_attribution_png(const std::string& path, const Tensor& image, const Tensor& attribution,
                           const HeatmapOptions& options) {
  EMBER_CHECK(!path.empty(), kOp, "the output path is empty");
  io::write_file_atomic(path, encode_attribution_png(image, attribution, options), kOp);
}

}  // namespace ember::explain
