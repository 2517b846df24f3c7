// tensorboard_overhead: what `--tensorboard` adds to a training step of the seed CNN, measured on
// the trainer's own logging calls (src/train/trainer_tensorboard.h), against the step itself.
//   tensorboard_overhead [--threads 2] [--steps 30] [--batch 64] [--steps-per-epoch 938]
// Per step the trainer writes two scalars (train_step/loss, train_step/lr); per epoch the
// history row (six scalars), a histogram of every weight and gradient (2 x 1.2 M values), and a
// flush. Prints the median training step (forward, cross-entropy, backward, SGD step on a
// random batch), the median cost of each logging part, and their share of a step with the
// per-epoch part spread over an epoch's steps (MNIST at batch 64: 938).
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "bench_util.h"
#include "ember/models/mnist_cnn.h"
#include "ember/ops.h"
#include "ember/optim/sgd.h"
#include "ember/parallel.h"
#include "ember/train/tensorboard.h"
#include "train/trainer_tensorboard.h"

using namespace ember;

namespace {
double arg(int argc, char** argv, const char* name, double def) {
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], name) == 0) return std::atof(argv[i + 1]);
  return def;
}
}  // namespace

int main(int argc, char** argv) {
  const int threads = static_cast<int>(arg(argc, argv, "--threads", 2));
  const int steps = static_cast<int>(arg(argc, argv, "--steps", 30));
  const int64_t batch = static_cast<int64_t>(arg(argc, argv, "--batch", 64));
  const double per_epoch = arg(argc, argv, "--steps-per-epoch", 938);
  set_num_threads(threads);
  manual_seed(1);
  auto model = std::make_shared<models::MnistCNN>();
  optim::SGD opt(model->parameters(), optim::SGDOptions(0.01).momentum(0.9));
  Generator g(2);
  const Tensor x = randn({batch, 1, 28, 28}, kFloat32, &g);  // (B, 1, 28, 28)
  const Tensor y = randint(0, 10, {batch}, kInt64, &g);      // (B,)
  double loss = 0;
  const double step_s = bench::median_seconds(
      [&] {
        opt.zero_grad();
        Tensor l = nll_loss(model->forward(x), y);
        l.backward();
        opt.step();
        loss = l.item();
      },
      steps, 1, 3);

  const std::string dir =
      (std::filesystem::temp_directory_path() / ("ember-tb-bench-" + std::to_string(::getpid()))).string();
  double log_step_s = 0, log_epoch_s = 0;
  {
    train::TensorBoardWriter tb(dir);
    int64_t s = 0;
    // Two scalars, as the trainer per step; includes the buffer writes every max_queue events.
    log_step_s = bench::median_seconds([&] { train::detail::log_step(tb, ++s, loss, 0.01); }, 7, 2000);
    train::EpochRecord row{1,
                           {{"train_loss", 0.2},
                            {"train_accuracy", 0.9},
                            {"test_loss", 0.1},
                            {"test_accuracy", 0.97},
                            {"images_per_second", 1800}}};
    log_epoch_s = bench::median_seconds(
        [&] {
          train::detail::log_row(tb, row);
          train::detail::log_parameters(tb, *model, row.epoch++);
          tb.flush();
        },
        7, 1, 1);
  }
  std::filesystem::remove_all(dir);
  const double share = (log_step_s + log_epoch_s / per_epoch) / step_s;
  std::printf(
      "threads %d, batch %lld: step %s; per step log_step %s; per epoch (row, %lld-parameter histograms "
      "x2, flush) %s\n",
      threads, static_cast<long long>(batch), bench::fmt_time(step_s).c_str(), bench::fmt_time(log_step_s).c_str(),
      static_cast<long long>(model->num_parameters()), bench::fmt_time(log_epoch_s).c_str());
  std::printf("overhead: %.4f%% of a step (%.4f%% per step + %.4f%% for the epoch's part over %.0f steps)\n",
              100 * share, 100 * log_step_s / step_s, 100 * log_epoch_s / per_epoch / step_s, per_epoch);
  return 0;
}
