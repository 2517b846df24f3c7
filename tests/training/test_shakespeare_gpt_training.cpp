// End-to-end: the shakespeare-gpt recipe learns (shortened), resumes exactly from a checkpoint,
// samples from its checkpoint, and rejects bad flags and foreign checkpoints. Slow: labelled
// "training" in CTest.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <sstream>

#include "ember/nn/layers.h"
#include "ember/recipes/shakespeare_gpt.h"
#include "ember/text/utf8.h"
#include "ember/train/checkpoint.h"
#include "op_registry.h"
#include "temp_dir.h"

using namespace ember;

namespace {
// A small, fast configuration for the mechanics tests.
recipes::ShakespeareGptConfig small() {
  recipes::ShakespeareGptConfig c;
  c.steps = 20, c.batch_size = 4, c.block_size = 32, c.n_layer = 2, c.n_head = 2, c.n_embd = 32;
  c.eval_interval = 10, c.eval_iters = 2, c.log_interval = 0, c.sample_tokens = 0, c.warmup_steps = 5;
  return c;
}
}  // namespace

// The default recipe cut to 200 steps (the lr schedule spans them: 100 warmup, then cosine).
// Measured on the development machine: validation loss 2.4412 after 200 steps, the same at 1 and
// at 2 threads (4.21 before training); the threshold leaves a margin for other thread counts.
TEST(ShakespeareGptTraining, TwoHundredStepsLearnCharacterStatistics) {
  recipes::ShakespeareGptConfig c;
  c.steps = 200;
  c.eval_interval = 100;
  c.sample_tokens = 200;
  std::ostringstream log;
  auto r = recipes::train_shakespeare_gpt(c, log);
  std::cout << log.str();
  ASSERT_EQ(r.history.size(), 3u);  // steps 0, 100, 200
  EXPECT_GT(r.history[0].get("val_loss"), 4.0);  // ln 65 = 4.17 before training
  EXPECT_LT(r.val_loss, 2.6) << log.str();
  EXPECT_LT(r.train_loss, 2.6);
  EXPECT_EQ(r.step_losses.size(), 200u);
  EXPECT_EQ(r.sample.size(), 200u);
  EXPECT_NE(log.str().find("step 200: train loss"), std::string::npos);
}

TEST(ShakespeareGptTraining, ResumeReproducesTheUninterruptedLosses) {
  test::TempDir a, b;
  recipes::ShakespeareGptConfig c = small();
  c.dropout = 0.1;  // exercises the saved RNG state
  c.checkpoint_dir = a.path();
  std::ostringstream log;
  auto full = recipes::train_shakespeare_gpt(c, log);
  ASSERT_EQ(full.step_losses.size(), 20u);

  c.checkpoint_dir = b.path();
  c.stop_after = 10;  // an interrupted run: the schedule still spans 20 steps
  auto first = recipes::train_shakespeare_gpt(c, log);
  ASSERT_EQ(first.step_losses.size(), 10u);
  c.stop_after = 0;
  c.resume = "auto";
  auto resumed = recipes::train_shakespeare_gpt(c, log);
  ASSERT_EQ(resumed.step_losses.size(), 10u);
  for (size_t i = 0; i < 10; ++i) {
    EXPECT_EQ(first.step_losses[i], full.step_losses[i]) << "step " << i;
    EXPECT_EQ(resumed.step_losses[i], full.step_losses[10 + i]) << "step " << 10 + i;
  }
  ASSERT_EQ(resumed.history.size(), 3u);  // steps 0, 10, 20: the history travels in the checkpoint
  EXPECT_EQ(resumed.val_loss, full.val_loss);
  EXPECT_TRUE(std::filesystem::exists(b.file("metrics.csv")));
  EXPECT_TRUE(std::filesystem::exists(b.file("curves.png")));
  // A resume with another model shape names both.
  c.n_embd = 64;
  EXPECT_EMBER_ERROR(recipes::train_shakespeare_gpt(c, log), "--resume", "n_embd=32", "n_embd=64");
}

TEST(ShakespeareGptTraining, GenerateFromTheCheckpoint) {
  test::TempDir d;
  recipes::ShakespeareGptConfig c = small();
  c.checkpoint_dir = d.path();
  std::ostringstream log;
  recipes::train_shakespeare_gpt(c, log);
  std::string ck = d.file("last.safetensors");
  models::GenerateOptions o;
  o.max_new_tokens = 40;
  std::string a = recipes::generate_from_checkpoint(ck, "ROMEO:", o, 7);
  EXPECT_EQ(a.size(), 40u);
  EXPECT_EQ(a, recipes::generate_from_checkpoint(ck, "ROMEO:", o, 7));  // the seed fixes the text
  EXPECT_NE(a, recipes::generate_from_checkpoint(ck, "ROMEO:", o, 8));
  EXPECT_EMBER_ERROR(recipes::generate_from_checkpoint(ck, "caf\xc3\xa9", o, 7), "--prompt", "'é' (U+00E9)",
                     "at position 3 (byte 3)", "vocabulary of 65");
  EXPECT_EMBER_ERROR(recipes::generate_from_checkpoint(ck, "", o, 7), "prompt is empty");
  nn::Linear other(4, 2);
  train::save_checkpoint(d.file("mnist.safetensors"), other, nullptr, {{"recipe", "mnist-cnn"}});
  EXPECT_EMBER_ERROR(recipes::generate_from_checkpoint(d.file("mnist.safetensors"), "a", o, 7), "mnist.safetensors",
                     "mnist-cnn", "shakespeare-gpt");
  EXPECT_EMBER_ERROR(recipes::generate_from_checkpoint(d.file("missing.safetensors"), "a", o, 7), "missing.safetensors");
}

