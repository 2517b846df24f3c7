// Validate before work (issue 19): thread counts, allocations beyond memory, empty data sets,
// malformed or absurd checkpoint metadata, output paths, batch sizes and step counts are errors
// before anything trains; a resumed run's changed flags are applied with a note or rejected; a
// finished run says so; a save removes temporaries that killed saves left behind.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <sstream>

#include "ember/data/imdb.h"
#include "ember/data/mnist.h"
#include "ember/ember.h"
#include "ember/io/safetensors.h"
#include "ember/nn/layers.h"
#include "ember/optim.h"
#include "ember/parallel.h"
#include "ember/recipes/mnist_cnn.h"
#include "ember/recipes/shakespeare_gpt.h"
#include "ember/train/checkpoint.h"
#include "ember/train/trainer.h"
#include "op_registry.h"
#include "temp_dir.h"

namespace ember {
namespace {

namespace fs = std::filesystem;

TEST(Validation, ThreadCountsAreBoundedByTheCores) {
  const int before = get_num_threads();
  EXPECT_EMBER_ERROR(set_num_threads(max_num_threads() + 1), "set_num_threads", "per core");
  EXPECT_EMBER_ERROR(set_num_threads(100000), "100000");
  EXPECT_EMBER_ERROR(set_num_threads(0), "set_num_threads");
  EXPECT_EQ(get_num_threads(), before);
  EXPECT_LE(max_num_threads(), kMaxThreads);
  EXPECT_GE(max_num_threads(), kMaxThreadsPerCore);
}

TEST(Validation, AnAllocationBeyondPhysicalMemoryIsAnError) {
  // 4 PiB: mmap would grant it lazily and the kernel would kill the process as pages are touched.
  EXPECT_EMBER_ERROR(empty({int64_t{1} << 50}, kFloat32), "Storage", "more than this machine's");
}

std::string be32(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
}

TEST(Validation, AnMnistFileWithoutImagesIsAnError) {
  test::TempDir dir;
  fs::create_directories(dir.file("mnist"));
  for (const char* split : {"train", "t10k"}) {
    dir.write(std::string("mnist/") + split + "-images-idx3-ubyte", be32(2051) + be32(0) + be32(28) + be32(28));
    dir.write(std::string("mnist/") + split + "-labels-idx1-ubyte", be32(2049) + be32(0));
  }
  EXPECT_EMBER_ERROR(data::MNIST(dir.path(), true), "train-images-idx3-ubyte", "holds 0 images", "train on");
  EXPECT_EMBER_ERROR(data::MNIST(dir.path(), false), "t10k-images-idx3-ubyte", "evaluate on");
  recipes::MnistCnnConfig c;
  c.data_root = dir.path();
  std::ostringstream log;
  EXPECT_EMBER_ERROR(recipes::train_mnist_cnn(c, log), "holds 0 images");
}

TEST(Validation, AnImdbFileWithoutATestSplitIsAnError) {
  test::TempDir dir;
  fs::create_directories(dir.file("imdb"));
  dir.write("imdb/reviews.json.gz", "[]");  // zlib reads an uncompressed file as it is
  EXPECT_EMBER_ERROR(data::read_imdb(dir.path()), "reviews.json.gz", "holds 0 reviews");
  dir.write("imdb/reviews.json.gz", R"([{"t": "good", "s": 1}])");
  EXPECT_EMBER_ERROR(data::read_imdb(dir.path()), "holds 1 reviews", "nothing to evaluate on");
}

TEST(Validation, MalformedEpochMetadataNamesTheKey) {
  train::Checkpoint ck{{{"epoch", "abc"}}};
  EXPECT_EMBER_ERROR(ck.epoch(), "'epoch'", "abc");
  ck.metadata["epoch"] = "12";
  EXPECT_EQ(ck.epoch(), 12);
}

TEST(Validation, AbsurdGptSizesInACheckpointAreErrorsNamingTheKey) {
  test::TempDir dir;
  const std::string path = dir.file("gpt.safetensors");
  io::save_safetensors(path, {{"model.x", zeros({1})}},
                       {{"recipe", "shakespeare-gpt"}, {"vocab", "6162"},
                        {"model", "vocab_size=65 block_size=16 n_layer=1 n_head=2 n_embd=99999999999"}});
  EXPECT_EMBER_ERROR(recipes::generate_from_checkpoint(path, "a", {}, 1), path.c_str(), "n_embd=99999999999", "[1, 65536]");
  io::save_safetensors(path, {{"model.x", zeros({1})}},
                       {{"recipe", "shakespeare-gpt"}, {"vocab", "6162"},
                        {"model", "vocab_size=65 block_size=16 n_layer=1024 n_head=2 n_embd=65536"}});
  EXPECT_EMBER_ERROR(recipes::generate_from_checkpoint(path, "a", {}, 1), path.c_str(), "parameters");
  io::save_safetensors(path, {{"model.x", zeros({1})}},
                       {{"recipe", "shakespeare-gpt"},
                        {"vocab", "6162"},
                        {"model", "vocab_size=65x block_size=16 n_layer=1 n_head=2 n_embd=8"}});
  EXPECT_EMBER_ERROR(recipes::generate_from_checkpoint(path, "a", {}, 1), path.c_str(), "vocab_size=65x");
  io::save_safetensors(path, {{"model.x", zeros({1})}},
                       {{"recipe", "shakespeare-gpt"},
                        {"vocab", "6162"},
                        {"model", "vocab_size=65 block_size=16 n_layer=1.5 n_head=2 n_embd=8"}});
  EXPECT_EMBER_ERROR(recipes::generate_from_checkpoint(path, "a", {}, 1), path.c_str(), "n_layer=1.5");
}

std::shared_ptr<data::TensorDataset> blobs(int64_t n) {
  Generator g(7);
  std::vector<int64_t> labels(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) labels[static_cast<size_t>(i)] = i % 2;
  Tensor y = tensor(labels);                            // (n,)
  Tensor x = randn({n, 4}, kFloat32, &g) + y.to(kFloat32).unsqueeze(1);  // (n, 4)
  return std::make_shared<data::TensorDataset>(x, y);
}

struct RunLog {
  std::string log;
  double lr = 0;  // the optimizer's lr after the run
  size_t history = 0;
};

// A linear classifier on `n` examples; `config` is the run's "config" metadata (the flags).
RunLog run(train::TrainerOptions o, double lr, int64_t batch = 16, int64_t n = 96) {
  manual_seed(3);
  auto model = std::make_shared<nn::Linear>(4, 2);
  optim::SGD opt(model->parameters(), optim::SGDOptions(lr).momentum(0.9));
  data::DataLoader loader(blobs(n), {.batch_size = batch, .shuffle = true, .seed = 5});
  train::Trainer t(model, opt, std::move(o));
  std::ostringstream log;
  train::Callbacks cb;
  cb.evaluate = [&] {
    auto e = train::evaluate_classifier(*model, loader, 2, [&](const data::Batch& b) {
      Tensor out = model->forward(b.data);  // (B, 2)
      return train::ClassifierBatch{out, b.target, cross_entropy(out, b.target, Tensor(), -100, "sum")};
    });
    return train::Metrics{{"test_accuracy", e.metrics.accuracy()}};
  };
  auto fit = t.fit(loader, [&](const data::Batch& b) {
    return train::StepOutput{cross_entropy(model->forward(b.data), b.target), b.data.size(0)};
  }, cb, &log);
  return {log.str(), opt.param_groups()[0].lr(), fit.history.size()};
}

std::string config(int64_t epochs, int64_t batch, double lr) {
  std::ostringstream os;
  os << "epochs=" << epochs << " batch_size=" << batch << " lr=" << lr << " momentum=0.9";
  return os.str();
}

TEST(Validation, ResumeAppliesAChangedLrWithANoteAndRejectsOtherChanges) {
  test::TempDir dir;
  run({.epochs = 1, .checkpoint_dir = dir.path(), .recipe = "blobs", .config = config(1, 16, 0.1)}, 0.1);
  // The optimizer state holds lr 0.1; the command line's 0.5 wins, and says so.
  RunLog r = run({.epochs = 2, .resume = dir.file("last.safetensors"), .recipe = "blobs", .config = config(2, 16, 0.5)},
              0.5);
  EXPECT_NE(r.log.find("Note: --lr 0.5 replaces the checkpoint's 0.1"), std::string::npos) << r.log;
  EXPECT_DOUBLE_EQ(r.lr, 0.5);
  EXPECT_EQ(r.history, 2u);
  EXPECT_EMBER_ERROR(run({.epochs = 2, .resume = dir.file("last.safetensors"), .recipe = "blobs",
                          .config = config(2, 32, 0.1)}, 0.1, 32),
                     "--resume", "trained with --batch-size 16, this run has --batch-size 32");
}

TEST(Validation, ResumingAFinishedRunSaysSo) {
  test::TempDir dir;
  run({.epochs = 1, .checkpoint_dir = dir.path(), .recipe = "blobs", .config = config(1, 16, 0.1)}, 0.1);
  RunLog r = run({.epochs = 1, .checkpoint_dir = dir.path(), .resume = "auto", .recipe = "blobs",
               .config = config(1, 16, 0.1)}, 0.1);
  EXPECT_NE(r.log.find("The run already finished: 1 of 1 epochs done"), std::string::npos) << r.log;
  EXPECT_EQ(r.history, 1u);  // the checkpoint's history: its accuracy, not a fresh 0
}

TEST(Validation, MalformedEpochInAResumedCheckpointNamesTheFile) {
  test::TempDir dir;
  run({.epochs = 1, .checkpoint_dir = dir.path(), .recipe = "blobs", .config = config(1, 16, 0.1)}, 0.1);
  io::SafetensorsFile f = io::load_safetensors(dir.file("last.safetensors"));
  f.metadata["epoch"] = "one";
  io::save_safetensors(dir.file("bad.safetensors"), f.tensors, f.metadata);
  EXPECT_EMBER_ERROR(run({.epochs = 2, .resume = dir.file("bad.safetensors"), .recipe = "blobs",
                          .config = config(2, 16, 0.1)}, 0.1),
                     "bad.safetensors", "malformed epoch 'one'");
}

TEST(Validation, BatchSizeStepCountAndEmptySetsAreCheckedBeforeTraining) {
  EXPECT_EMBER_ERROR(run({.epochs = 1}, 0.1, 97, 96), "--batch-size", "97 is more than the 96 training examples");
  EXPECT_EMBER_ERROR(run({.epochs = 1}, 0.1, 16, 0), "the training set is empty");
  EXPECT_EMBER_ERROR(run({.epochs = int64_t{1} << 62}, 0.1), "--epochs", "overflow the step counter");
}

TEST(Validation, AnEmptyEvaluationSetIsAnError) {
  auto model = std::make_shared<nn::Linear>(4, 2);
  data::DataLoader empty_loader(blobs(0), {.batch_size = 1});
  EXPECT_EMBER_ERROR(train::evaluate_classifier(*model, empty_loader, 2,
                                                [&](const data::Batch& b) {
                                                  Tensor out = model->forward(b.data);
                                                  return train::ClassifierBatch{out, b.target, sum(out)};
                                                }),
                     "evaluation set is empty");
}

TEST(Validation, OutputPathsAreCheckedBeforeTraining) {
  test::TempDir dir;
  auto model = std::make_shared<nn::Linear>(4, 2);
  optim::SGD opt(model->parameters(), optim::SGDOptions(0.1));
  auto make = [&](train::TrainerOptions o) { train::Trainer t(model, opt, std::move(o)); };
  EXPECT_EMBER_ERROR(make({.metrics_path = "/nonexistent/ember/m.csv"}), "--metrics", "'/nonexistent/ember' does not exist");
  EXPECT_EMBER_ERROR(make({.metrics_path = dir.file("m.txt")}), "--metrics", "must end in .csv or .jsonl");
  EXPECT_EMBER_ERROR(make({.metrics_path = dir.path() + "/"}), "--metrics");
  EXPECT_EMBER_ERROR(make({.plot_path = dir.file("c.jpg")}), "--plot", ".png");
  EXPECT_EMBER_ERROR(make({.plot_path = "/proc/ember-curves.png"}), "--plot", "cannot write");
  make({.metrics_path = dir.file("m.csv"), .plot_path = dir.file("c.png")});
  EXPECT_TRUE(dir.list().empty());  // the check leaves nothing behind
}

TEST(Validation, ASaveRemovesTemporariesOfKilledSaves) {
  test::TempDir dir;
  const pid_t child = fork();
  if (child == 0) _exit(0);
  ASSERT_GT(child, 0);
  waitpid(child, nullptr, 0);  // its pid now belongs to no process: a save killed midway
  const std::string dead = std::to_string(child), live = std::to_string(getppid());
  dir.write("last.safetensors.tmp." + dead, "torn");
  dir.write("last.safetensors.tmp." + live, "a save in progress elsewhere");
  dir.write("other.safetensors.tmp." + dead, "another target's");
  io::save_safetensors(dir.file("last.safetensors"), {{"x", zeros({2})}});
  std::vector<std::string> names = dir.list();
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"last.safetensors", "last.safetensors.tmp." + live,
                                             "other.safetensors.tmp." + dead}));
}

}  // namespace
}  // namespace ember
