// distillation_loss: the golden cases (tests/golden/distillation.json, replayed by
// golden_harness.cpp with finite differences), the teacher's detachment, its limits (alpha 0 and 1),
// and the errors it raises; the students' sizes and the recipe's flag errors (no data needed).
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include "ember/models/mnist_student.h"
#include "ember/nn/layers.h"
#include "ember/recipes/distill_mnist.h"
#include "ember/train/checkpoint.h"
#include "op_registry.h"
#include "temp_dir.h"

using namespace ember;
using json = nlohmann::json;

namespace {

// The teacher's logits come from kwargs (they get no gradient), in the student's dtype.
EMBER_REGISTER_OP("distillation_loss", [](const std::vector<Tensor>& in, const json& kw) {
  Tensor teacher = tensor(kw.at("teacher").get<std::vector<double>>(), kw.at("teacher_shape").get<Shape>());
  return ember::distillation_loss(in[0], teacher.to(in[0].dtype()), in[1], kw.at("temperature").get<double>(),
                                  kw.at("alpha").get<double>());
});

Tensor student() { return tensor(std::vector<double>{0.2, -1.0, 0.5, 1.5, 0.3, -0.7, 2.0, 0.1}, {2, 4}); }
Tensor teacher() { return tensor(std::vector<double>{1.0, -2.0, 0.0, 3.0, -0.5, 0.5, 4.0, -1.0}, {2, 4}); }
Tensor labels() { return tensor(std::vector<int64_t>{3, 2}); }

}  // namespace

TEST(Distillation, TeacherGetsNoGradientAndStudentGradientMatchesFiniteDifferences) {
  Tensor s = student().requires_grad_(), t = teacher().requires_grad_();
  Tensor loss = distillation_loss(s, t, labels(), 3.0, 0.6);
  loss.backward();
  EXPECT_FALSE(t.grad().defined()) << "the teacher's logits must be detached";
  ASSERT_TRUE(s.grad().defined());
  // Central differences on each student logit, the loss in float64.
  auto analytic = s.grad().to_vector<double>();
  auto base = student().to_vector<double>();
  const double eps = 1e-6;
  for (size_t i = 0; i < base.size(); ++i) {
    auto f = [&](double d) {
      auto v = base;
      v[i] += d;
      return distillation_loss(tensor(v, {2, 4}), teacher(), labels(), 3.0, 0.6).item<double>();
    };
    double numeric = (f(eps) - f(-eps)) / (2 * eps);
    EXPECT_NEAR(analytic[i], numeric, 1e-7 * (1 + std::abs(numeric))) << "logit " << i;
  }
}

TEST(Distillation, AlphaZeroIsCrossEntropyAndAlphaOneIsTheScaledKl) {
  Tensor s = student(), t = teacher();
  EXPECT_DOUBLE_EQ(distillation_loss(s, t, labels(), 4.0, 0.0).item<double>(), cross_entropy(s, labels()).item<double>());
  double kl = kl_div(log_softmax(s / 2.0, 1), softmax(t / 2.0, 1), "batchmean").item<double>();
  EXPECT_NEAR(distillation_loss(s, t, labels(), 2.0, 1.0).item<double>(), 4.0 * kl, 1e-12);
  // The student equal to the teacher: the soft term vanishes.
  EXPECT_NEAR(distillation_loss(t, t, labels(), 2.0, 1.0).item<double>(), 0.0, 1e-12);
  // Log-probabilities as teacher outputs give the same loss as the logits (a per-row shift).
  EXPECT_NEAR(distillation_loss(s, log_softmax(t, 1), labels(), 2.0, 0.5).item<double>(),
              distillation_loss(s, t, labels(), 2.0, 0.5).item<double>(), 1e-12);
}

TEST(Distillation, FloatStudentWithDoubleTeacherStaysFloat) {
  Tensor loss = distillation_loss(student().to(kFloat32), teacher(), labels(), 4.0, 0.9);
  EXPECT_EQ(loss.dtype(), kFloat32);
  EXPECT_EQ(loss.dim(), 0);
}