TEST(ShakespeareGptTraining, BadConfigurationsNameTheFlag) {
  std::ostringstream log;
  auto expect_flag = [&](auto change, const char* flag) {
    recipes::ShakespeareGptConfig c = small();
    change(c);
    EXPECT_EMBER_ERROR(recipes::train_shakespeare_gpt(c, log), flag);
  };
  expect_flag([](auto& c) { c.steps = 0; }, "--steps");
  expect_flag([](auto& c) { c.n_embd = 30, c.n_head = 4; }, "--n-embd");
  expect_flag([](auto& c) { c.dropout = 1.0; }, "--dropout");
  expect_flag([](auto& c) { c.min_lr = 1.0; }, "--min-lr");
  expect_flag([](auto& c) { c.eval_iters = 0; }, "--eval-iters");
  expect_flag([](auto& c) { c.stop_after = 21; }, "--stop-after");
  expect_flag([](auto& c) { c.resume = "auto"; }, "--resume");
  expect_flag([](auto& c) { c.data_root = "/nonexistent/data"; }, "/nonexistent/data");
  expect_flag([](auto& c) { c.text_path = "/nonexistent/corpus.txt"; }, "--text");
  test::TempDir d;
  d.write("short.txt", "far too short for a block of 32");
  expect_flag([&](auto& c) { c.text_path = d.file("short.txt"); }, "--block-size");
  expect_flag([](auto& c) { c.precision = "float16"; }, "--precision");
}

// --precision bf16 (autocast) against float32, same seed and steps: the 200-step run of
// TwoHundredStepsLearnCharacterStatistics. Measured: validation loss within 0.1% of float32's (the
// full 2,000-step recipe: 1.8835 vs 1.8836); the bound is 1%, the acceptance.
TEST(ShakespeareGptTraining, Bf16AutocastEndsWithinOnePercentOfFloat32) {
  auto run = [](const char* precision) {
    recipes::ShakespeareGptConfig c;
    c.steps = 200, c.eval_interval = 100, c.sample_tokens = 0, c.precision = precision;
    std::ostringstream log;
    return recipes::train_shakespeare_gpt(c, log);
  };
  auto f32 = run("float32"), bf16 = run("bf16");
  EXPECT_LT(std::abs(bf16.val_loss - f32.val_loss), 0.01 * f32.val_loss) << bf16.val_loss << " vs " << f32.val_loss;
  EXPECT_NE(bf16.step_losses, f32.step_losses);  // bf16 products really ran
}

// --text: any UTF-8 file, here with two- and three-byte characters and no newline, learns (the
// loss falls far below a uniform guess over its character vocabulary) and samples from its first
// character; resuming on another text is refused.
TEST(ShakespeareGptTraining, TrainsOnAnyTextFile) {
  test::TempDir d;
  std::string text;
  for (int i = 0; i < 300; ++i) text += "the quick brown fox jumps over the lazy dog, caf\xc3\xa9 \xe2\x9c\x93 " + std::to_string(i % 10) + ". ";
  d.write("corpus.txt", text);
  recipes::ShakespeareGptConfig c = small();
  c.text_path = d.file("corpus.txt");
  c.steps = 60, c.eval_interval = 60, c.eval_iters = 4, c.lr = 3e-3, c.sample_tokens = 40;
  c.checkpoint_dir = d.file("run");
  std::ostringstream log;
  auto r = recipes::train_shakespeare_gpt(c, log);
  ASSERT_EQ(r.history.size(), 2u);  // steps 0 and 60
  const double uniform = std::log(41.0);  // 41 distinct characters (44 bytes): ln 41 = 3.71
  EXPECT_GT(r.history[0].get("val_loss"), uniform - 0.5) << log.str();
  EXPECT_LT(r.val_loss, 2.5) << log.str();  // measured 1.75 after 60 steps (3.79 before)
  EXPECT_NE(log.str().find("vocabulary 41"), std::string::npos) << log.str();
  EXPECT_EQ(text::utf8_char_count(r.sample), 40);  // 40 sampled characters after the first one

  d.write("other.txt", std::string(4000, 'x') + std::string(4000, 'y'));
  c.text_path = d.file("other.txt");
  c.resume = "auto";
  EXPECT_EMBER_ERROR(recipes::train_shakespeare_gpt(c, log), "--resume", "vocab_size=41", "vocab_size=2");
}
