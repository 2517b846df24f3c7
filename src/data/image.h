#pragma once
// Argument checks shared by the image transforms.
#include "ember/tensor.h"

namespace ember::data::detail {

// Throws unless `image` is a defined (C, H, W) float32/float64 tensor; errors name `op`.
void check_image(const Tensor& image, const char* op);

}  // namespace ember::data::detail
