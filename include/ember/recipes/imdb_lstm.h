#pragma once
// `ember train imdb-lstm`: IMDB sentiment with an LSTM over packed variable-length reviews.
//
//   tokens (B, T) -> Embedding (B, T, E) -> dropout -> pack_padded_sequence(lengths)
//   -> LSTM (num_layers, bidirectional) -> outputs (B, T, D*H) pooled over each review's real
//   tokens (--pool) -> (B, P) -> dropout -> Linear -> (B, 2) logits, trained with cross-entropy
//   and Adam.
//
// --pool: maxmean (default: the max and the mean over time of each feature, concatenated,
// P = 2*D*H), max, mean or last (the final hidden state of the last layer, both directions when
// bidirectional). Pooling lets every position reach the classifier directly; the final state has
// to carry a whole review through hundreds of steps and trains far less reliably on IMDB.
// Padding never enters a pool: the packed LSTM does not run over it, and it is masked out (-inf for
// max, excluded from the mean's count).
//
// Data: the project's fixed split of <data>/imdb/reviews.json.gz (data::read_imdb). The
// vocabulary is built from the training reviews only (the --vocab-size most frequent words seen
// at least --min-freq times). Reviews longer than --max-len tokens keep their last --max-len
// (--truncate tail, the default: reviews close with their verdict) or their first (head). A
// review with no tokens at all (empty text, or only whitespace) becomes a single <unk> token
// (data::IMDB), so every packed sequence has length >= 1 and still gets a prediction.
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "ember/nn/layers.h"
#include "ember/nn/rnn.h"
#include "ember/text/word_tokenizer.h"
#include "ember/train/report.h"

namespace ember::recipes {

struct ImdbLstmConfig {
  int64_t epochs = 3;
  int64_t batch_size = 64;
  double lr = 3e-3;               // Adam
  int64_t embed_dim = 64;
  int64_t hidden = 96;
  int64_t layers = 1;
  bool bidirectional = true;
  double dropout = 0.3;           // on the embeddings and on the pooled features
  int64_t max_len = 200;          // tokens kept of each review
  std::string truncate = "tail";  // head | tail: which end of a long review is kept
  std::string pool = "maxmean";   // max | mean | maxmean | last: see above
  int64_t vocab_size = 25000;     // words kept (the two specials <pad>, <unk> not counted)
  int64_t min_freq = 2;
  double clip_norm = 5.0;         // gradient-norm clipping (0: off); LSTMs' occasional spikes
  int threads = 0;                // 0: keep the current setting
  std::string precision = "float32";  // or "bf16": autocast (ember/autocast.h), float32 weights
  std::string nonfinite = "stop";     // or "skip": a NaN/inf loss (train::TrainerOptions)
  uint64_t seed = 1;
  std::string data_root;          // "" -> EMBER_DATA or ../shared/data
  std::string checkpoint_dir;     // "" -> no checkpoint
  std::string resume;             // a checkpoint path, or "auto" (last.safetensors in checkpoint_dir)
  std::string metrics_path;       // .csv or .jsonl; "" -> <checkpoint_dir>/metrics.csv if any
  std::string tensorboard_dir;  // TensorBoard event files (train::TrainerOptions); "" -> none
  int64_t max_steps_per_epoch = 0;  // 0: the whole epoch
  int64_t train_limit = 0;        // train on N reviews spread evenly over the split (0: all)
  int64_t test_limit = 0;         // evaluate on N test reviews spread evenly (0: all)
  int64_t validation_size = 0;    // evaluate on N training reviews held out (spread evenly) instead (tune)
  bool progress = true;
  // Under mpirun (one process per rank; batch_size is per rank): DDP, optionally ZeRO-1.
  bool zero = false;              // shard Adam's state across ranks (ZeRO stage 1)
  double bucket_cap_mb = 25;      // DDP's gradient bucket size
  // Distillation (`ember distill imdb-lstm`): the student also learns from a fine-tuned classifier's
  // softened logits on its training reviews, alpha * T^2 * KL + (1 - alpha) * CE (distillation_loss).
  // The teacher runs once over the training reviews before training (BERT is far too slow to run
  // every step); its logits can be kept in teacher_cache for later runs on the same reviews.
  std::string teacher;            // a Hugging Face classifier folder (bert-classifier --save-model); "": none
  double temperature = 4.0;
  double alpha = 0.0;             // weight of the teacher's term; 0: the labels alone
  int64_t teacher_max_len = 256;  // the teacher's tokens per review ([CLS] and [SEP] included)
  std::string teacher_cache;      // .safetensors of the teacher's logits, reused when teacher and reviews match
  std::string teacher_precision = "float32";  // or "bf16": the teacher's forward passes under bf16 autocast
};

// The network; parameter names embedding.weight, lstm.weight_ih_l0..., fc.weight, fc.bias.
class SentimentLSTM : public nn::Module {
 public:
  // pool: max, mean, maxmean or last (an ember::Error names anything else).
  SentimentLSTM(int64_t vocab_size, int64_t embed_dim, int64_t hidden, int64_t layers, bool bidirectional,
                double dropout, const std::string& pool = "max", Generator* gen = nullptr);
  // tokens (B, T) int64 padded with 0 at the end, lengths (B) int64 in [1, T] -> (B, 2) logits.
  Tensor forward(const Tensor& tokens, const Tensor& lengths);
  Tensor forward(const Tensor& tokens) override;  // lengths from the padding (data::padded_lengths)
  // From the embedded tokens (B, T, E) on (attributions to the embeddings): forward() is
  // forward_embedded(embedding(tokens), lengths).
  Tensor forward_embedded(const Tensor& embedded, const Tensor& lengths);
  std::string name() const override { return "SentimentLSTM"; }

