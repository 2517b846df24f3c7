// End-to-end: the seed's recipe trains for real on MNIST (shortened), resumes exactly from a
// checkpoint, and rejects checkpoints of other models or damaged files. Slow: labelled
// "training" in CTest and left out of the sanitizer run.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "ember/data/mnist.h"
#include "ember/io/safetensors.h"
#include "ember/nn/layers.h"
#include "ember/recipes/mnist_cnn.h"
#include "ember/train/checkpoint.h"
#include "op_registry.h"
#include "temp_dir.h"

using namespace ember;

namespace {
recipes::MnistCnnConfig small_config() {
  recipes::MnistCnnConfig c;
  c.progress = false;
  c.num_workers = 1;
  return c;
}
}  // namespace

TEST(MnistTraining, OneEpochReachesAtLeast97Percent) {
  recipes::MnistCnnConfig c = small_config();
  c.epochs = 1;
  std::ostringstream log;
  auto r = recipes::train_mnist_cnn(c, log);
  std::cout << log.str();
  EXPECT_GE(r.test_accuracy, 0.97) << log.str();
  ASSERT_EQ(r.history.size(), 1u);
  EXPECT_NE(log.str().find("Epoch 1, Loss: "), std::string::npos);
  EXPECT_LT(r.history[0].get("train_loss"), 0.5);
}

TEST(MnistTraining, ResumeReproducesTheUninterruptedLosses) {
  test::TempDir a, b;
  recipes::MnistCnnConfig c = small_config();
  c.train_limit = 640;  // 10 steps an epoch
  c.evaluate_test = false;
  c.dropout = 0.25;     // exercises the saved RNG state
  c.augment = true;     // exercises per-sample transform randomness
  c.epochs = 3;
  c.checkpoint_dir = a.path();
  std::ostringstream log;
  auto full = recipes::train_mnist_cnn(c, log);
  ASSERT_EQ(full.step_losses.size(), 30u);

  c.checkpoint_dir = b.path();
  c.epochs = 1;
  recipes::train_mnist_cnn(c, log);
  c.epochs = 3;
  c.resume = "auto";
  auto resumed = recipes::train_mnist_cnn(c, log);
  ASSERT_EQ(resumed.step_losses.size(), 20u);
  for (size_t i = 0; i < 20; ++i) EXPECT_EQ(resumed.step_losses[i], full.step_losses[10 + i]) << "step " << 10 + i;
  ASSERT_EQ(resumed.history.size(), 3u);  // the history travels in the checkpoint
  EXPECT_TRUE(std::filesystem::exists(b.file("metrics.csv")));
  EXPECT_TRUE(std::filesystem::exists(b.file("curves.png")));
}

TEST(MnistTraining, CheckpointOfAnotherModelIsRejected) {
  test::TempDir d;
  nn::Linear other(4, 2);
  train::save_checkpoint(d.file("other.safetensors"), other, nullptr, {{"recipe", "mnist-cnn"}, {"epoch", "1"}});
  EXPECT_EMBER_ERROR(recipes::evaluate_mnist_cnn_checkpoint(d.file("other.safetensors"), ""), "other.safetensors",
                     "missing key(s)", "conv1.weight");
  train::save_checkpoint(d.file("wrong_recipe.safetensors"), other, nullptr, {{"recipe", "imdb-lstm"}});
  EXPECT_EMBER_ERROR(recipes::evaluate_mnist_cnn_checkpoint(d.file("wrong_recipe.safetensors"), ""), "imdb-lstm",
                     "mnist-cnn");
}

TEST(MnistTraining, DamagedCheckpointIsRejectedAndNeverHalfWritten) {
  test::TempDir d;
  recipes::MnistCnnConfig c = small_config();
  c.train_limit = 128;
  c.evaluate_test = false;
  c.epochs = 1;
  c.checkpoint_dir = d.path();
  std::ostringstream log;
  recipes::train_mnist_cnn(c, log);
  std::string path = d.file("last.safetensors");
  auto size = std::filesystem::file_size(path);
  EXPECT_NO_THROW(recipes::evaluate_mnist_cnn_checkpoint(path, ""));
  // No temporary files are left beside it.
  for (auto& e : std::filesystem::directory_iterator(d.path()))
    EXPECT_EQ(e.path().filename().string().find(".tmp"), std::string::npos) << e.path();
  std::filesystem::copy_file(path, d.file("cut.safetensors"));
  std::filesystem::resize_file(d.file("cut.safetensors"), size / 2);
  EXPECT_EMBER_ERROR(recipes::evaluate_mnist_cnn_checkpoint(d.file("cut.safetensors"), ""), "cut.safetensors");
  {
    std::ofstream f(d.file("garbage.safetensors"), std::ios::binary);
    f << "this is not a checkpoint at all";
  }
  EXPECT_EMBER_ERROR(recipes::evaluate_mnist_cnn_checkpoint(d.file("garbage.safetensors"), ""), "garbage.safetensors");
  EXPECT_EMBER_ERROR(recipes::evaluate_mnist_cnn_checkpoint(d.file("missing.safetensors"), ""), "missing.safetensors");
}

