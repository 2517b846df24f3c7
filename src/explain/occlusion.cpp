// Occlusion (Zeiler & Fergus 2014) as Captum computes it: slide a window over each example, put
// the baseline under it, and credit every covered feature with the drop in the target score.
#include <algorithm>

#include "ember/autograd.h"
#include "ember/explain/attribution.h"
#include "ember/ops.h"
#include "explain/target_scores.h"

namespace ember::explain {

Tensor occlusion(const Forward& model, const Tensor& inputs, const std::vector<int64_t>& targets,
                 const OcclusionOptions& o) {
  constexpr const char* op = "occlusion";
  detail::check_inputs(op, inputs);
  const Shape feat(inputs.shape().begin() + 1, inputs.shape().end());  // per example
  const size_t d = feat.size();
  EMBER_CHECK(o.sliding_window.size() == d, op, "sliding_window ", shape_str(o.sliding_window), " must have one entry per ",
              "dim of an example ", shape_str(feat), " (inputs ", shape_str(inputs.shape()), ")");
  Shape strides = o.strides.empty() ? Shape(d, 1) : o.strides;
  EMBER_CHECK(strides.size() == d, op, "strides ", shape_str(strides), " must have one entry per dim of an example ",
              shape_str(feat));
  EMBER_CHECK(o.perturbations_per_eval >= 1, op, "perturbations_per_eval must be at least 1, got ", o.perturbations_per_eval);
  // Window positions per dim: ceil((F - w) / s) + 1; the last window may hang over the edge.
  Shape counts(d);
  int64_t positions = 1;
  for (size_t i = 0; i < d; ++i) {
    const int64_t f = feat[i], w = o.sliding_window[i], s = strides[i];
    EMBER_CHECK(w >= 1 && w <= f, op, "sliding_window ", shape_str(o.sliding_window), " must fit in an example of shape ",
                shape_str(feat));
    EMBER_CHECK(s >= 1 && (w == f || s <= w), op, "strides ", shape_str(strides), " must be positive and at most the ",
                "sliding_window ", shape_str(o.sliding_window), " (a larger stride would skip features)");
    counts[i] = (f - w + s - 1) / s + 1;
    positions *= counts[i];
  }
  const int64_t n = inputs.size(0);
  const std::vector<int64_t> t = detail::expand_targets(op, targets, n);
  NoGradGuard ng;
  Tensor x = inputs.detach().contiguous();                                         // (N, ...)
  Tensor base = detail::broadcast_baseline(op, "baseline", o.baseline, x);  // (N, ...)
  Tensor f0 = detail::target_scores(op, model, x, t);                              // (N,)

  Tensor total = zeros_like(x);  // (N, ...): sum of score drops over covering windows
  Tensor cover = zeros(feat, x.dtype());  // (...): windows covering each feature
  std::vector<int64_t> rt;
  for (int64_t p0 = 0; p0 < positions; p0 += o.perturbations_per_eval) {
    const int64_t p = std::min(o.perturbations_per_eval, positions - p0);
    std::vector<Tensor> masks;  // p x (...), 1 under the window
    for (int64_t j = p0; j < p0 + p; ++j) {
      Tensor mask = zeros(feat, x.dtype());
      Tensor v = mask;
      int64_t rest = j;  // Captum's order: the first dim moves fastest
      for (size_t i = 0; i < d; ++i) {
        const int64_t start = (rest % counts[i]) * strides[i];
        rest /= counts[i];
        v = v.narrow(static_cast<int64_t>(i), start, std::min(o.sliding_window[i], feat[i] - start));
      }
      v.fill_(1);
      masks.push_back(mask);
    }
    Tensor mk = stack(masks, 0).unsqueeze(1);  // (p, 1, ...)
    Shape rows_shape = x.shape();
    rows_shape[0] = p * n;
    // (p, N, ...) -> (p * N, ...): x outside the window, the baseline inside
    Tensor rows = (x.unsqueeze(0) * (1 - mk) + base.unsqueeze(0) * mk).reshape(rows_shape);
    rt.clear();
    for (int64_t i = 0; i < p; ++i) rt.insert(rt.end(), t.begin(), t.end());
    Tensor drop = f0.unsqueeze(0) - detail::target_scores(op, model, rows, rt).reshape({p, n});  // (p, N)
    Shape drop_shape(x.dim() + 1, 1);
    drop_shape[0] = p, drop_shape[1] = n;
    total.add_(sum(drop.to(x.dtype()).reshape(drop_shape) * mk, {0}));  // (N, ...)
    cover.add_(sum(mk, {0, 1}));
  }
  return total / cover;  // every feature is covered at least once
}

}  // namespace ember::explain
