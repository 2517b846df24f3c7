#pragma once
// Attributions of a classifier's score to its input features, as Captum computes them: saliency,
// input x gradient, integrated gradients, SmoothGrad and occlusion. Each works on any model given
// as a function and on a batch of examples, each with its own target class.
#include <cstdint>
#include <functional>
#include <vector>

#include "ember/random.h"
#include "ember/tensor.h"

namespace ember::explain {

// The model: inputs (N, ...) -> scores (N, C) (logits, probabilities or log-probabilities). It
// must treat examples independently (eval mode: no dropout, no batch statistics). Freeze its
// weights (requires_grad_(false)) for speed: autograd::grad computes every input gradient of a node
// on the path to the input, the weights' included (a third of the work for a CNN).
using Forward = std::function<Tensor(const Tensor&)>;

// targets: one class per example (size N), or a single class for every example. Every method
// raises ember::Error naming the number of classes when a target is out of range, and names the
// shapes when the model's output is not (N, C).

// Gradient of score[target] w.r.t. the input; its absolute value when abs (Captum's Saliency,
// abs=True by default). (N, ...) -> (N, ...)
Tensor saliency(const Forward& model, const Tensor& inputs, const std::vector<int64_t>& targets, bool abs = true);

// inputs * gradient (Captum's InputXGradient). (N, ...) -> (N, ...)
Tensor input_x_gradient(const Forward& model, const Tensor& inputs, const std::vector<int64_t>& targets);

// Captum's approximation methods for the path integral (gausslegendre is its default).
enum class IntegrationMethod { GaussLegendre, RiemannTrapezoid, RiemannLeft, RiemannRight, RiemannMiddle };

struct IntegratedGradientsOptions {
  Tensor baseline{};  // broadcastable to the inputs' shape; undefined: zeros (Captum's default)
  int64_t steps = 50;
  IntegrationMethod method = IntegrationMethod::GaussLegendre;
  // Scaled inputs per forward pass (all examples' steps are laid out step-major and cut into
  // chunks of this many rows): bounds the memory of the activations kept for backward.
  int64_t internal_batch_size = 256;
};

struct IntegratedGradientsResult {
  Tensor attributions;  // (N, ...) like the inputs
  Tensor delta;         // (N,) float64: sum of attributions - (f(x)[t] - f(baseline)[t])
};

// (x - baseline) * sum_k w_k * grad f(baseline + a_k (x - baseline)) (Sundararajan et al. 2017).
IntegratedGradientsResult integrated_gradients(const Forward& model, const Tensor& inputs,
                                               const std::vector<int64_t>& targets,
                                               const IntegratedGradientsOptions& options = {});

// The quadrature of `method` on [0, 1]: step sizes (weights) and alphas (points), as Captum's
// approximation_parameters. GaussLegendre needs steps >= 1, the Riemann rules steps >= 2.
struct Quadrature {
  std::vector<double> step_sizes, alphas;
};
Quadrature quadrature(IntegrationMethod method, int64_t steps);

struct SmoothGradOptions {
  double stdev = 1.0;        // of the Gaussian noise added to the inputs (Captum's stdevs)
  int64_t samples = 5;       // noisy copies per example (Captum's nt_samples)
  bool abs = true;           // average |gradient| (Saliency's default under Captum's NoiseTunnel)
  Generator* generator = nullptr;  // the noise's source; nullptr: the default generator
};

// SmoothGrad (Smilkov et al. 2017): saliency averaged over noisy copies of each input.
// (N, ...) -> (N, ...)
Tensor smoothgrad(const Forward& model, const Tensor& inputs, const std::vector<int64_t>& targets,
                  const SmoothGradOptions& options = {});

struct OcclusionOptions {
  Shape sliding_window{};  // per example, one entry per input dim after N, e.g. {1, 4, 4} for (N, 1, 28, 28)
  Shape strides{};         // same length; empty: 1 in every dim. At most the window where it moves.
  Tensor baseline{};       // the occluding value, broadcastable to the inputs' shape; undefined: zeros
  int64_t perturbations_per_eval = 16;  // window positions evaluated in one forward pass
};

// Captum's Occlusion: each window position is replaced by the baseline, and every feature under it
// gets f(x)[t] - f(occluded)[t], averaged over the positions that cover it. No gradients needed.
// (N, ...) -> (N, ...)
Tensor occlusion(const Forward& model, const Tensor& inputs, const std::vector<int64_t>& targets,
                 const OcclusionOptions& options);

}  // namespace ember::explain
