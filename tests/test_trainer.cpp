// train::Trainer, the one training loop: epoch and step runs, exact resume (an interrupted run
// repeats the uninterrupted one bit for bit), history files, early stopping, gradient clipping,
// the learning-rate schedule, and the errors it raises. Small synthetic problems: the recipes'
// end-to-end tests (tests/training) train it on real data.
#include <gtest/gtest.h>

#include "blobs_data.h"

#include <cmath>
#include <fstream>
#include <sstream>

#include "ember/data/dataset.h"
#include "ember/ember.h"
#include "ember/io/safetensors.h"
#include "ember/nn/layers.h"
#include "ember/optim.h"
#include "ember/train/trainer.h"
#include "op_registry.h"
#include "temp_dir.h"

namespace ember {
namespace {

using test::blobs;

struct TrainRun {
  train::FitResult fit;
  std::vector<float> weight;
};

// Epoch run of a linear classifier; every call starts from the same seed.
TrainRun epoch_run(train::TrainerOptions o, train::Callbacks cb = {}) {
  manual_seed(3);
  auto model = std::make_shared<nn::Linear>(4, 2);
  optim::SGD opt(model->parameters(), optim::SGDOptions(0.1).momentum(0.9));
  auto set = blobs(96);
  data::DataLoader loader(set, {.batch_size = 16, .shuffle = true, .seed = 5});
  train::Trainer t(model, opt, std::move(o));
  std::ostringstream log;
  TrainRun r;
  r.fit = t.fit(loader, [&](const data::Batch& b) {
    Tensor out = model->forward(b.data);  // (B, 2)
    Tensor loss = cross_entropy(out, b.target);
    NoGradGuard ng;
    return train::StepOutput{loss, b.data.size(0), sum(eq(argmax(out, 1), b.target)).item<int64_t>()};
  }, cb, &log);
  r.weight = model->weight.to_vector<float>();
  return r;
}

TEST(Trainer, EpochRunLearnsAndRecordsHistory) {
  test::TempDir dir;
  TrainRun r = epoch_run({.epochs = 3, .checkpoint_dir = dir.path(), .recipe = "blobs"});
  ASSERT_EQ(r.fit.history.size(), 3u);
  EXPECT_EQ(r.fit.step_losses.size(), 18u);  // 96 / 16 steps per epoch
  EXPECT_LT(r.fit.history.back().get("train_loss"), r.fit.history.front().get("train_loss"));
  EXPECT_GT(r.fit.history.back().get("train_accuracy"), 0.8);
  std::ifstream csv(dir.file("metrics.csv"));
  std::string header;
  std::getline(csv, header);
  EXPECT_EQ(header, "epoch,train_loss,train_accuracy,images_per_second");
  io::SafetensorsFile ck = io::load_safetensors(dir.file("last.safetensors"));
  EXPECT_EQ(ck.metadata.at("epoch"), "3");
  EXPECT_EQ(ck.metadata.at("recipe"), "blobs");
  EXPECT_EQ(train::decode_history(ck.metadata.at("history"), "ck").size(), 3u);
}

TEST(Trainer, EpochRunResumesExactly) {
  auto decay = [](int64_t step) { return 0.1 / (1.0 + 0.1 * static_cast<double>(step)); };  // counts resumed steps
  TrainRun whole = epoch_run({.epochs = 4, .lr_at = decay});
  test::TempDir dir;
  TrainRun first = epoch_run({.epochs = 2, .lr_at = decay, .checkpoint_dir = dir.path()});
  TrainRun rest = epoch_run({.epochs = 4, .lr_at = decay, .checkpoint_dir = dir.path(), .resume = "auto"});
  EXPECT_TRUE(rest.fit.resumed);
  std::vector<double> steps = first.fit.step_losses;
  steps.insert(steps.end(), rest.fit.step_losses.begin(), rest.fit.step_losses.end());
  EXPECT_EQ(steps, whole.fit.step_losses);  // bit for bit
  EXPECT_EQ(rest.weight, whole.weight);
  ASSERT_EQ(rest.fit.history.size(), 4u);  // the two rows before the resume come from the checkpoint
  EXPECT_EQ(rest.fit.history[1].get("train_loss"), whole.fit.history[1].get("train_loss"));
}

TEST(Trainer, EarlyStoppingWatchesTheEvaluation) {
  int calls = 0;
  train::Callbacks cb;
  cb.evaluate = [&] { return train::Metrics{{"val_loss", 1.0 + calls++}}; };  // worse every epoch
  TrainRun r = epoch_run({.epochs = 10, .early_stopping_patience = 2}, cb);
  EXPECT_TRUE(r.fit.stopped_early);
  EXPECT_EQ(r.fit.history.size(), 3u);  // the best at epoch 1, then two without improvement
  EXPECT_EQ(r.fit.last_eval[0].second, 3.0);
}

// Step run: batches drawn from a tracked generator, an lr schedule, evaluation every 5 steps.
TrainRun step_run(train::TrainerOptions o) {
  manual_seed(4);
  auto model = std::make_shared<nn::Linear>(3, 1);
  optim::Adam opt(model->parameters(), optim::AdamOptions(0.05));
  o.steps = 20, o.eval_every = 5, o.grad_clip = 0.5;
  o.lr_at = [](int64_t s) { return 0.05 / (1.0 + static_cast<double>(s)); };
  train::Trainer t(model, opt, o);
  Generator data_gen(11);
  t.track_generator("data_rng", data_gen);
  Tensor w = tensor({1.0f, -2.0f, 0.5f}).unsqueeze(1);  // (3, 1): the target map
  train::Callbacks cb;
  cb.evaluate = [&] {
    NoGradGuard ng;
    Generator g(99);
    Tensor x = randn({64, 3}, kFloat32, &g);
    return train::Metrics{{"val_loss", mse_loss(model->forward(x), matmul(x, w)).item()}};
  };
  std::ostringstream log;
  TrainRun r;
  r.fit = t.fit([&] {
    Tensor x = randn({8, 3}, kFloat32, &data_gen);  // (8, 3)
    return data::Batch{x, matmul(x, w)};
  }, [&](const data::Batch& b) {
    return train::StepOutput{mse_loss(model->forward(b.data), b.target), b.data.size(0)};
  }, cb, &log);
  r.weight = model->weight.to_vector<float>();
  return r;
}

TEST(Trainer, StepRunEvaluatesOnScheduleAndResumesExactly) {
  TrainRun whole = step_run({});
  ASSERT_EQ(whole.fit.history.size(), 5u);  // steps 0, 5, 10, 15, 20
  EXPECT_EQ(whole.fit.history[2].epoch, 10);
  EXPECT_DOUBLE_EQ(whole.fit.history[2].get("lr"), 0.05 / 11.0);
  EXPECT_LT(whole.fit.history.back().get("val_loss"), whole.fit.history.front().get("val_loss"));
  test::TempDir dir;
  TrainRun first = step_run({.stop_after = 10, .checkpoint_dir = dir.path()});
  EXPECT_EQ(first.fit.steps_done, 10);
  TrainRun rest = step_run({.checkpoint_dir = dir.path(), .resume = dir.file("last.safetensors")});
  EXPECT_EQ(rest.fit.steps_done, 10);
  std::vector<double> steps = first.fit.step_losses;
  steps.insert(steps.end(), rest.fit.step_losses.begin(), rest.fit.step_losses.end());
  EXPECT_EQ(steps, whole.fit.step_losses);
  EXPECT_EQ(rest.weight, whole.weight);
  EXPECT_EQ(rest.fit.history.size(), 5u);
}

TEST(Trainer, SummedLossIsReportedPerSample) {
  manual_seed(1);
  auto model = std::make_shared<nn::Linear>(2, 1);
  optim::SGD opt(model->parameters(), optim::SGDOptions(0.0));  // lr 0: the loss stays put
  auto set = std::make_shared<data::TensorDataset>(ones({10, 2}), zeros({10, 1}));
  data::DataLoader loader(set, {.batch_size = 4});  // batches of 4, 4, 2
  train::Trainer t(model, opt, {.epochs = 1, .loss_is_sum = true});
  std::ostringstream log;
  Tensor per = pow(model->forward(ones({1, 2})), 2.0).sum();  // one sample's squared error
  auto r = t.fit(loader, [&](const data::Batch& b) {
    return train::StepOutput{mse_loss(model->forward(b.data), b.target, "sum"), b.data.size(0)};
  }, {}, &log);
  EXPECT_NEAR(r.history[0].get("train_loss"), per.item(), 1e-6);
  ASSERT_EQ(r.step_losses.size(), 3u);
  EXPECT_NEAR(r.step_losses[2], per.item(), 1e-6);
}

TEST(Trainer, ErrorsNameWhatToFix) {
  auto model = std::make_shared<nn::Linear>(4, 2);
  optim::SGD opt(model->parameters(), optim::SGDOptions(0.1));
  EXPECT_EMBER_ERROR(train::Trainer(model, opt, {.resume = "auto"}), "--resume", "--checkpoint-dir");
  EXPECT_EMBER_ERROR(train::Trainer(nullptr, opt, {}), "Trainer", "null");
  auto set = blobs(32);
  data::DataLoader loader(set, {.batch_size = 8});
  std::ostringstream log;
  train::Trainer bad_steps(model, opt, {.epochs = 1});
  EXPECT_EMBER_ERROR(bad_steps.fit(loader, [&](const data::Batch& b) {
    return train::StepOutput{model->forward(b.data), 8};  // (8, 2): not a scalar
  }, {}, &log), "Trainer", "scalar loss", "[8, 2]");
  train::Trainer no_epochs(model, opt, {.epochs = 0});
  EXPECT_EMBER_ERROR(no_epochs.fit(loader, [&](const data::Batch&) { return train::StepOutput{}; }, {}, &log),
                     "--epochs", "positive");
  // A checkpoint of another recipe, and one that has trained past --epochs.
  test::TempDir dir;
  TrainRun r = epoch_run({.epochs = 2, .checkpoint_dir = dir.path(), .recipe = "blobs"});
  EXPECT_EMBER_ERROR(epoch_run({.epochs = 3, .checkpoint_dir = dir.path(), .resume = "auto", .recipe = "other"}),
                     "--resume", "recipe 'blobs'", "not 'other'");
  EXPECT_EMBER_ERROR(epoch_run({.epochs = 1, .checkpoint_dir = dir.path(), .resume = "auto", .recipe = "blobs"}),
                     "--resume", "already trained 2 epochs", "--epochs 1");
  train::Trainer steps(model, opt, {.steps = 5, .eval_every = 0});
  EXPECT_EMBER_ERROR(steps.fit([] { return data::Batch{}; }, [](const data::Batch&) { return train::StepOutput{}; },
                               {}, &log),
                     "--eval-interval", "positive");
}

TEST(Trainer, EvaluateClassifierCountsEveryExample) {
  manual_seed(2);
  auto model = std::make_shared<nn::Linear>(4, 2);
  auto set = blobs(50);
  data::DataLoader loader(set, {.batch_size = 16});
  model->train();
  auto e = train::evaluate_classifier(*model, loader, 2, [&](const data::Batch& b) {
    Tensor out = model->forward(b.data);
    return train::ClassifierBatch{out, b.target, cross_entropy(out, b.target, Tensor(), -100, "sum")};
  });
  EXPECT_TRUE(model->is_training());  // restored
  EXPECT_EQ(e.metrics.count(), 50);
  NoGradGuard ng;
  Tensor all = set->data();
  EXPECT_NEAR(e.loss, cross_entropy(model->forward(all), set->targets()).item(), 1e-5);
}

}  // namespace
}  // namespace ember
