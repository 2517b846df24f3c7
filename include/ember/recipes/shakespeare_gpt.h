#pragma once
// `ember train shakespeare-gpt`: a character-level GPT on Tiny Shakespeare, as nanoGPT's
// shakespeare_char config scaled down for a CPU (the README's laptop settings: 4 layers, 4 heads,
// 128 channels, context 64, batch 12, 2,000 steps, no dropout). AdamW (beta2 0.99, weight decay on
// the 2-D weights only), linear warmup then cosine decay to min_lr, gradient clipping.
// The text's first 90% trains, the last 10% validates.
#include <functional>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "ember/models/generate.h"
#include "ember/train/report.h"

namespace ember::recipes {

struct ShakespeareGptConfig {
  int64_t steps = 2000;
  int64_t batch_size = 12;
  int64_t block_size = 64;
  int64_t n_layer = 4, n_head = 4, n_embd = 128;
  double dropout = 0.0;
  double lr = 1e-3;             // peak learning rate, after warmup
  double min_lr = 1e-4;         // reached at the last step (nanoGPT: lr / 10)
  int64_t warmup_steps = 100;
  double weight_decay = 0.1;    // AdamW, on matmul and embedding weights
  double beta2 = 0.99;          // nanoGPT's choice for its small data set
  double grad_clip = 1.0;       // clip the global gradient norm to this (0: off)
  int64_t eval_interval = 250;  // estimate train/val loss every this many steps (and at the end)
  int64_t eval_iters = 20;      // batches per split in each estimate
  int64_t log_interval = 100;   // print the training loss every this many steps (0: never)
  uint64_t seed = 1337;
  int threads = 0;              // 0: keep the current setting
  std::string precision = "float32";  // or "bf16": autocast (ember/autocast.h), float32 weights
  std::string nonfinite = "stop";     // or "skip": a NaN/inf loss (train::TrainerOptions)
  std::string data_root;        // "" -> EMBER_DATA or ../shared/data; reads tinyshakespeare/input.txt
  std::string text_path;        // any UTF-8 text file to train on instead (one token per character)
  std::string checkpoint_dir;   // "" -> no checkpoints; else last.safetensors at each evaluation
  std::string resume;           // a checkpoint path, or "auto" (last.safetensors in checkpoint_dir)
  std::string metrics_path;     // .csv or .jsonl; "" -> <checkpoint_dir>/metrics.csv if any
  std::string tensorboard_dir;  // TensorBoard event files (train::TrainerOptions); "" -> none
  std::string plot_path;        // .png; "" -> <checkpoint_dir>/curves.png if any
  int64_t sample_tokens = 500;  // characters sampled at the end (0: none)
  // Stop once this many steps are done in total (0: at --steps) while the lr schedule still spans
  // --steps: a long run split into sessions with --resume gives the uninterrupted run's result.
  int64_t stop_after = 0;
  // Under mpirun (one process per rank; batch_size is per rank, each rank draws its own windows):
  // DDP, optionally ZeRO-1.
  bool zero = false;            // shard AdamW's moments across ranks (ZeRO stage 1)
  double bucket_cap_mb = 25;    // DDP's gradient bucket size
};

struct ShakespeareGptResult {
  std::vector<train::EpochRecord> history;  // one row per evaluation, "epoch" = steps done
  double train_loss = 0, val_loss = 0;      // the last evaluation
  double tokens_per_second = 0;             // training steps only, evaluations excluded
  std::vector<double> step_losses;          // every training step's loss (for exact-resume tests)
  std::string sample;                       // the text sampled at the end
};

ShakespeareGptResult train_shakespeare_gpt(const ShakespeareGptConfig& cfg, std::ostream& out);

// Loads a shakespeare-gpt checkpoint (its model config and vocabulary travel in its metadata) and
// continues `prompt` by opts.max_new_tokens characters (returned without the prompt). The prompt
// must be non-empty and use only characters of the training text (the error names the first one
// that is not); the CLI's default prompt is a newline, as nanoGPT's sample.py. `on_text`, when
// given, receives each new character as it is generated.
std::string generate_from_checkpoint(const std::string& checkpoint, const std::string& prompt,
                                     const models::GenerateOptions& opts, uint64_t seed,
                                     const std::function<void(const std::string&)>& on_text = {});

// The model of a shakespeare-gpt checkpoint, built from the config in its metadata, in eval mode.
// Errors name the file (a checkpoint of another recipe, a missing or malformed config).
std::shared_ptr<models::GPT> load_shakespeare_gpt(const std::string& checkpoint);

}  // namespace ember::recipes
