// `ember train imdb-lstm`: flags of the IMDB sentiment LSTM recipe.
#include "imdb_lstm_cmd.h"

#include <cstdio>
#include <cmath>
#include <iostream>
#include <memory>

#include "distributed_options.h"
#include "tune_cmd.h"
#include "ember/recipes/imdb_lstm.h"

namespace ember::cli {

void add_imdb_lstm_flags(CLI::App* c, recipes::ImdbLstmConfig& cfg) {
  c->add_option("--epochs", cfg.epochs, "Passes over the training reviews")->check(kPositive);
  c->add_option("--batch-size", cfg.batch_size, "Reviews per step (per rank under mpirun)")->check(kPositive);
  c->add_option("--lr", cfg.lr, "Adam learning rate")->check(kPositive);
  c->add_option("--embed-dim", cfg.embed_dim, "Word embedding size")->check(kPositive);
  c->add_option("--hidden", cfg.hidden, "LSTM hidden size (per direction)")->check(kPositive);
  c->add_option("--layers", cfg.layers, "Stacked LSTM layers")->check(kPositive);
  c->add_option("--bidirectional", cfg.bidirectional, "Run the LSTM both ways (true or false)");
  c->add_option("--dropout", cfg.dropout, "Dropout on the embeddings, between layers and on the pooled features")
      ->check(CLI::Range(0.0, 0.99));
  c->add_option("--max-len", cfg.max_len, "Tokens kept of each review")->check(kPositive);
  c->add_option("--truncate", cfg.truncate, "Which end of a longer review is kept: head or tail")
      ->check(CLI::IsMember({"head", "tail"}));
  c->add_option("--pool", cfg.pool, "LSTM outputs to the classifier: max, mean, maxmean (over time) or last (state)")
      ->check(CLI::IsMember({"max", "mean", "maxmean", "last"}));
  c->add_option("--vocab-size", cfg.vocab_size, "Most frequent training words kept")->check(kPositive);
  c->add_option("--min-freq", cfg.min_freq, "Keep words seen at least this often in training")->check(kPositive);
  c->add_option("--clip-norm", cfg.clip_norm, "Clip the gradient norm to this (0: off)")->check(kNonNegative);
  c->add_option("--threads", cfg.threads, "Compute threads (default: all cores or EMBER_NUM_THREADS)")
      ->check(kThreads);
  add_precision_flag(c, cfg.precision);
  add_nonfinite_flag(c, cfg.nonfinite);
  c->add_option("--seed", cfg.seed, "Random seed (same seed and threads: identical results)");
  c->add_option("--data", cfg.data_root, "Data root holding imdb/ (default: EMBER_DATA or ../shared/data)");
  c->add_option("--checkpoint-dir", cfg.checkpoint_dir,
                "Write last.safetensors (model, optimizer and vocabulary) and metrics.csv here after every epoch");
  c->add_option("--resume", cfg.resume, "Resume from a checkpoint file, or 'auto' (last one in --checkpoint-dir)");
  c->add_option("--metrics", cfg.metrics_path, "Per-epoch metrics file (.csv or .jsonl)");
  c->add_option("--max-steps", cfg.max_steps_per_epoch, "Stop each epoch after this many steps (0: whole epoch)")
      ->check(kNonNegative);
  c->add_option("--train-limit", cfg.train_limit, "Train on N reviews spread evenly over the split (0: all)")
      ->check(kNonNegative);
  c->add_option("--test-limit", cfg.test_limit, "Evaluate on N test reviews spread evenly (0: all)")
      ->check(kNonNegative);
  c->add_flag("!--no-progress", cfg.progress, "No progress bar");
  // Under mpirun (mpirun -np N ember train ...): data-parallel over N processes.
  add_distributed_options(c, cfg.zero, cfg.bucket_cap_mb);
}

void add_imdb_lstm_command(CLI::App& train, CLI::App& tune, Commands& out) {
  auto cfg = std::make_shared<recipes::ImdbLstmConfig>();
  CLI::App* c = train.add_subcommand("imdb-lstm", "IMDB review sentiment with an LSTM over packed sequences");
  add_imdb_lstm_flags(c, *cfg);
  add_tensorboard_flag(c, cfg->tensorboard_dir);
  out.push_back({c, [cfg] {
                   auto r = recipes::train_imdb_lstm(*cfg, std::cout);
                   if (!is_main_process()) return 0;  // under mpirun rank 0 reports
                   std::printf("Test accuracy: %.2f%% (precision %.4f, recall %.4f, F1 %.4f)\n", 100 * r.test_accuracy,
                               r.precision, r.recall, r.f1);
                   return 0;
                 }});
  recipes::ImdbLstmConfig base;  // tuning defaults; the command line's flags apply on top
  base.epochs = 1, base.validation_size = 2500, base.progress = false;
  add_tune_command(tune,
                   make_tunable<recipes::ImdbLstmConfig>("imdb-lstm", "IMDB sentiment, scored on training reviews held out",
                                {{"--lr", {"0.001", "0.003", "0.01"}}, {"--dropout", {"0.2", "0.3", "0.5"}}},
                                base, add_imdb_lstm_flags,
                                [](const recipes::ImdbLstmConfig& cfg) -> TrialScore {
                                  auto r = recipes::train_imdb_lstm(cfg, std::cout);
                                  return {r.test_loss, r.test_accuracy};
                                }),
                   out);
}

}  // namespace ember::cli
