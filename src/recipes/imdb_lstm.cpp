#include "ember/recipes/imdb_lstm.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iomanip>
#include <ostream>
#include <sstream>

#include "ember/autograd.h"
#include "ember/data/data_root.h"
#include "ember/data/dataloader.h"
#include "ember/data/imdb.h"
#include "ember/distributed/context.h"
#include "ember/memory.h"
#include "ember/models/pretrained.h"
#include "ember/nn/packed_sequence.h"
#include "ember/ops.h"
#include "ember/optim/adam.h"
#include "ember/optim/clip.h"
#include "ember/text/word_tokenizer.h"
#include "ember/train/trainer.h"

namespace ember::recipes {

namespace fs = std::filesystem;

SentimentLSTM::SentimentLSTM(int64_t vocab_size, int64_t embed_dim, int64_t hidden, int64_t layers, bool bidirectional,
                             double dropout, const std::string& pool, Generator* gen)
    : pool(pool) {
  EMBER_CHECK(pool == "max" || pool == "mean" || pool == "maxmean" || pool == "last", "--pool",
              "expected max, mean, maxmean or last, got '", pool, "'");
  embedding = register_module("embedding", std::make_shared<nn::Embedding>(vocab_size, embed_dim,
                                                                           text::WordTokenizer::kPad));
  // Dropout between stacked layers too, as PyTorch's LSTM(dropout=p).
  lstm = register_module("lstm", std::make_shared<nn::LSTM>(embed_dim, hidden, layers, true, /*batch_first=*/true,
                                                           layers > 1 ? dropout : 0.0, bidirectional, gen));
  drop = register_module("drop", std::make_shared<nn::Dropout>(dropout, gen));
  const int64_t features = (bidirectional ? 2 : 1) * hidden * (pool == "maxmean" ? 2 : 1);
  fc = register_module("fc", std::make_shared<nn::Linear>(features, 2));
}

Tensor SentimentLSTM::forward(const Tensor& tokens, const Tensor& lengths) {
  EMBER_CHECK(tokens.defined() && tokens.dim() == 2, "SentimentLSTM", "expected tokens of shape (B, T), got ",
              tokens.defined() ? shape_str(tokens.shape()) : std::string("an undefined tensor"));
  return forward_embedded(embedding->forward(tokens), lengths);  // (B, T) -> (B, T, E) -> (B, 2)
}

Tensor SentimentLSTM::forward_embedded(const Tensor& embedded, const Tensor& lengths) {
  EMBER_CHECK(embedded.defined() && embedded.dim() == 3, "SentimentLSTM", "expected embeddings of shape (B, T, E), got ",
              embedded.defined() ? shape_str(embedded.shape()) : std::string("an undefined tensor"));
  Tensor x = drop->forward(embedded);
  // Only each review's real tokens reach the LSTM, so h_n is the state after its last word.
  // (pack_padded_sequence, the LSTM and pad_packed_sequence to T steps, as one op that exports to ONNX)
  nn::RNNBase::Result r = lstm->forward_padded(x, lengths);
  Tensor h;
  if (pool == "last") {
    const int64_t L = lstm->num_layers;
    h = lstm->bidirectional ? cat({r.h_n.select(0, 2 * L - 2), r.h_n.select(0, 2 * L - 1)}, 1)  // (B, 2H)
                            : r.h_n.select(0, L - 1);                                           // (B, H)
  } else {
    // In the batch's order, zeros past each review's end: (B, T, D*H).
    Tensor y = r.output;
    Tensor len = lengths.to(kInt64);
    std::vector<Tensor> pooled;
    if (pool == "max" || pool == "maxmean") {
      Tensor steps = arange(y.size(1));  // (T') int64
      Tensor past_end = ge(steps.unsqueeze(0), len.unsqueeze(1)).unsqueeze(2);  // (B, T', 1)
      pooled.push_back(std::get<0>(max(masked_fill(y, past_end, -INFINITY), 1)));  // (B, D*H)
    }
    if (pool == "mean" || pool == "maxmean")
      pooled.push_back(div(sum(y, {1}), len.to(y.dtype()).unsqueeze(1)));  // (B, D*H): the zeros add nothing
    h = pooled.size() == 1 ? pooled[0] : cat(pooled, 1);  // (B, P)
  }
  return fc->forward(drop->forward(h));  // (B, P) -> (B, 2)
}

Tensor SentimentLSTM::forward(const Tensor& tokens) { return forward(tokens, data::padded_lengths(tokens)); }

namespace {

constexpr const char* kRecipe = "imdb-lstm";

void validate(const ImdbLstmConfig& c) {
  EMBER_CHECK(c.epochs > 0, "--epochs", "must be positive, got ", c.epochs);
  EMBER_CHECK(c.batch_size > 0, "--batch-size", "must be positive, got ", c.batch_size);
  EMBER_CHECK(c.lr > 0 && std::isfinite(c.lr), "--lr", "must be a positive number, got ", c.lr);
  EMBER_CHECK(c.embed_dim > 0, "--embed-dim", "must be positive, got ", c.embed_dim);
  EMBER_CHECK(c.hidden > 0, "--hidden", "must be positive, got ", c.hidden);
  EMBER_CHECK(c.layers > 0, "--layers", "must be positive, got ", c.layers);
  EMBER_CHECK(c.dropout >= 0 && c.dropout < 1, "--dropout", "must be in [0, 1), got ", c.dropout);
  EMBER_CHECK(c.max_len > 0, "--max-len", "must be positive, got ", c.max_len);
  EMBER_CHECK(c.truncate == "head" || c.truncate == "tail", "--truncate", "expected head or tail, got '",
              c.truncate, "'");
  EMBER_CHECK(c.pool == "max" || c.pool == "mean" || c.pool == "maxmean" || c.pool == "last", "--pool",
              "expected max, mean, maxmean or last, got '", c.pool, "'");
  EMBER_CHECK(c.vocab_size > 0, "--vocab-size", "must be positive, got ", c.vocab_size);
  EMBER_CHECK(c.min_freq > 0, "--min-freq", "must be positive, got ", c.min_freq);
  EMBER_CHECK(c.clip_norm >= 0, "--clip-norm", "must be non-negative, got ", c.clip_norm);
  EMBER_CHECK(c.threads >= 0, "--threads", "must be positive, got ", c.threads);
  EMBER_CHECK(c.max_steps_per_epoch >= 0, "--max-steps", "must be non-negative, got ", c.max_steps_per_epoch);
  EMBER_CHECK(c.train_limit >= 0, "--train-limit", "must be non-negative, got ", c.train_limit);
  EMBER_CHECK(c.test_limit >= 0, "--test-limit", "must be non-negative, got ", c.test_limit);
  EMBER_CHECK(c.temperature > 0 && std::isfinite(c.temperature), "--temperature", "must be a positive number, got ",
              c.temperature);
  EMBER_CHECK(c.alpha >= 0 && c.alpha <= 1, "--alpha", "must be in [0, 1], got ", c.alpha);
  EMBER_CHECK(c.alpha == 0 || !c.teacher.empty(), "--teacher",
              "a fine-tuned classifier folder (ember train bert-classifier --save-model DIR) is required when "
              "--alpha > 0 (--alpha 0 trains the student alone)");
  EMBER_CHECK(c.teacher_precision == "float32" || c.teacher_precision == "bf16", "--teacher-precision",
              "must be float32 or bf16, got '", c.teacher_precision, "'");
  EMBER_CHECK(c.teacher_max_len >= 2, "--teacher-max-len", "must be at least 2 ([CLS] and [SEP]), got ",
              c.teacher_max_len);
}

std::string config_string(const ImdbLstmConfig& c) {
  std::ostringstream os;
  os << "epochs=" << c.epochs << " batch_size=" << c.batch_size << " lr=" << c.lr << " embed_dim=" << c.embed_dim
     << " hidden=" << c.hidden << " layers=" << c.layers << " bidirectional=" << c.bidirectional
     << " dropout=" << c.dropout << " max_len=" << c.max_len << " truncate=" << c.truncate << " pool=" << c.pool
     << " vocab_size=" << c.vocab_size
     << " min_freq=" << c.min_freq << " clip_norm=" << c.clip_norm << " seed=" << c.seed;
  if (c.alpha > 0)  // distilled: the teacher is part of the run's configuration
    os << " teacher=" << fs::path(c.teacher).filename().string() << " teacher_max_len=" << c.teacher_max_len
       << " temperature=" << c.temperature << " alpha=" << c.alpha;
  return os.str();
}

// n reviews spread evenly over the split (which holds its negatives first, then its positives),
// so a limited run still sees both classes equally.
data::TextSplit spread(const data::TextSplit& s, int64_t n) {
  if (n <= 0 || n >= s.size()) return s;
  data::TextSplit out;
  for (int64_t i = 0; i < n; ++i) {
    int64_t k = i * s.size() / n;
    out.texts.push_back(s.texts[k]);
    out.labels.push_back(s.labels[k]);
  }
  return out;
}

// Moves n reviews spread evenly over `train` (both classes alike) out of it: the validation set.
data::TextSplit hold_out(data::TextSplit& train, int64_t n) {
  EMBER_CHECK(n >= 0 && n < train.size(), "--validation-size", "must be in [0, ", train.size(), ") for the ",
              train.size(), " training reviews, got ", n);
  data::TextSplit val, rest;
  for (int64_t i = 0, next = 0; i < train.size(); ++i) {
    const bool held = next < n && i == next * train.size() / n;
    data::TextSplit& to = held ? val : rest;
    to.texts.push_back(std::move(train.texts[i]));
    to.labels.push_back(train.labels[i]);
    if (held) ++next;
  }
  train = std::move(rest);
  return val;
}

// The reviews with the teacher's logits: target (3) float32 = (label, logit 0, logit 1).
class WithTeacher : public data::Dataset {
 public:
  WithTeacher(std::shared_ptr<const data::Dataset> base, const Tensor& labels, const Tensor& logits)
      : base_(std::move(base)), targets_(cat({labels.to(kFloat32).unsqueeze(1), logits.to(kFloat32)}, 1)) {}
  int64_t size() const override { return base_->size(); }
  using Dataset::get;
  data::Example get(int64_t index, Generator& gen) const override {
    return {base_->get(index, gen).data, targets_[index]};
  }

