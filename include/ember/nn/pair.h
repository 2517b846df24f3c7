#pragma once
// An int or an {h, w} pair, the size arguments of the convolution and pooling layers.
#include <initializer_list>

#include "ember/tensor.h"

namespace ember::nn {

// An int or an {h, w} pair, as PyTorch's `_pair` arguments: Conv2d(1, 32, 3) or Conv2d(1, 32, {3, 5}).
struct Pair {
  Shape v;
  Pair(int64_t x) : v{x, x} {}  // NOLINT: implicit by design
  Pair(int x) : v{x, x} {}      // NOLINT
  Pair(std::initializer_list<int64_t> l) : v(l) {}
};

}  // namespace ember::nn
