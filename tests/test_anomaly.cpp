// NaN and infinity caught where they start (issue 19): anomaly mode names the first forward op or
// backward function that makes one; the trainer stops (or skips the batch) on a non-finite loss
// and never writes diverged weights over a checkpoint; loading one with such weights is an error.
#include <gtest/gtest.h>

#include "blobs_data.h"

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "ember/data/dataset.h"
#include "ember/ember.h"
#include "ember/io/safetensors.h"
#include "ember/models/mnist_cnn.h"
#include "ember/nn/layers.h"
#include "ember/optim.h"
#include "ember/train/checkpoint.h"
#include "ember/train/trainer.h"
#include "temp_dir.h"

namespace ember {
namespace {

// The message of the ember::Error that f throws ("" when it throws none).
template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(Anomaly, OffByDefaultNanPropagates) {
  if (std::getenv("EMBER_DETECT_ANOMALY")) GTEST_SKIP() << "EMBER_DETECT_ANOMALY is set";
  EXPECT_FALSE(autograd::is_anomaly_enabled());
  Tensor y = log(tensor(std::vector<float>{-1.f, 2.f}));
  EXPECT_TRUE(std::isnan(y.to_vector<float>()[0]));
}

TEST(Anomaly, ForwardNamesTheOpAndItsInputShapes) {
  autograd::DetectAnomalyGuard on;
  Tensor x = tensor(std::vector<float>{-1.f, 2.f, 3.f}).reshape({3, 1});
  std::string m = error_of([&] { log(x); });
  EXPECT_NE(m.find("log: anomaly detection: produced nan (1 of 3 values, first at index 0)"), std::string::npos) << m;
  EXPECT_NE(m.find("from finite inputs ([3, 1] float32)"), std::string::npos) << m;
  // An overflow to infinity, and NaN made from infinities (inf - inf), are origins too.
  EXPECT_NE(error_of([&] { exp(tensor(std::vector<float>{100.f})); }).find("exp: anomaly detection: produced inf"),
            std::string::npos);
  Tensor inf = full({2}, INFINITY);  // asked for: not an anomaly
  EXPECT_NE(error_of([&] { sub(inf, inf); }).find("sub: anomaly detection: produced nan"), std::string::npos);
}

TEST(Anomaly, ValuesAlreadyNonFiniteAreNotBlamedOnTheNextOp) {
  Tensor data = tensor(std::vector<float>{NAN, 1.f});  // e.g. read from a file before the guard
  autograd::DetectAnomalyGuard on;
  EXPECT_EQ(error_of([&] { (data * 2.0 + 1.0).sum(); }), "");
  // A causal mask's -inf is asked for; softmax over it stays finite.
  Tensor q = randn({1, 2, 4, 8});
  EXPECT_EQ(error_of([&] { scaled_dot_product_attention(q, q, q, Tensor(), 0.0, true); }), "");
  Tensor scores = randn({4, 4});
  Tensor masked = masked_fill(scores, triu(ones({4, 4}, kBool), 1), -INFINITY);  // (4, 4)
  EXPECT_EQ(error_of([&] { softmax(masked, -1); }), "");
  // A row with every entry masked has no softmax: that NaN is made here.
  EXPECT_NE(error_of([&] { softmax(full({1, 3}, -INFINITY), -1); }).find("softmax: anomaly detection: produced nan"),
            std::string::npos);
}

TEST(Anomaly, BackwardNamesTheFunctionThatFirstMadeIt) {
  autograd::DetectAnomalyGuard on;
  Tensor x = tensor(std::vector<float>{0.f, 4.f}).requires_grad_();
  Tensor y = sqrt(x) * 3.0;  // forward finite: sqrt(0) = 0; its gradient 1 / (2 sqrt(0)) is not
  std::string m = error_of([&] { y.sum().backward(); });
  EXPECT_NE(m.find("SqrtBackward: anomaly detection: returned inf (1 of 2 values, first at index 0) in its gradient "
                   "for input 0 (shape [2])"),
            std::string::npos) << m;
  EXPECT_NE(m.find("its forward op ran on inputs [2] float32 (a leaf)"), std::string::npos) << m;
}

TEST(Anomaly, BackwardOffLetsInfinityThrough) {
  autograd::DetectAnomalyGuard off(false);
  Tensor x = tensor(std::vector<float>{0.f}).requires_grad_();
  sqrt(x).sum().backward();
  EXPECT_TRUE(std::isinf(x.grad().to_vector<float>()[0]));
}

TEST(Anomaly, GuardsNestAndRestore) {
  const bool before = autograd::is_anomaly_enabled();
  Tensor neg = tensor(std::vector<float>{-1.f});
  {
    autograd::DetectAnomalyGuard on;
    EXPECT_TRUE(autograd::is_anomaly_enabled());
    {
      autograd::DetectAnomalyGuard off(false);
      EXPECT_FALSE(autograd::is_anomaly_enabled());
      EXPECT_EQ(error_of([&] { log(neg); }), "");
    }
    EXPECT_TRUE(autograd::is_anomaly_enabled());
    EXPECT_NE(error_of([&] { log(neg); }), "");
  }
  EXPECT_EQ(autograd::is_anomaly_enabled(), before);
  autograd::set_detect_anomaly(true);
  EXPECT_TRUE(autograd::is_anomaly_enabled());
  autograd::set_detect_anomaly(before);
}

// EMBER_DETECT_ANOMALY=1 turns it on at start: this test runs itself again in a child process.
TEST(Anomaly, EnvironmentVariableTurnsItOn) {
  if (const char* child = std::getenv("EMBER_ANOMALY_CHILD")) {
    const bool want = std::string(child) == "on";
    if (autograd::is_anomaly_enabled() != want) std::exit(3);
    if (want && error_of([] { log(tensor(std::vector<float>{-1.f})); }).find("log") == std::string::npos) std::exit(4);
    return;
  }
  const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
  const std::string run = "'" + self + "' --gtest_filter=Anomaly.EnvironmentVariableTurnsItOn >/dev/null 2>&1";
  EXPECT_EQ(std::system(("EMBER_ANOMALY_CHILD=on EMBER_DETECT_ANOMALY=1 " + run).c_str()), 0);
  EXPECT_EQ(std::system(("EMBER_ANOMALY_CHILD=off EMBER_DETECT_ANOMALY=0 " + run).c_str()), 0);
}

TEST(Anomaly, AllFinite) {
  EXPECT_TRUE(all_finite(tensor(std::vector<float>{1.f, 2.f})));
  EXPECT_FALSE(all_finite(tensor(std::vector<double>{1.0, NAN})));
  EXPECT_FALSE(all_finite(full({2, 3}, -INFINITY).to(kBFloat16).t()));  // half types, strided
  EXPECT_TRUE(all_finite(tensor(std::vector<int64_t>{1, 2})));
}

// ---- the trainer ----

using test::blobs;

// Epoch runs of a linear classifier on 96 examples, 6 steps an epoch; `poison(call)` makes that
// step's loss NaN.
train::FitResult run(train::TrainerOptions o, std::ostream& log, const std::function<bool(int64_t)>& poison = {}) {
  manual_seed(3);
  auto model = std::make_shared<nn::Linear>(4, 2);
  optim::SGD opt(model->parameters(), optim::SGDOptions(0.1).momentum(0.9));
  data::DataLoader loader(blobs(96), {.batch_size = 16});
  train::Trainer t(model, opt, std::move(o));
  int64_t calls = 0;
  return t.fit(loader, [&](const data::Batch& b) {
    Tensor loss = cross_entropy(model->forward(b.data), b.target);
    if (poison && poison(calls++)) loss = loss * NAN;
    return train::StepOutput{loss, b.data.size(0)};
  }, {}, &log);
}

TEST(AnomalyTrainer, DivergenceStopsAndKeepsTheLastGoodCheckpoint) {
  test::TempDir dir;
  std::ostringstream log;
  run({.epochs = 1, .checkpoint_dir = dir.path()}, log);
  const std::string good = read_bytes(dir.file("last.safetensors"));
  ASSERT_FALSE(good.empty());
  // A learning rate that blows the weights up from the second epoch on (6 steps an epoch).
  auto huge = [](int64_t step) { return step < 6 ? 0.1 : 1e38; };
  std::string m = error_of([&] { run({.epochs = 3, .lr_at = huge, .checkpoint_dir = dir.path(), .resume = "auto"}, log); });
  EXPECT_NE(m.find("train: the loss is "), std::string::npos) << m;
  EXPECT_NE(m.find(" at epoch 2, step 2; stopped before the optimizer step"), std::string::npos) << m;
  EXPECT_NE(m.find("--nonfinite skip"), std::string::npos) << m;
  EXPECT_EQ(read_bytes(dir.file("last.safetensors")), good);  // not overwritten
}

TEST(AnomalyTrainer, SkipCountsTheBatchesAndStopsWhenAllAre) {
  std::ostringstream log;
  train::FitResult r = run({.epochs = 2, .nonfinite = "skip"}, log, [](int64_t call) { return call % 3 == 1; });
  EXPECT_NE(log.str().find("Skipped 2 of 6 batches of epoch 1 with a NaN or infinite loss"), std::string::npos)
      << log.str();
  EXPECT_NE(log.str().find("Skipped 2 of 6 batches of epoch 2"), std::string::npos);
  EXPECT_EQ(r.step_losses.size(), 8u);  // the skipped steps left no loss
  EXPECT_TRUE(std::isfinite(r.history.back().get("train_loss")));
  std::string m = error_of([&] { run({.epochs = 1, .nonfinite = "skip"}, log, [](int64_t) { return true; }); });
  EXPECT_NE(m.find("every one of the 6 steps of epoch 1 had a NaN or infinite loss"), std::string::npos) << m;
  EXPECT_NE(error_of([&] { run({.nonfinite = "ignore"}, log); }).find("--nonfinite: must be stop or skip"),
            std::string::npos);
}

// ---- checkpoints ----

TEST(AnomalyCheckpoint, SaveRefusesNonFiniteWeights) {
  test::TempDir dir;
  nn::Linear model(2, 2);
  const std::string path = dir.file("last.safetensors");
  train::save_checkpoint(path, model, nullptr, {});
  const std::string good = read_bytes(path);
  model.bias.data_ptr<float>()[1] = INFINITY;
  std::string m = error_of([&] { train::save_checkpoint(path, model, nullptr, {}); });
  EXPECT_NE(m.find("save_checkpoint: refusing to write '" + path + "': tensor 'model.bias' holds NaN or infinite"),
            std::string::npos) << m;
  EXPECT_EQ(read_bytes(path), good);
}

// Writes a mnist-cnn checkpoint whose fc1.weight holds a NaN (to $EMBER_NAN_CHECKPOINT when set:
// the CLI tests' fixture), and checks that loading it names the file and the key.
TEST(AnomalyCheckpoint, LoadRejectsNonFiniteWeights) {
  test::TempDir dir;
  const char* out = std::getenv("EMBER_NAN_CHECKPOINT");
  const std::string path = out ? out : dir.file("nan.safetensors");
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  models::MnistCNN net;
  net.fc1->weight.data_ptr<float>()[5] = NAN;
  io::NamedTensors all;
  for (auto& [k, v] : net.state_dict()) all.emplace_back("model." + k, v);
  io::save_safetensors(path, all, {{"recipe", "mnist-cnn"}, {"epoch", "1"}});
  models::MnistCNN fresh;
  std::string m = error_of([&] { train::load_checkpoint(path, fresh, nullptr, "mnist-cnn"); });
  EXPECT_NE(m.find("load_checkpoint: '" + path + "': tensor 'model.fc1.weight' holds NaN or infinite values"),
            std::string::npos) << m;
}

}  // namespace
}  // namespace ember