  std::shared_ptr<nn::Embedding> embedding;
  std::shared_ptr<nn::LSTM> lstm;
  std::shared_ptr<nn::Dropout> drop;
  std::shared_ptr<nn::Linear> fc;
  std::string pool;
};

struct ImdbLstmResult {
  std::vector<train::EpochRecord> history;
  double test_accuracy = 0, test_loss = 0;
  double precision = 0, recall = 0, f1 = 0;  // of the positive class, last epoch
  double reviews_per_second = 0, tokens_per_second = 0;  // training, over all epochs run
  int64_t vocab_size = 0;                    // the tokenizer's, specials included
  int64_t parameters = 0;                    // the network's
  double teacher_train_accuracy = -1;        // distillation: the teacher's on the training reviews
};

ImdbLstmResult train_imdb_lstm(const ImdbLstmConfig& cfg, std::ostream& out);

// The teacher's logits (N, 2) for `reviews`: from cfg.teacher_cache when it holds them for this
// teacher, max_len and these exact texts, else computed (classifier_logits) and saved there.
Tensor imdb_teacher_logits(const ImdbLstmConfig& cfg, const std::vector<std::string>& reviews, std::ostream& out,
                           bool write_cache = true);

// A trained imdb-lstm checkpoint ready for inference: the network (eval mode) built from the
// checkpoint's config, its vocabulary, and how it cut long reviews.
struct ImdbLstmModel {
  std::shared_ptr<SentimentLSTM> net;
  std::shared_ptr<const text::WordTokenizer> vocab;
  int64_t max_len = 0;
  bool keep_end = true;  // --truncate tail
  // The review's token ids as the model saw them in training: at most max_len, cut at the same end.
  std::vector<int64_t> tokens(const std::string& review) const;
};
// Errors name the file and the metadata key (a checkpoint of another recipe, a missing or malformed
// config or vocabulary).
ImdbLstmModel load_imdb_lstm(const std::string& checkpoint);

}  // namespace ember::recipes
