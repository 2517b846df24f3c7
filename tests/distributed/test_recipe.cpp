// The mnist-cnn and shakespeare-gpt recipes under mpirun: a run resumed from its checkpoint
// repeats the uninterrupted run's losses exactly, with the optimizer state whole (DDP) or sharded
// (ZeRO-1); only rank 0 prints and writes files.
#include <unistd.h>

#include <filesystem>
#include <sstream>

#include "dist_test_util.h"
#include "ember/recipes/mnist_cnn.h"
#include "ember/recipes/shakespeare_gpt.h"

using namespace ember;
using ember::test::world;

namespace {
// A directory every rank agrees on (rank 0's pid in the name); removed by rank 0.
std::string shared_dir(const std::string& tag) {
  Tensor pid = tensor<int64_t>({static_cast<int64_t>(::getpid())}, {1});
  world().broadcast(pid, 0);
  return (std::filesystem::temp_directory_path() / ("ember-dist-" + tag + "-" + std::to_string(pid.item<int64_t>())))
      .string();
}
}  // namespace

TEST(MnistCnnUnderMpirun, ResumeReproducesTheUninterruptedLossesWithAndWithoutZero) {
  for (bool zero : {false, true}) {
    SCOPED_TRACE(zero ? "zero" : "ddp");
    recipes::MnistCnnConfig c;
    c.progress = false;
    c.num_workers = 0;
    c.train_limit = 640;   // 640 / (ranks x 64) steps an epoch
    c.evaluate_test = false;
    c.dropout = 0.25;      // the saved RNG state
    c.augment = true;      // per-sample transform randomness
    c.optimizer = "adam";  // state that ZeRO shards
    c.lr = 1e-3;
    c.zero = zero;
    c.epochs = 3;
    std::string a = shared_dir("full"), b = shared_dir("resumed");
    std::ostringstream log;
    c.checkpoint_dir = a;
    auto full = recipes::train_mnist_cnn(c, log);
    c.checkpoint_dir = b;
    c.epochs = 1;
    auto first = recipes::train_mnist_cnn(c, log);
    c.epochs = 3;
    c.resume = "auto";
    auto resumed = recipes::train_mnist_cnn(c, log);
    const size_t per_epoch = first.step_losses.size();
    ASSERT_EQ(full.step_losses.size(), 3 * per_epoch);
    ASSERT_EQ(resumed.step_losses.size(), 2 * per_epoch);
    for (size_t i = 0; i < resumed.step_losses.size(); ++i)
      EXPECT_EQ(resumed.step_losses[i], full.step_losses[per_epoch + i]) << "step " << per_epoch + i;
    // Rank 0 prints and writes; the others stay silent.
    EXPECT_EQ(log.str().empty(), world().rank() != 0);
    EXPECT_TRUE(std::filesystem::exists(b + "/metrics.csv"));
    world().barrier();
    if (world().rank() == 0) {
      std::filesystem::remove_all(a);
      std::filesystem::remove_all(b);
    }
  }
}

// The GPT's batches are random windows from a stream per rank; the checkpoint keeps every rank's
// stream, so a resumed run draws the windows the uninterrupted one drew.
TEST(ShakespeareGptUnderMpirun, ResumeReproducesTheUninterruptedLossesWithAndWithoutZero) {
  for (bool zero : {false, true}) {
    SCOPED_TRACE(zero ? "zero" : "ddp");
    recipes::ShakespeareGptConfig c;
    c.steps = 12, c.eval_interval = 6, c.eval_iters = 2, c.log_interval = 0, c.sample_tokens = 0;
    c.batch_size = 2, c.block_size = 8, c.n_layer = 1, c.n_head = 2, c.n_embd = 16;
    c.warmup_steps = 2, c.lr = 3e-3;
    c.zero = zero;
    std::string a = shared_dir("gpt-full"), b = shared_dir("gpt-resumed");
    std::ostringstream log;
    c.checkpoint_dir = a;
    auto full = recipes::train_shakespeare_gpt(c, log);
    c.checkpoint_dir = b;
    c.stop_after = 6;
    auto first = recipes::train_shakespeare_gpt(c, log);
    c.stop_after = 0;
    c.resume = "auto";
    auto resumed = recipes::train_shakespeare_gpt(c, log);
    ASSERT_EQ(full.step_losses.size(), 12u);
    ASSERT_EQ(first.step_losses.size(), 6u);
    ASSERT_EQ(resumed.step_losses.size(), 6u);
    for (size_t i = 0; i < 6; ++i) {
      EXPECT_EQ(first.step_losses[i], full.step_losses[i]) << "step " << i;
      EXPECT_EQ(resumed.step_losses[i], full.step_losses[6 + i]) << "step " << 6 + i;
    }
    EXPECT_EQ(resumed.val_loss, full.val_loss);
    EXPECT_LT(full.val_loss, 4.0);  // below ln 65 = 4.17: it trained
    EXPECT_EQ(log.str().empty(), world().rank() != 0);
    EXPECT_TRUE(std::filesystem::exists(b + "/metrics.csv"));
    world().barrier();
    if (world().rank() == 0) {
      std::filesystem::remove_all(a);
      std::filesystem::remove_all(b);
    }
  }
}
