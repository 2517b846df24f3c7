// BatchNorm1d / BatchNorm2d and LayerNorm.
#include "ember/nn/normalization.h"

#include <sstream>

#include "ember/autograd.h"
#include "ember/ops.h"
#include "nn/layer_util.h"

namespace ember::nn {

using detail::check_positive;
using detail::pair_str;
using detail::py_bool;

BatchNorm::BatchNorm(int64_t n, double eps_, double momentum_, bool affine_, bool track, int64_t dims)
    : num_features(n), eps(eps_), momentum(momentum_), affine(affine_), track_running_stats(track), dims_(dims) {
  check_positive(n, dims == 1 ? "BatchNorm1d" : "BatchNorm2d", "num_features");
  if (affine) {
    weight = register_parameter("weight", ones({n}));
    bias = register_parameter("bias", zeros({n}));
  }
  if (track) {
    running_mean = register_buffer("running_mean", zeros({n}));
    running_var = register_buffer("running_var", ones({n}));
    num_batches_tracked = register_buffer("num_batches_tracked", zeros({}, kInt64));
  }
}
Tensor BatchNorm::forward(const Tensor& x) {
  int64_t want = dims_ == 1 ? 2 : 4;
  EMBER_CHECK(x.dim() == want || (dims_ == 1 && x.dim() == 3), repr(), "expected ",
              dims_ == 1 ? "2D or 3D (N, C) / (N, C, L)" : "4D (N, C, H, W)", " input, got shape ", shape_str(x.shape()));
  EMBER_CHECK(x.size(1) == num_features, repr(), "expected ", num_features, " channels (num_features) in dim 1, got shape ",
              shape_str(x.shape()));
  bool use_batch_stats = is_training() || !track_running_stats;
  if (is_training() && track_running_stats) {
    NoGradGuard ng;
    num_batches_tracked.add_(1);
  }
  // running_mean/var are undefined when not tracked; then batch statistics are used in eval too.
  return batch_norm(x, running_mean, running_var, weight, bias, use_batch_stats, momentum, eps);
}
std::string BatchNorm::extra_repr() const {
  std::ostringstream os;
  os << num_features << ", eps=" << eps << ", momentum=" << momentum << ", affine=" << py_bool(affine)
     << ", track_running_stats=" << py_bool(track_running_stats);
  return os.str();
}

LayerNorm::LayerNorm(Shape shape, double eps_, bool affine) : normalized_shape(std::move(shape)), eps(eps_) {
  EMBER_CHECK(!normalized_shape.empty(), "LayerNorm", "normalized_shape must name at least one trailing dim, got []");
  for (int64_t v : normalized_shape)
    EMBER_CHECK(v > 0, "LayerNorm", "normalized_shape must be positive sizes, got ", shape_str(normalized_shape));
  if (affine) {
    weight = register_parameter("weight", ones(normalized_shape));
    bias = register_parameter("bias", zeros(normalized_shape));
  }
}
Tensor LayerNorm::forward(const Tensor& x) { return layer_norm(x, normalized_shape, weight, bias, eps); }
std::string LayerNorm::extra_repr() const {
  std::ostringstream os;
  os << pair_str(normalized_shape) << ", eps=" << eps << ", elementwise_affine=" << py_bool(weight.defined());
  return os.str();
}

}  // namespace ember::nn
