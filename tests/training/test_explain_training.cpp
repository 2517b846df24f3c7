// Attributions of a trained seed CNN on real MNIST test digits: integrated gradients complete within
// 1% at 50 steps, and the gradient maps sit on the strokes rather than spreading like noise.
// Trains for about 10 s first (12,000 images, one epoch): labelled "training" with the others.
#include <gtest/gtest.h>

#include <iostream>
#include <sstream>

#include "ember/data/mnist.h"
#include "ember/explain/attribution.h"
#include "ember/models/mnist_cnn.h"
#include "ember/ops.h"
#include "ember/recipes/mnist_cnn.h"
#include "ember/train/checkpoint.h"
#include "temp_dir.h"

using namespace ember;

namespace {

struct TrainedCnn : ::testing::Test {
  static inline std::shared_ptr<models::MnistCNN> net;
  static void SetUpTestSuite() {
    test::TempDir dir;
    recipes::MnistCnnConfig c;
    c.progress = false, c.epochs = 1, c.train_limit = 12000, c.evaluate_test = false, c.seed = 2;
    c.checkpoint_dir = dir.path();
    std::ostringstream log;
    recipes::train_mnist_cnn(c, log);
    net = std::make_shared<models::MnistCNN>();
    train::load_checkpoint(dir.file("last.safetensors"), *net, nullptr, "mnist-cnn");
    net->eval();
  }
  explain::Forward f = [](const Tensor& x) { return net->forward(x); };
  data::MNIST test{"", false};
  static constexpr int64_t n = 20;
  Tensor pixels = test.images().narrow(0, 0, n).contiguous();  // (20, 1, 28, 28) in [0, 1]
  Tensor x = (pixels - 0.1307) / 0.3081;                     // the recipe's standardization
  std::vector<int64_t> labels = test.targets().narrow(0, 0, n).to_vector<int64_t>();

  // mean |a| on stroke pixels (> 0.5) over mean |a| on blank ones (0): about 1 for noise.
  double stroke_ratio(const Tensor& a) {
    Tensor m = abs(a), stroke = gt(pixels, 0.5).to(kFloat32), blank = eq(pixels, 0.0).to(kFloat32);
    return (sum(m * stroke) / sum(stroke)).item<float>() / (sum(m * blank) / sum(blank)).item<float>();
  }
};

TEST_F(TrainedCnn, IntegratedGradientsCompleteWithin1PercentAt50Steps) {
  Tensor black = full({1, 1, 28, 28}, -0.1307 / 0.3081);
  auto r = explain::integrated_gradients(f, x, labels, {.baseline = black, .steps = 50});
  NoGradGuard ng;
  Tensor idx = tensor<int64_t>(labels, {n, 1});
  Tensor gap = (gather(f(x), 1, idx) - gather(f(black.expand({n, 1, 28, 28}).contiguous()), 1, idx)).squeeze(1);
  Tensor rel = abs(r.delta) / abs(gap.to(kFloat64));  // (20,)
  std::cout << "[completeness] trained mnist-cnn, 20 test digits, IG 50 steps: max |delta| / |f(x) - f(black)| = "
            << max(rel).item<double>() << ", mean " << mean(rel).item<double>() << "\n";
  EXPECT_LE(max(rel).item<double>(), 0.01);
}

TEST_F(TrainedCnn, GradientMapsFollowTheStrokes) {
  Generator gen(1);
  double sal = stroke_ratio(explain::saliency(f, x, labels));
  double sg = stroke_ratio(explain::smoothgrad(f, x, labels, {.stdev = 0.15 / 0.3081, .samples = 25, .generator = &gen}));
  std::cout << "[strokes] mean |attribution| on strokes / on blank pixels: saliency " << sal << ", smoothgrad " << sg << "\n";
  EXPECT_GE(sal, 4.0);
  EXPECT_GE(sg, 4.0);
}

}  // namespace
