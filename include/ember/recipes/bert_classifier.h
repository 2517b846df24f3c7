#pragma once
// `ember train bert-classifier [--model DIR]`: fine-tunes a pretrained BERT-family folder (a
// Hugging Face checkpoint with its tokenizer.json; by default all-MiniLM-L6-v2 from the data
// root's models/) with a
// classification head on IMDB sentiment, as the usual recipe does:
//
//   review -> the folder's tokenizer ([CLS] wordpieces [SEP], cut to --max-len)
//   -> BertForSequenceClassification (B, T) -> (B, 2) logits, cross-entropy
//   AdamW (weight decay off for biases and LayerNorm weights), lr warmed up linearly over the
//   first --warmup fraction of the steps, then decayed linearly to 0 (transformers'
//   get_linear_schedule_with_warmup), dropout as the config says.
//
// Data: the project's fixed split of <data>/imdb/reviews.json.gz. --train-size N takes N/2
// reviews of each class spread evenly over the training split; each epoch visits them in the
// order of a shuffle of its own (a 64-bit LCG over Fisher-Yates, seeded with seed + epoch), written
// the same way in bench/imdb_subset.py, so the PyTorch anchor (bench/bert_classifier_torch.py)
// trains on the same batches. Each batch is padded to its longest review. Evaluation covers the
// test split (or --test-limit reviews spread evenly), cut to --eval-max-len tokens, in batches of 64.
//
// Checkpoints (--checkpoint-dir, every epoch), --resume and mpirun (each rank its strided share
// of the shuffled order; --batch-size per rank) work as in every recipe. --save-model DIR writes
// the fine-tuned model as a Hugging Face folder (config.json, model.safetensors and the tokenizer
// files) that transformers' from_pretrained loads.
#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "ember/tensor.h"
#include "ember/train/report.h"

namespace ember::recipes {

struct BertClassifierConfig {
  // A BERT-family Hugging Face folder, or the name of one under <data root>/models.
  std::string model_dir = "all-MiniLM-L6-v2";
  int64_t train_size = 10000;     // training reviews (half of each class); 0 or >= 25,000: all
  int64_t epochs = 1;
  int64_t batch_size = 32;
  int64_t max_len = 128;          // training tokens per review, [CLS] and [SEP] included
  int64_t eval_max_len = 256;
  double lr = 1e-4;
  double warmup = 0.1;            // fraction of the steps
  double weight_decay = 0.01;
  double clip_norm = 0;           // gradient-norm clipping (0: off, as transformers' plain loop)
  int threads = 0;                // 0: keep the current setting
  std::string precision = "float32";  // or "bf16": autocast (ember/autocast.h), float32 weights
  std::string nonfinite = "stop";     // or "skip": a NaN/inf loss (train::TrainerOptions)
  uint64_t seed = 1;
  std::string data_root;          // "" -> EMBER_DATA or ../shared/data
  std::string checkpoint_dir;
  std::string resume;             // a checkpoint path, or "auto"
  std::string metrics_path;
  std::string tensorboard_dir;  // TensorBoard event files (train::TrainerOptions); "" -> none
  std::string save_model;         // "" -> none: a Hugging Face folder for the fine-tuned model
  int64_t max_steps_per_epoch = 0;  // 0: the whole epoch
  int64_t test_limit = 0;         // evaluate on N test reviews spread evenly (0: all 25,000)
  bool progress = true;
  bool zero = false;              // under mpirun: shard AdamW's state (ZeRO stage 1)
  double bucket_cap_mb = 25;
};

struct BertClassifierResult {
  std::vector<train::EpochRecord> history;
  double test_accuracy = 0, test_loss = 0;
  double precision = 0, recall = 0, f1 = 0;  // of the positive class, last epoch
  double reviews_per_second = 0, tokens_per_second = 0;  // training steps only
  double final_loss = 0;                     // mean of the last 20 steps' losses
};

BertClassifierResult train_bert_classifier(const BertClassifierConfig& cfg, std::ostream& out);

// A fine-tuned classifier folder's logits for `texts` (N, num_labels) float32: the folder's
// tokenizer, cut to max_len tokens, in batches of similar length (sorted, so little padding), on
// the current threads. For distillation's teacher (ember distill imdb-lstm). `log` (if not null)
// gets a line per 10% done.
Tensor classifier_logits(const std::string& model_dir, const std::vector<std::string>& texts, int64_t max_len,
                         int64_t batch_size = 32, std::ostream* log = nullptr);

// The batch order's shuffle, shared with bench/imdb_subset.py: Fisher-Yates over 0..n-1 driven by
// Knuth's MMIX LCG, j = (state >> 33) % (i + 1).
std::vector<int64_t> lcg_shuffle(int64_t n, uint64_t seed);

}  // namespace ember::recipes
