#include "shakespeare_gpt_cmd.h"

#include <cmath>
#include <iostream>
#include <memory>

#include "distributed_options.h"
#include "tune_cmd.h"
#include "ember/recipes/shakespeare_gpt.h"

namespace ember::cli {

void add_shakespeare_gpt_flags(CLI::App* t, recipes::ShakespeareGptConfig& cfg) {
  t->add_option("--steps", cfg.steps, "Training steps (batches)")->check(kPositive);
  t->add_option("--batch-size", cfg.batch_size, "Sequences per step (per rank under mpirun)")->check(kPositive);
  t->add_option("--block-size", cfg.block_size, "Context length in characters")->check(kPositive);
  t->add_option("--n-layer", cfg.n_layer, "Transformer blocks")->check(kPositive);
  t->add_option("--n-head", cfg.n_head, "Attention heads")->check(kPositive);
  t->add_option("--n-embd", cfg.n_embd, "Embedding width (a multiple of --n-head)")->check(kPositive);
  t->add_option("--dropout", cfg.dropout, "Dropout probability")->check(CLI::Range(0.0, 0.99));
  t->add_option("--lr", cfg.lr, "Peak learning rate (AdamW) after warmup")->check(kPositive);
  t->add_option("--min-lr", cfg.min_lr, "Learning rate at the last step (cosine decay)")->check(kNonNegative);
  t->add_option("--warmup-steps", cfg.warmup_steps, "Linear warmup steps")->check(kNonNegative);
  t->add_option("--weight-decay", cfg.weight_decay, "AdamW weight decay (2-D weights only)")->check(kNonNegative);
  t->add_option("--grad-clip", cfg.grad_clip, "Clip the global gradient norm to this (0: off)")->check(kNonNegative);
  t->add_option("--eval-interval", cfg.eval_interval, "Estimate train/val loss every this many steps")->check(kPositive);
  t->add_option("--eval-iters", cfg.eval_iters, "Batches per split in each estimate")->check(kPositive);
  t->add_option("--log-interval", cfg.log_interval, "Print the step loss every this many steps (0: never)")
      ->check(kNonNegative);
  t->add_option("--seed", cfg.seed, "Random seed (same seed and threads: identical results)");
  t->add_option("--threads", cfg.threads, "Compute threads (default: all cores or EMBER_NUM_THREADS)")->check(kThreads);
  add_precision_flag(t, cfg.precision);
  add_nonfinite_flag(t, cfg.nonfinite);
  t->add_option("--data", cfg.data_root, "Data root holding tinyshakespeare/input.txt (default: EMBER_DATA or ../shared/data)");
  t->add_option("--text", cfg.text_path, "Train on this UTF-8 text file instead of Tiny Shakespeare (one token per character)");
  t->add_option("--checkpoint-dir", cfg.checkpoint_dir, "Write last.safetensors, metrics.csv and curves.png here");
  t->add_option("--resume", cfg.resume, "Resume from a checkpoint file, or 'auto' (last one in --checkpoint-dir)");
  t->add_option("--metrics", cfg.metrics_path, "Metrics file (.csv or .jsonl), one row per evaluation");
  t->add_option("--plot", cfg.plot_path, "PNG of the loss curves");
  t->add_option("--sample-tokens", cfg.sample_tokens, "Characters to sample at the end (0: none)")->check(kNonNegative);
  t->add_option("--stop-after", cfg.stop_after,
                "Stop after this many steps in total, keeping the schedule of --steps (resume later)")
      ->check(kNonNegative);
  // Under mpirun (mpirun -np N ember train ...): data-parallel over N processes.
  add_distributed_options(t, cfg.zero, cfg.bucket_cap_mb);
}

void add_shakespeare_gpt_commands(CLI::App& app, CLI::App& train, CLI::App& tune, Commands& out) {
  auto cfg = std::make_shared<recipes::ShakespeareGptConfig>();
  CLI::App* t = train.add_subcommand("shakespeare-gpt", "A character-level GPT on Tiny Shakespeare (nanoGPT's shakespeare_char, CPU size)");
  add_shakespeare_gpt_flags(t, *cfg);
  add_tensorboard_flag(t, cfg->tensorboard_dir);
  out.push_back({t, [cfg] {
                   recipes::train_shakespeare_gpt(*cfg, std::cout);
                   return 0;
                 }});
  add_generate_command(app, out);
  recipes::ShakespeareGptConfig base;  // tuning defaults; the command line's flags apply on top
  base.sample_tokens = 0, base.log_interval = 0;
  add_tune_command(tune,
                   make_tunable<recipes::ShakespeareGptConfig>("shakespeare-gpt", "The character-level GPT, scored by its validation loss",
                                {{"--lr", {"0.0003", "0.001", "0.003"}}, {"--dropout", {"0", "0.1"}}},
                                base, add_shakespeare_gpt_flags,
                                [](const recipes::ShakespeareGptConfig& cfg) -> TrialScore {
                                  auto r = recipes::train_shakespeare_gpt(cfg, std::cout);
                                  return {r.val_loss, NAN};
                                }),
                   out);
}

}  // namespace ember::cli
