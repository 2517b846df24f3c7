#pragma once
// LIME (Ribeiro et al. 2016), as the `lime` package computes it for images: interpretable features
// (the elements of an example, or the groups of a feature mask: superpixels, patches, tokens) are
// switched off at random, each perturbed input is weighted by an exponential kernel on its cosine
// distance from the original, and a weighted ridge regression of the target score on the on/off
// pattern gives each feature's weight.
#include <cstdint>
#include <vector>

#include "ember/explain/attribution.h"
#include "ember/random.h"

namespace ember::explain {

struct LimeOptions {
  Tensor feature_mask{};  // as ShapleyOptions: int64 feature ids per element; undefined: each element alone
  Tensor baseline{};      // switched-off features take it (lime's hide_color); undefined: zeros
  int64_t samples = 1000;  // perturbed inputs, the first being the input itself (lime's num_samples)
  // Or the on/off patterns themselves: (samples, F) uint8/bool/int64 of 0/1, as lime's
  // explain_instance_with_data takes them (then `samples` and `generator` are unused).
  Tensor coalitions{};
  double kernel_width = 0.25;  // weight sqrt(exp(-d^2 / width^2)), d the cosine distance (lime image's)
  double ridge_alpha = 1.0;    // lime's Ridge(alpha=1), with an intercept
  Generator* generator = nullptr;  // nullptr: the default generator
  int64_t perturbations_per_eval = 64;
};

struct LimeResult {
  Tensor coefficients;  // (N, F) float64: the surrogate's weight per feature
  Tensor intercept;     // (N,) float64
  Tensor score;         // (N,) float64: the surrogate's weighted R^2 on the samples (lime's score)
  Tensor attributions;  // (N, ...) like the inputs: each element gets its feature's coefficient
};

LimeResult lime(const Forward& model, const Tensor& inputs, const std::vector<int64_t>& targets,
                const LimeOptions& options = {});

}  // namespace ember::explain