TEST(DistillationErrors, NameTheOpTheArgumentAndTheShapes) {
  Tensor s = student(), t = teacher(), y = labels();
  EXPECT_EMBER_ERROR(distillation_loss(s, zeros({2, 5}, kFloat64), y), "distillation_loss", "teacher_logits",
                     "[2, 5]", "[2, 4]");
  EXPECT_EMBER_ERROR(distillation_loss(zeros({2, 4, 1}, kFloat64), t, y), "distillation_loss", "student_logits",
                     "(N, C)", "[2, 4, 1]");
  EXPECT_EMBER_ERROR(distillation_loss(s, t, tensor(std::vector<int64_t>{1, 2, 3})), "distillation_loss", "target",
                     "[3]", "must have shape [2]");
  EXPECT_EMBER_ERROR(distillation_loss(s, t, tensor(std::vector<int32_t>{1, 2})), "distillation_loss", "target",
                     "int64", "int32");
  EXPECT_EMBER_ERROR(distillation_loss(s.to(kInt64), t, y), "distillation_loss", "student_logits", "float32");
  EXPECT_EMBER_ERROR(distillation_loss(s, t, y, 0.0, 0.5), "distillation_loss", "temperature", "positive", "0");
  EXPECT_EMBER_ERROR(distillation_loss(s, t, y, -2.0, 0.5), "distillation_loss", "temperature", "-2");
  EXPECT_EMBER_ERROR(distillation_loss(s, t, y, NAN, 0.5), "distillation_loss", "temperature");
  EXPECT_EMBER_ERROR(distillation_loss(s, t, y, 4.0, 1.5), "distillation_loss", "alpha", "[0, 1]", "1.5");
  EXPECT_EMBER_ERROR(distillation_loss(s, t, y, 4.0, -0.1), "distillation_loss", "alpha", "-0.1");
  EXPECT_EMBER_ERROR(distillation_loss(s, Tensor(), y), "distillation_loss", "teacher_logits");
}

TEST(MnistStudent, SizesFollowTheFlags) {
  auto count = [](const models::MnistStudentSpec& s) {
    int64_t n = 0;
    for (const Tensor& p : models::make_mnist_student(s)->parameters()) n += p.numel();
    return n;
  };
  // conv 1->8 (80), conv 8->16 (1,168), fc 400->64 (25,664), fc 64->10 (650)
  EXPECT_EQ(count({.kind = "cnn"}), 80 + 1168 + 25664 + 650);
  // 784->64 (50,240), 64->10 (650); no hidden layer: 784->10 (7,850)
  EXPECT_EQ(count({.kind = "mlp"}), 50240 + 650);
  EXPECT_EQ(count({.kind = "mlp", .width = 32, .layers = 0}), 7850);
  Tensor x = zeros({3, 1, 28, 28});
  EXPECT_EQ(models::make_mnist_student({.kind = "cnn", .width = 4, .hidden = 16})->forward(x).shape(), (Shape{3, 10}));
  EXPECT_EQ(models::make_mnist_student({.kind = "mlp", .width = 16, .layers = 2})->forward(x).shape(), (Shape{3, 10}));
  EXPECT_EMBER_ERROR(models::make_mnist_student({.kind = "resnet"}), "--student", "resnet", "cnn or mlp");
  EXPECT_EMBER_ERROR(models::make_mnist_student({.kind = "cnn", .hidden = 0}), "--student-hidden");
  EXPECT_EMBER_ERROR(models::make_mnist_student({.kind = "mlp", .width = -1}), "--student-width");
}

TEST(DistillRecipeErrors, NameTheFlag) {
  test::TempDir d;
  std::ostringstream log;
  recipes::DistillMnistConfig c;
  c.progress = false;
  EXPECT_EMBER_ERROR(recipes::distill_mnist_cnn(c, log), "--teacher", "required when --alpha > 0");
  c.teacher = d.file("missing.safetensors");
  EXPECT_EMBER_ERROR(recipes::distill_mnist_cnn(c, log), "--teacher", "no checkpoint file", "missing.safetensors");
  nn::Linear other(4, 2);
  train::save_checkpoint(d.file("lstm.safetensors"), other, nullptr, {{"recipe", "imdb-lstm"}, {"epoch", "1"}});
  c.teacher = d.file("lstm.safetensors");
  EXPECT_EMBER_ERROR(recipes::distill_mnist_cnn(c, log), "--teacher", "lstm.safetensors", "imdb-lstm", "mnist-cnn");
  train::save_checkpoint(d.file("linear.safetensors"), other, nullptr, {{"recipe", "mnist-cnn"}, {"epoch", "1"}});
  c.teacher = d.file("linear.safetensors");
  EXPECT_EMBER_ERROR(recipes::distill_mnist_cnn(c, log), "--teacher", "linear.safetensors", "conv1.weight");
  c.temperature = 0;
  EXPECT_EMBER_ERROR(recipes::distill_mnist_cnn(c, log), "--temperature", "positive");
  c.temperature = 4, c.alpha = 1.2;
  EXPECT_EMBER_ERROR(recipes::distill_mnist_cnn(c, log), "--alpha", "[0, 1]", "1.2");
  c.alpha = 0.5, c.student.kind = "resnet";
  EXPECT_EMBER_ERROR(recipes::distill_mnist_cnn(c, log), "--student", "resnet");
}
