#pragma once
// Argument checks shared by the image transforms.
#include "ember/tensor.h"

namespace ember::data::detail {

// Throws unless `image` is a defined (C, H, W) float32/float64 tensor; errors name `op`.
void check_image(const Tensor& image, const char* op);

// Calls f.template operator()<T>() with T = float or double, the C++ type of a checked image.
template <class F> void with_image_type(const Tensor& image, F&& f) {
  if (image.dtype() == kFloat64) f.template operator()<double>();
  else f.template operator()<float>();
}

}  // namespace ember::data::detail
