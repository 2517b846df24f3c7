#include "explain/coalitions.h"

#include <algorithm>

#include "ember/autograd.h"
#include "ember/ops.h"
#include "explain/target_scores.h"

namespace ember::explain::detail {

CoalitionGame::CoalitionGame(const char* op, const Forward& model, const Tensor& inputs,
                             const std::vector<int64_t>& targets, const Tensor& feature_mask, const Tensor& baseline,
                             int64_t perturbations_per_eval)
    : op_(op), model_(model), per_eval_(perturbations_per_eval) {
  check_inputs(op, inputs, /*integer_ok=*/true);  // token ids: absent ones take the baseline's id
  EMBER_CHECK(per_eval_ >= 1, op, "perturbations_per_eval must be at least 1, got ", per_eval_);
  NoGradGuard ng;
  n_ = inputs.size(0);
  targets_ = expand_targets(op, targets, n_);
  x_ = inputs.detach().contiguous();
  base_ = broadcast_baseline(op, "baseline", baseline, x_);
  const Shape example(x_.shape().begin() + 1, x_.shape().end());
  const int64_t elems = x_.numel() / n_;
  if (!feature_mask.defined()) {
    ids_ = arange(int64_t{0}, elems, int64_t{1}, DType::Int64);
  } else {
    EMBER_CHECK(feature_mask.dtype() == DType::Int64 || feature_mask.dtype() == DType::Int32, op,
                "feature_mask must hold integer feature ids, got dtype ", dtype_name(feature_mask.dtype()));
    Tensor m = feature_mask.detach().to(DType::Int64);
    bool fits = m.dim() <= static_cast<int64_t>(example.size());
    for (int64_t i = 0; fits && i < m.dim(); ++i) {
      const int64_t mi = m.size(m.dim() - 1 - i), ei = example[example.size() - 1 - i];
      fits = mi == ei || mi == 1;
    }
    EMBER_CHECK(fits, op, "feature_mask of shape ", shape_str(m.shape()), " does not broadcast to an example's shape ",
                shape_str(example));
    ids_ = m.expand(example).contiguous().reshape({elems});
  }
  // Ids must be 0..F-1, each used: a feature without elements would get an arbitrary value.
  std::vector<int64_t> ids = ids_.to_vector<int64_t>();
  const int64_t lo = *std::min_element(ids.begin(), ids.end()), hi = *std::max_element(ids.begin(), ids.end());
  EMBER_CHECK(lo >= 0, op, "feature_mask holds the negative id ", lo);
  f_ = hi + 1;
  std::vector<uint8_t> used(static_cast<size_t>(f_), 0);
  for (int64_t id : ids) used[static_cast<size_t>(id)] = 1;
  for (int64_t i = 0; i < f_; ++i)
    EMBER_CHECK(used[static_cast<size_t>(i)], op, "feature_mask ids must run 0..", f_ - 1, " with none missing; id ", i,
                " has no elements");
}

std::vector<double> CoalitionGame::values(const std::vector<uint8_t>& coalitions) const {
  NoGradGuard ng;
  const int64_t total = static_cast<int64_t>(coalitions.size()) / f_;
  std::vector<double> v;
  v.reserve(static_cast<size_t>(total * n_));
  Shape present_shape = x_.shape();  // (p, 1, ...) after the loop sets p
  present_shape.insert(present_shape.begin(), 0);
  present_shape[1] = 1;
  std::vector<int64_t> rt;
  for (int64_t p0 = 0; p0 < total; p0 += per_eval_) {
    const int64_t p = std::min(per_eval_, total - p0);
    std::vector<float> z(coalitions.begin() + p0 * f_, coalitions.begin() + (p0 + p) * f_);
    Tensor zt = tensor<float>(z, {p, f_}).to(x_.dtype());  // (p, F)
    present_shape[0] = p;
    Tensor present = index_select(zt, 1, ids_).reshape(present_shape);  // (p, 1, ...)
    Shape rows_shape = x_.shape();
    rows_shape[0] = p * n_;
    // (p, N, ...) -> (p * N, ...): the input where present, the baseline elsewhere
    Tensor rows = (base_.unsqueeze(0) + present * (x_ - base_).unsqueeze(0)).reshape(rows_shape);
    rt.clear();
    for (int64_t i = 0; i < p; ++i) rt.insert(rt.end(), targets_.begin(), targets_.end());
    std::vector<double> s = target_scores(op_, model_, rows, rt).to(DType::Float64).to_vector<double>();
    v.insert(v.end(), s.begin(), s.end());
  }
  return v;
}

Tensor CoalitionGame::spread(const Tensor& per_feature) const {
  NoGradGuard ng;
  const DType out = x_.is_floating_point() ? x_.dtype() : DType::Float32;  // token ids: float attributions
  return index_select(per_feature.to(out), 1, ids_).reshape(x_.shape());  // (N, F) -> (N, E) -> (N, ...)
}

}  // namespace ember::explain::detail