TEST(MnistTraining, BadConfigurationsNameTheFlag) {
  std::ostringstream log;
  recipes::MnistCnnConfig c = small_config();
  c.epochs = 0;
  EXPECT_EMBER_ERROR(recipes::train_mnist_cnn(c, log), "--epochs");
  c = small_config();
  c.optimizer = "sgdd";
  EXPECT_EMBER_ERROR(recipes::train_mnist_cnn(c, log), "--optimizer", "sgdd");
  c = small_config();
  c.data_root = "/nonexistent/data";
  EXPECT_EMBER_ERROR(recipes::train_mnist_cnn(c, log), "/nonexistent/data");
  c = small_config();
  c.resume = "auto";
  EXPECT_EMBER_ERROR(recipes::train_mnist_cnn(c, log), "--resume", "--checkpoint-dir");
}

TEST(MnistTraining, EarlyStoppingWhenTheTestLossStalls) {
  recipes::MnistCnnConfig c = small_config();
  c.train_limit = 64;
  c.epochs = 6;
  c.lr = 1e-9;  // the loss cannot move by min_delta
  c.early_stopping_patience = 2;
  c.early_stopping_min_delta = 1e-3;
  std::ostringstream log;
  auto r = recipes::train_mnist_cnn(c, log);
  EXPECT_TRUE(r.stopped_early) << log.str();
  EXPECT_EQ(r.history.size(), 3u) << log.str();  // epoch 1 sets the best, 2 and 3 do not improve
  EXPECT_NE(log.str().find("Early stopping after epoch 3"), std::string::npos) << log.str();
  c.early_stopping_patience = -1;
  EXPECT_EMBER_ERROR(recipes::train_mnist_cnn(c, log), "--early-stopping");
}

namespace {
// Raw IDX files (MNIST's layout) of `images` (N, 1, 28, 28) in [0, 1], inverted (1 - x), and labels.
void write_inverted_idx(const std::string& dir, const std::string& prefix, const Tensor& images, const Tensor& labels) {
  auto be32 = [](std::ofstream& f, uint32_t v) {
    const char b[4] = {char(v >> 24), char(v >> 16), char(v >> 8), char(v)};
    f.write(b, 4);
  };
  const auto n = static_cast<uint32_t>(images.size(0));
  std::ofstream fi(dir + "/" + prefix + "-images-idx3-ubyte", std::ios::binary);
  be32(fi, 2051), be32(fi, n), be32(fi, 28), be32(fi, 28);
  for (float v : images.contiguous().to_vector<float>()) fi.put(char(std::lround(255.0f * (1.0f - v))));
  std::ofstream fl(dir + "/" + prefix + "-labels-idx1-ubyte", std::ios::binary);
  be32(fl, 2049), be32(fl, n);
  for (int64_t y : labels.to_vector<int64_t>()) fl.put(char(y));
}
}  // namespace

// Another data set in MNIST's layout (here MNIST inverted: white digits become black on white)
// trains unchanged from its folder, standardized with its own statistics, which travel in the
// checkpoint so that `ember eval` standardizes the same way.
TEST(MnistTraining, AnyIdxFolderTrainsWithItsOwnNormalization) {
  test::TempDir d, ck;
  data::MNIST train(""), test("", false);
  write_inverted_idx(d.path(), "train", train.images().narrow(0, 0, 6400), train.targets().narrow(0, 0, 6400));
  write_inverted_idx(d.path(), "t10k", test.images().narrow(0, 0, 2000), test.targets().narrow(0, 0, 2000));
  recipes::MnistCnnConfig c = small_config();
  c.epochs = 1;
  c.data_root = d.path();
  c.checkpoint_dir = ck.path();
  std::ostringstream log;
  auto r = recipes::train_mnist_cnn(c, log);
  EXPECT_NE(log.str().find("Normalization: mean 0.8"), std::string::npos) << log.str();  // 1 - 0.13
  EXPECT_GE(r.test_accuracy, 0.85) << log.str();
  auto e = recipes::evaluate_mnist_cnn_checkpoint(ck.file("last.safetensors"), d.path());
  EXPECT_EQ(e.accuracy, r.test_accuracy);
  c.mean = 0.5, c.std = -1;
  EXPECT_EMBER_ERROR(recipes::train_mnist_cnn(c, log), "--std");
}
