#include "mnist_cnn_cmd.h"

#include <algorithm>
#include <cstdlib>
#include <cstdio>
#include <iostream>
#include <memory>
#include <random>

#include "distributed_options.h"
#include "tune_cmd.h"

namespace ember::cli {

namespace {

// CLI11's PositiveNumber prints its range as 0 to 1.8e308; these say it plainly.
CLI::Validator number_check(bool allow_zero) {
  return CLI::Validator(
      [allow_zero](std::string& v) -> std::string {
        char* end = nullptr;
        double d = std::strtod(v.c_str(), &end);
        if (end == v.c_str() || *end != '\0') return "expected a number, got '" + v + "'";
        if (d < 0 || (!allow_zero && d == 0)) return std::string("must be ") + (allow_zero ? "non-negative" : "positive") + ", got " + v;
        return "";
      },
      allow_zero ? "NON-NEGATIVE" : "POSITIVE");
}
}  // namespace

const CLI::Validator kPositive = number_check(false);
const CLI::Validator kNonNegative = number_check(true);

namespace {

void add_common(CLI::App* c, recipes::MnistCnnConfig& cfg) {
  c->add_option("--epochs", cfg.epochs, "Passes over the training set")->check(kPositive);
  c->add_option("--batch-size", cfg.batch_size, "Images per step (per rank under mpirun)")->check(kPositive);
  c->add_option("--optimizer", cfg.optimizer, "sgd, nesterov, gd, adam, adamw, rmsprop or adagrad")
      ->check(CLI::IsMember({"sgd", "nesterov", "gd", "adam", "adamw", "rmsprop", "adagrad"}));
  c->add_option("--weight-decay", cfg.weight_decay, "L2 penalty (decoupled for adamw)")->check(kNonNegative);
  c->add_option("--l1", cfg.l1, "L1 penalty added to the loss")->check(kNonNegative);
  c->add_option("--dropout", cfg.dropout, "Dropout after the pool and after fc1")->check(CLI::Range(0.0, 0.99));
  c->add_flag("--augment", cfg.augment, "Random shifts and rotations of the training images");
  c->add_option("--threads", cfg.threads, "Compute threads (default: all cores or EMBER_NUM_THREADS)")
      ->check(kThreads);
  add_precision_flag(c, cfg.precision);
  add_nonfinite_flag(c, cfg.nonfinite);
  c->add_option("--seed", cfg.seed, "Random seed (same seed and threads: identical results)");
  c->add_option("--data", cfg.data_root,
                 "Data root holding mnist/, or any folder of IDX files in MNIST's layout such as Fashion-MNIST "
                 "(default: EMBER_DATA or ../shared/data)");
  c->add_option("--mean", cfg.mean, "Standardize inputs with this mean (default: the training images' mean)");
  c->add_option("--std", cfg.std, "... and this std (default: the training images' std)")->check(kPositive);
  c->add_option("--workers", cfg.num_workers, "Data loader threads")->check(kWorkers);
  c->add_option("--max-steps", cfg.max_steps_per_epoch, "Stop each epoch after this many steps (0: whole epoch)")
      ->check(kNonNegative);
  c->add_option("--train-limit", cfg.train_limit, "Train on the first N images only (0: all)")
      ->check(kNonNegative);
  // Under mpirun (mpirun -np N ember train ...): data-parallel over N processes.
  add_distributed_options(c, cfg.zero, cfg.bucket_cap_mb);
}

}  // namespace

void add_mnist_cnn_flags(CLI::App* t, recipes::MnistCnnConfig& cfg) {
  add_common(t, cfg);
  t->add_option("--lr", cfg.lr, "Learning rate")->check(kPositive);
  t->add_option("--momentum", cfg.momentum, "Momentum (sgd, nesterov, rmsprop)")->check(CLI::Range(0.0, 0.999999));
  t->add_option("--checkpoint-dir", cfg.checkpoint_dir, "Write last.safetensors, metrics.csv and curves.png here");
  t->add_option("--resume", cfg.resume, "Resume from a checkpoint file, or 'auto' (last one in --checkpoint-dir)");
  t->add_option("--metrics", cfg.metrics_path, "Per-epoch metrics file (.csv or .jsonl)");
  t->add_option("--plot", cfg.plot_path, "PNG of the loss and accuracy curves");
  t->add_flag("!--no-progress", cfg.progress, "No progress bar");
  t->add_option("--early-stopping", cfg.early_stopping_patience,
                "Stop after this many epochs without a better test loss (0: off)")->check(kNonNegative);
  t->add_option("--min-delta", cfg.early_stopping_min_delta, "Smallest loss decrease that counts as better")
      ->check(kNonNegative);
}

void add_mnist_cnn_commands(CLI::App& app, CLI::App& train, CLI::App& tune, Commands& out) {
  auto tc = std::make_shared<TrainCommands>();
  auto& cfg = tc->cfg;
  CLI::App* t = train.add_subcommand("mnist-cnn", "The seed's CNN on MNIST");
  add_mnist_cnn_flags(t, cfg);
  add_tensorboard_flag(t, cfg.tensorboard_dir);  // not for tune: its trials would share one run
  out.push_back({t, [tc] {
                   auto r = recipes::train_mnist_cnn(tc->cfg, std::cout);
                   if (is_main_process()) std::printf("Test accuracy: %.2f%%\n", 100 * r.test_accuracy);
                   return 0;
                 }});

  CLI::App* e = app.add_subcommand("eval", "Evaluate a mnist-cnn checkpoint on the MNIST test set");
  e->add_option("checkpoint", tc->checkpoint, "A .safetensors checkpoint written by ember train")->required();
  e->add_option("--data", cfg.data_root, "Data root holding mnist/");
  e->add_option("--batch-size", tc->eval_batch, "Images per batch")->check(kPositive);
  out.push_back({e, [tc] {
                   auto r = recipes::evaluate_mnist_cnn_checkpoint(tc->checkpoint, tc->cfg.data_root, tc->eval_batch);
                   if (!is_main_process()) return 0;  // under mpirun every rank evaluates; one reports
                   std::cout << r.report;
                   std::printf("Test accuracy: %.2f%%, test loss %.4f\n", 100 * r.accuracy, r.loss);
                   return 0;
                 }});

  // Tuning: one epoch per trial unless --epochs says otherwise, scored on 5,000 held-out training images.
  recipes::MnistCnnConfig base;  // tuning defaults; the command line's flags apply on top
  base.epochs = 1, base.validation_size = 5000, base.progress = false;
  add_tune_command(tune,
                   make_tunable<recipes::MnistCnnConfig>("mnist-cnn", "The seed's CNN on MNIST, scored on training images held out",
                                {{"--lr", {"0.003", "0.01", "0.03", "0.1"}},
                                   {"--momentum", {"0", "0.5", "0.9"}},
                                   {"--weight-decay", {"0", "0.0001", "0.001"}}},
                                base, add_mnist_cnn_flags,
                                [](const recipes::MnistCnnConfig& cfg) -> TrialScore {
                                  auto r = recipes::train_mnist_cnn(cfg, std::cout);
                                  return {r.test_loss, r.test_accuracy};
                                }),
                   out);
}

}  // namespace ember::cli