 private:
  std::shared_ptr<const data::Dataset> base_;
  Tensor targets_;  // (N, 3)
};

// Drops the columns past the longest review of the batch: (B, max_len) -> (B, T).
data::TextBatch trimmed(const data::Batch& b) {
  data::TextBatch t = data::text_batch(b);
  int64_t longest = max(t.lengths).item<int64_t>();
  t.tokens = t.tokens.narrow(1, 0, longest);
  return t;
}

}  // namespace

ImdbLstmResult train_imdb_lstm(const ImdbLstmConfig& cfg, std::ostream& out_all) {
  validate(cfg);
  EMBER_CHECK(cfg.bucket_cap_mb > 0, "--bucket-mb", "must be positive, got ", cfg.bucket_cap_mb);
  // A world of one without mpirun; under mpirun rank 0 prints and writes files.
  distributed::Context dist = train::start_run(cfg.threads, cfg.seed);
  std::ostream& out = dist.out(out_all);
  train::make_checkpoint_dir(cfg.checkpoint_dir);  // before the (slow) data loading: bad paths fail fast
  if (cfg.alpha > 0)  // a missing teacher too
    EMBER_CHECK(fs::is_directory(models::resolve_model_dir(cfg.teacher, cfg.data_root)), "--teacher", "'", cfg.teacher,
                "' is not a folder; pass a fine-tuned classifier (ember train bert-classifier --save-model DIR)");

  // Errors name the missing or corrupt reviews file.
  data::IMDBReviews reviews = data::read_imdb(data::resolve_data_root(cfg.data_root));
  data::TextSplit train_split = spread(reviews.train, cfg.train_limit);
  // Tuning scores on reviews held out of training, never on the test set.
  const std::string split = cfg.validation_size > 0 ? "val" : "test";
  data::TextSplit test_split =
      cfg.validation_size > 0 ? hold_out(train_split, cfg.validation_size) : spread(reviews.test, cfg.test_limit);
  auto vocab = std::make_shared<const text::WordTokenizer>(text::WordTokenizer::build(
      train_split.texts, {.min_freq = cfg.min_freq, .max_size = cfg.vocab_size}));
  const bool keep_end = cfg.truncate == "tail";
  std::shared_ptr<const data::Dataset> train_set = std::make_shared<data::IMDB>(train_split, vocab, cfg.max_len, keep_end);
  auto test_set = std::make_shared<data::IMDB>(test_split, vocab, cfg.max_len, keep_end);
  const bool distil = cfg.alpha > 0;
  double teacher_train_accuracy = -1;
  if (distil) {  // every rank runs the teacher (or reads the cache); rank 0 writes the cache
    Tensor logits = imdb_teacher_logits(cfg, train_split.texts, out, dist.is_main());  // (N, 2)
    Tensor labels = tensor<int64_t>(train_split.labels, {train_split.size()});
    teacher_train_accuracy = mean(eq(argmax(logits, 1), labels).to(kFloat64)).item<double>();
    out << "Distilling at temperature " << cfg.temperature << ", alpha " << cfg.alpha
        << "; the teacher agrees with " << 100 * teacher_train_accuracy << "% of the training labels\n";
    train_set = std::make_shared<WithTeacher>(train_set, labels, logits);
  }
  reviews = {};  // the datasets hold the token ids; the texts are no longer needed
  out << "IMDB: " << train_set->size() << " training and " << test_set->size() << " " << split
      << " reviews, vocabulary "
      << vocab->vocab_size() << " tokens, max length " << cfg.max_len << " (" << cfg.truncate << "), "
      << cfg.pool << " pooling\n";

  // Each rank's strided share of the shuffled epoch; with one process exactly shuffle = true's order.
  // Every rank evaluates the whole test set (the weights agree, so the figures do too).
  data::DataLoader train_loader(train_set, {.batch_size = cfg.batch_size, .seed = cfg.seed,
                                            .sampler = dist.train_sampler(train_set->size(), cfg.seed)});
  data::DataLoader test_loader(test_set, {.batch_size = 256});

  {  // Before building: weights, gradients and Adam's moments (16 bytes a parameter) and a step's
     // activations (about 8 floats per gate, layer, direction and token).
    const double V = double(vocab->vocab_size()), e = double(cfg.embed_dim), h = double(cfg.hidden),
                 L = double(cfg.layers), D = cfg.bidirectional ? 2.0 : 1.0;
    const double params = V * e + L * D * 4 * h * (std::max(e, D * h) + h + 2);
    check_fits_in_memory(16 * params + 4 * double(cfg.batch_size) * double(cfg.max_len) * (e + L * D * 32 * h),
                         "--hidden/--embed-dim/--layers/--batch-size/--max-len",
                         ember::detail::str_cat("training an LSTM of ", params, " parameters"));
  }
  auto net = std::make_shared<SentimentLSTM>(vocab->vocab_size(), cfg.embed_dim, cfg.hidden, cfg.layers,
                                             cfg.bidirectional, cfg.dropout, cfg.pool);
  auto opt = dist.make_optimizer(
      net->parameters(),
      [&cfg](std::vector<Tensor> p) { return std::make_unique<optim::Adam>(std::move(p), optim::AdamOptions(cfg.lr)); },
      cfg.zero);
  // Every parameter takes part in each step (packing changes the steps, not the weights used), so
  // DDP names an unused one rather than silently skipping it. Clipping tames LSTMs' spikes.
  train::Trainer trainer(net, *opt,
                         {.epochs = cfg.epochs, .max_steps_per_epoch = cfg.max_steps_per_epoch,
                          .grad_clip = cfg.clip_norm, .precision = cfg.precision,
                          .nonfinite = cfg.nonfinite, .checkpoint_dir = cfg.checkpoint_dir, .resume = cfg.resume,
                          .metrics_path = cfg.metrics_path,
                          .tensorboard_dir = cfg.tensorboard_dir, .recipe = kRecipe, .config = config_string(cfg),
                          .progress = cfg.progress, .sample_unit = "reviews",
                          .ddp = {.bucket_cap_mb = cfg.bucket_cap_mb}},
                         dist);
  train::Callbacks cb;
  cb.evaluate = [&] {
    train::ClassifierEvaluation e = train::evaluate_classifier(*net, test_loader, 2, [&](const data::Batch& b) {
      data::TextBatch t = trimmed(b);
      Tensor logits = net->forward(t.tokens, t.lengths);  // (B, 2)
      return train::ClassifierBatch{logits, t.labels, cross_entropy(logits, t.labels, Tensor(), -100, "sum")};
    });
    const auto& m = e.metrics;  // precision, recall and F1 of the positive class
    return train::Metrics{{split + "_loss", e.loss},         {split + "_accuracy", m.accuracy()},
                          {split + "_precision", m.precision(1)}, {split + "_recall", m.recall(1)},
                          {split + "_f1", m.f1(1)}};
  };
  // The vocabulary travels with the weights: the ids mean nothing without it.
  cb.save_metadata = [&](std::map<std::string, std::string>& m) { m["vocab"] = vocab->to_json(); };
  cb.check_resume = [&](const std::map<std::string, std::string>& m, const std::string& path) {
    auto it = m.find("vocab");
    EMBER_CHECK(it != m.end() && it->second == vocab->to_json(), "--resume", "'", path,
                "' was trained with another vocabulary; resume with the same data, --vocab-size, --min-freq and "
                "--train-limit");
  };
  train::FitResult fit = trainer.fit(
      train_loader,
      [&](const data::Batch& b) {
        if (!distil) {
          data::TextBatch t = trimmed(b);
          Tensor logits = net->forward(t.tokens, t.lengths);  // (B, 2)
          Tensor loss = cross_entropy(logits, t.labels);
          NoGradGuard ng;
          return train::StepOutput{loss, t.tokens.size(0), sum(eq(argmax(logits, 1), t.labels)).item<int64_t>(),
                                   sum(t.lengths).item<int64_t>()};
        }
        // target (B, 3): the label, then the teacher's two logits.
        data::TextBatch t = trimmed(data::Batch{b.data, b.target.select(1, 0).to(kInt64)});
        Tensor logits = net->forward(t.tokens, t.lengths);  // (B, 2)
        Tensor loss = distillation_loss(logits, b.target.narrow(1, 1, 2), t.labels, cfg.temperature, cfg.alpha);
        NoGradGuard ng;
        return train::StepOutput{loss, t.tokens.size(0), sum(eq(argmax(logits, 1), t.labels)).item<int64_t>(),
                                 sum(t.lengths).item<int64_t>()};
      },
      cb, &out_all);

  ImdbLstmResult r;
  r.history = fit.history, r.vocab_size = vocab->vocab_size();
  r.teacher_train_accuracy = teacher_train_accuracy;
  for (const Tensor& p : net->parameters()) r.parameters += p.numel();
  r.reviews_per_second = fit.samples_per_second, r.tokens_per_second = fit.tokens_per_second;
  if (!r.history.empty()) {
    const train::EpochRecord& last = r.history.back();
    r.test_accuracy = last.get(split + "_accuracy"), r.test_loss = last.get(split + "_loss");
    r.precision = last.get(split + "_precision"), r.recall = last.get(split + "_recall"), r.f1 = last.get(split + "_f1");
  }
  return r;
}

}  // namespace ember::recipes
