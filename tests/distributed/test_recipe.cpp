// The mnist-cnn recipe under mpirun: a run resumed from its checkpoint repeats the uninterrupted
// run's losses exactly, with the optimizer state whole (DDP) or sharded (ZeRO-1); only rank 0
// writes files.
#include <unistd.h>

#include <filesystem>
#include <sstream>

#include "dist_test_util.h"
#include "ember/recipes/mnist_cnn.h"

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
