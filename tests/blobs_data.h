#pragma once
// Two Gaussian blobs in 4-D, labels 0/1: a linear model separates them (trainer tests).
#include <memory>
#include <vector>

#include "ember/data/dataset.h"
#include "ember/ops.h"

namespace ember::test {

inline std::shared_ptr<data::TensorDataset> blobs(int64_t n) {
  Generator g(7);
  std::vector<int64_t> labels(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) labels[static_cast<size_t>(i)] = i % 2;
  Tensor y = tensor(labels);                                                    // (n,)
  Tensor x = randn({n, 4}, kFloat32, &g) + y.to(kFloat32).unsqueeze(1) * 2.0;  // (n, 4)
  return std::make_shared<data::TensorDataset>(x, y);
}

}  // namespace ember::test
