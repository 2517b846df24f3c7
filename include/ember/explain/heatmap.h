#pragma once
// An attribution map drawn as a PNG: the input image on the left, on the right the same image
// dimmed with the attributions over it (red: raises the target score, blue: lowers it).
#include <cstdint>
#include <string>

#include "ember/tensor.h"

namespace ember::explain {

struct HeatmapOptions {
  int64_t scale = 8;    // each pixel drawn as a scale x scale block
  int64_t padding = 4;  // gray pixels around and between the two panels
  // Colours saturate at the value below which (100 - outlier_percent)% of the total |attribution|
  // lies (Captum's visualize_image_attr), so a few extreme pixels do not wash out the rest.
  double outlier_percent = 2.0;
};

// image, attribution: (H, W) or (1, H, W), floating point; the image in any range (scaled from its
// min to its max). Errors name the shapes and the path; the write is atomic.
std::string encode_attribution_png(const Tensor& image, const Tensor& attribution, const HeatmapOptions& options = {});
void write_attribution_png(const std::string& path, const Tensor& image, const Tensor& attribution,
                           const HeatmapOptions& options = {});

}  // namespace ember::explain
