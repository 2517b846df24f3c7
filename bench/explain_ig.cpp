// Integrated gradients (50 Gauss-Legendre steps) on the seed CNN: Ember's side of
// bench/explain_vs_captum.py. Prints one line per batch size: "ig50 n=<N> <median ms>".
// Usage: explain_ig THREADS [N ...]   (the first N MNIST test images; default N: 1 16)
// The weights are frozen (requires_grad false), as a user explaining a model would: Ember's
// autograd::grad computes every input gradient of a node on the path to the input, the weights'
// too, while PyTorch prunes those. "ig50-trainable" lines time the model with trainable weights.
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "bench_util.h"
#include "ember/data/mnist.h"
#include "ember/explain/attribution.h"
#include "ember/models/mnist_cnn.h"
#include "ember/ops.h"
#include "ember/parallel.h"

int main(int argc, char** argv) {
  using namespace ember;
  const int threads = argc > 1 ? std::atoi(argv[1]) : 1;
  std::vector<int64_t> sizes;
  for (int i = 2; i < argc; ++i) sizes.push_back(std::atoll(argv[i]));
  if (sizes.empty()) sizes = {1, 16};
  set_num_threads(threads);
  manual_seed(0);
  auto net = std::make_shared<models::MnistCNN>();
  net->eval();
  explain::Forward f = [net](const Tensor& x) { return net->forward(x); };
  data::MNIST test("", false);
  auto time_ig = [&](const char* label, int64_t n) {
    Tensor x = ((test.images().narrow(0, 0, n) - 0.1307) / 0.3081).contiguous();  // (n, 1, 28, 28)
    std::vector<int64_t> targets(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) targets[i] = test.targets()[i].item<int64_t>();
    double s = bench::median_seconds([&] { explain::integrated_gradients(f, x, targets, {.steps = 50}); }, 9, 1, 2);
    std::printf("%s n=%lld %.3f\n", label, static_cast<long long>(n), s * 1e3);
  };
  for (int64_t n : sizes) time_ig("ig50-trainable", n);
  for (auto& p : net->parameters()) p.requires_grad_(false);
  for (int64_t n : sizes) time_ig("ig50", n);
  return 0;
}
