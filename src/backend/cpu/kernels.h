#pragma once
// CPU kernels: no autograd, no argument checks beyond what the ops layer already did.
#include "ember/tensor.h"

namespace ember::cpu {

// dst[i] = convert(src[i]); src already expanded to dst's shape; any dtypes.
void copy(const Tensor& dst, const Tensor& src);

}  // namespace ember::cpu
