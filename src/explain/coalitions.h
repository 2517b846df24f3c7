#pragma once
// Evaluating the model on coalitions of features: present features from the input, absent ones
// from the baseline. Shared by the exact Shapley values and KernelSHAP.
#include <cstdint>
#include <vector>

#include "ember/explain/attribution.h"

namespace ember::explain::detail {

// One example set up for coalitions: the inputs, the baseline and each element's feature id.
struct CoalitionGame {
  CoalitionGame(const char* op, const Forward& model, const Tensor& inputs, const std::vector<int64_t>& targets,
                const Tensor& feature_mask, const Tensor& baseline, int64_t perturbations_per_eval);
  int64_t features() const { return f_; }
  int64_t examples() const { return n_; }
  // coalitions: P rows of F entries (1 present, 0 absent), row-major. Returns v: P x N scores,
  // row-major (v[p * N + e]: coalition p on example e).
  std::vector<double> values(const std::vector<uint8_t>& coalitions) const;
  // Each feature's value spread over its elements: (N, F) -> (N, ...) like the inputs.
  Tensor spread(const Tensor& per_feature) const;

 private:
  const char* op_;
  const Forward& model_;
  Tensor x_, base_, ids_;  // (N, ...), (N, ...), (E,) int64 feature ids of one example's elements
  std::vector<int64_t> targets_;
  int64_t n_, f_, per_eval_;
};

}  // namespace ember::explain::detail
