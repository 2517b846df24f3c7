#pragma once
// Shapley values of a classifier's score over groups of input features: exact, by enumerating every
// coalition (a few features), and KernelSHAP (Lundberg & Lee 2017), a Shapley-kernel-weighted
// regression over sampled coalitions, as shap.KernelExplainer computes it.
#include <cstdint>
#include <vector>

#include "ember/explain/attribution.h"

namespace ember::explain {

struct ShapleyOptions {
  // Feature ids in [0, F) for each element of one example (int64, broadcastable to an example's
  // shape); elements with one id are present or absent together. Undefined: each element alone.
  Tensor feature_mask{};
  Tensor baseline{};  // absent features take it; broadcastable to the inputs' shape; undefined: zeros
  int64_t perturbations_per_eval = 64;  // coalitions evaluated in one forward pass
};

struct ShapleyResult {
  Tensor values;        // (N, F) float64: phi_i, with sum_i phi_i = f(x)[t] - f(baseline)[t]
  Tensor base_values;   // (N,) float64: f(baseline)[t]
  Tensor attributions;  // (N, ...) like the inputs: each element gets its feature's value (as Captum)
};

// phi_i = sum over coalitions S without i of |S|! (F - |S| - 1)! / F! (v(S + i) - v(S)), where
// v(S) = f(x with the features outside S at the baseline)[t]. 2^F coalitions: F <= 20.
ShapleyResult shapley_values(const Forward& model, const Tensor& inputs, const std::vector<int64_t>& targets,
                             const ShapleyOptions& options = {});

struct KernelShapOptions {
  Tensor feature_mask{};  // as ShapleyOptions
  Tensor baseline{};
  // Coalitions evaluated (shap's nsamples); 0: 2F + 2048, as shap's "auto". Coalition sizes whose
  // every coalition fits in the budget are enumerated with exact kernel weights (smallest and
  // largest first); the rest are sampled. With 2^F - 2 or more: all, and the exact values.
  int64_t samples = 0;
  Generator* generator = nullptr;  // nullptr: the default generator
  int64_t perturbations_per_eval = 64;
};

// KernelSHAP: the weighted least squares fit of v(z) = phi_0 + sum_i z_i phi_i over the coalitions
// z, with phi_0 = f(baseline) and sum_i phi_i = f(x) - f(baseline) imposed exactly (shap's
// KernelExplainer without L1 regularization).
ShapleyResult kernel_shap(const Forward& model, const Tensor& inputs, const std::vector<int64_t>& targets,
                          const KernelShapOptions& options = {});

}  // namespace ember::explain
