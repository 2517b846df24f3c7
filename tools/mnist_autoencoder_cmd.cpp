// `ember train mnist-autoencoder`: flags of the convolutional autoencoder recipe.
#include <cstdio>
#include <cmath>
#include <iostream>
#include <memory>

#include "distributed_options.h"
#include "tune_cmd.h"
#include "ember/recipes/mnist_autoencoder.h"
#include "mnist_autoencoder_cmd.h"

namespace ember::cli {

void add_mnist_autoencoder_flags(CLI::App* c, recipes::MnistAutoencoderConfig& cfg) {
  c->add_option("--epochs", cfg.epochs, "Passes over the training set")->check(kPositive);
  c->add_option("--batch-size", cfg.batch_size, "Images per step (per rank under mpirun)")->check(kPositive);
  c->add_option("--lr", cfg.lr, "Adam learning rate")->check(kPositive);
  c->add_option("--latent-dim", cfg.latent_dim, "Size of the code between encoder and decoder")->check(kPositive);
  c->add_option("--loss", cfg.loss, "Training loss per pixel: bce or mse")->check(CLI::IsMember({"bce", "mse"}));
  c->add_option("--seed", cfg.seed, "Random seed (same seed and threads: identical results)");
  c->add_option("--threads", cfg.threads, "Compute threads (default: all cores or EMBER_NUM_THREADS)")
      ->check(kThreads);
  add_precision_flag(c, cfg.precision);
  add_nonfinite_flag(c, cfg.nonfinite);
  c->add_option("--data", cfg.data_root, "Data root holding mnist/ (default: EMBER_DATA or ../shared/data)");
  c->add_option("--checkpoint-dir", cfg.checkpoint_dir,
                "Write last.safetensors, metrics.csv and reconstructions.png here after every epoch");
  c->add_option("--resume", cfg.resume, "Resume from a checkpoint file, or 'auto' (last one in --checkpoint-dir)");
  c->add_option("--metrics", cfg.metrics_path, "Per-epoch metrics file (.csv or .jsonl)");
  c->add_option("--images", cfg.image_path, "PNG of test digits (rows) above their reconstructions");
  c->add_option("--max-steps", cfg.max_steps_per_epoch, "Stop each epoch after this many steps (0: whole epoch)")
      ->check(kNonNegative);
  c->add_option("--train-limit", cfg.train_limit, "Train on the first N images only (0: all)")->check(kNonNegative);
  c->add_option("--workers", cfg.num_workers, "Data loader threads")->check(kWorkers);
  c->add_flag("!--no-progress", cfg.progress, "No progress bar");
  // Under mpirun (mpirun -np N ember train ...): data-parallel over N processes.
  add_distributed_options(c, cfg.zero, cfg.bucket_cap_mb);
}

void add_mnist_autoencoder_command(CLI::App& train, CLI::App& tune, Commands& out) {
  auto cfg = std::make_shared<recipes::MnistAutoencoderConfig>();
  CLI::App* c = train.add_subcommand("mnist-autoencoder", "A convolutional autoencoder on MNIST");
  add_mnist_autoencoder_flags(c, *cfg);
  add_tensorboard_flag(c, cfg->tensorboard_dir);
  out.push_back({c, [cfg] {
                   auto r = recipes::train_mnist_autoencoder(*cfg, std::cout);
                   if (!is_main_process()) return 0;  // under mpirun rank 0 reports
                   std::printf("Test reconstruction error per pixel: MSE %.5f, BCE %.5f\n", r.test_mse, r.test_bce);
                   return 0;
                 }});
  recipes::MnistAutoencoderConfig base;  // tuning defaults; the command line's flags apply on top
  base.epochs = 1, base.validation_size = 5000, base.progress = false;
  add_tune_command(tune,
                   make_tunable<recipes::MnistAutoencoderConfig>("mnist-autoencoder", "The convolutional autoencoder, scored by held-out reconstruction BCE",
                                {{"--lr", {"0.0003", "0.001", "0.003"}}, {"--latent-dim", {"16", "32", "64"}}},
                                base, add_mnist_autoencoder_flags,
                                [](const recipes::MnistAutoencoderConfig& cfg) -> TrialScore {
                                  auto r = recipes::train_mnist_autoencoder(cfg, std::cout);
                                  return {r.test_bce, NAN};
                                }),
                   out);
}

}  // namespace ember::cli
