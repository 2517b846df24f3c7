// `ember train mnist-vae`: flags of the variational autoencoder recipe.
#include <cstdio>
#include <cmath>
#include <iostream>
#include <memory>

#include "distributed_options.h"
#include "tune_cmd.h"
#include "ember/recipes/mnist_vae.h"
#include "mnist_autoencoder_cmd.h"

namespace ember::cli {

void add_mnist_vae_flags(CLI::App* c, recipes::MnistVaeConfig& cfg) {
  c->add_option("--epochs", cfg.epochs, "Passes over the training set")->check(kPositive);
  c->add_option("--batch-size", cfg.batch_size, "Images per step (per rank under mpirun)")->check(kPositive);
  c->add_option("--lr", cfg.lr, "Adam learning rate")->check(kPositive);
  c->add_option("--latent-dim", cfg.latent_dim, "Size of the latent code z")->check(kPositive);
  c->add_option("--hidden", cfg.hidden, "Hidden units of the encoder and the decoder")->check(kPositive);
  c->add_option("--samples", cfg.num_samples, "Digits decoded from N(0, I) into samples.png (a multiple of 8)")
      ->check(kPositive);
  c->add_option("--seed", cfg.seed, "Random seed (same seed and threads: identical results)");
  c->add_option("--threads", cfg.threads, "Compute threads (default: all cores or EMBER_NUM_THREADS)")
      ->check(kThreads);
  add_precision_flag(c, cfg.precision);
  add_nonfinite_flag(c, cfg.nonfinite);
  c->add_option("--data", cfg.data_root, "Data root holding mnist/ (default: EMBER_DATA or ../shared/data)");
  c->add_option("--checkpoint-dir", cfg.checkpoint_dir,
                "Write last.safetensors, metrics.csv, samples.png and reconstructions.png here after every epoch");
  c->add_option("--resume", cfg.resume, "Resume from a checkpoint file, or 'auto' (last one in --checkpoint-dir)");
  c->add_option("--metrics", cfg.metrics_path, "Per-epoch metrics file (.csv or .jsonl)");
  c->add_option("--samples-png", cfg.samples_path, "PNG of digits decoded from fixed N(0, I) codes");
  c->add_option("--reconstructions-png", cfg.recon_path, "PNG of test digits above their reconstructions");
  c->add_option("--max-steps", cfg.max_steps_per_epoch, "Stop each epoch after this many steps (0: whole epoch)")
      ->check(kNonNegative);
  c->add_option("--train-limit", cfg.train_limit, "Train on the first N images only (0: all)")->check(kNonNegative);
  c->add_option("--workers", cfg.num_workers, "Data loader threads")->check(kWorkers);
  c->add_flag("!--no-progress", cfg.progress, "No progress bar");
  // Under mpirun (mpirun -np N ember train ...): data-parallel over N processes.
  add_distributed_options(c, cfg.zero, cfg.bucket_cap_mb);
}

void add_mnist_vae_command(CLI::App& train, CLI::App& tune, Commands& out) {
  auto cfg = std::make_shared<recipes::MnistVaeConfig>();
  CLI::App* c = train.add_subcommand("mnist-vae", "PyTorch's variational autoencoder example on MNIST");
  add_mnist_vae_flags(c, *cfg);
  add_tensorboard_flag(c, cfg->tensorboard_dir);
  out.push_back({c, [cfg] {
                   auto r = recipes::train_mnist_vae(*cfg, std::cout);
                   if (!is_main_process()) return 0;  // under mpirun rank 0 reports
                   std::printf("Test loss (-ELBO per image): %.4f (BCE %.4f + KL %.4f)\n", r.test_loss, r.test_bce,
                               r.test_kl);
                   return 0;
                 }});
  recipes::MnistVaeConfig base;  // tuning defaults; the command line's flags apply on top
  base.epochs = 1, base.validation_size = 5000, base.progress = false, base.num_samples = 8;
  add_tune_command(tune,
                   make_tunable<recipes::MnistVaeConfig>("mnist-vae", "The VAE, scored by the held-out negative ELBO",
                                {{"--lr", {"0.0003", "0.001", "0.003"}}, {"--latent-dim", {"10", "20", "40"}}},
                                base, add_mnist_vae_flags,
                                [](const recipes::MnistVaeConfig& cfg) -> TrialScore {
                                  auto r = recipes::train_mnist_vae(cfg, std::cout);
                                  return {r.test_loss, NAN};
                                }),
                   out);
}

}  // namespace ember::cli
