#include "ember/recipes/bert_classifier.h"

#include <algorithm>
#include <limits>
#include <cmath>
#include <filesystem>
#include <numeric>
#include <ostream>
#include <sstream>
#include <unordered_set>

#include "ember/autograd.h"
#include "ember/data/data_root.h"
#include "ember/data/dataloader.h"
#include "ember/data/imdb.h"
#include "ember/distributed/context.h"
#include "ember/io/file.h"
#include "ember/models/bert_classifier.h"
#include "ember/models/pretrained.h"
#include "ember/ops.h"
#include "ember/optim/adam.h"
#include "ember/text/tokenizer.h"
#include "ember/train/trainer.h"

namespace ember::recipes {

namespace fs = std::filesystem;

std::vector<int64_t> lcg_shuffle(int64_t n, uint64_t seed) {
  constexpr uint64_t A = 6364136223846793005ull, C = 1442695040888963407ull;
  std::vector<int64_t> order(static_cast<size_t>(std::max<int64_t>(n, 0)));
  std::iota(order.begin(), order.end(), int64_t{0});
  uint64_t state = seed * A + C;  // mod 2^64, as the Python side's % 2**64
  for (int64_t i = n - 1; i > 0; --i) {
    state = state * A + C;
    const auto j = static_cast<int64_t>((state >> 33) % static_cast<uint64_t>(i + 1));
    std::swap(order[static_cast<size_t>(i)], order[static_cast<size_t>(j)]);
  }
  return order;
}

namespace {

constexpr const char* kRecipe = "bert-classifier";
constexpr int64_t kEvalBatch = 64;

void validate(const BertClassifierConfig& c) {
  EMBER_CHECK(!c.model_dir.empty(), "--model", "a Hugging Face model folder is required (config.json, "
              "model.safetensors, tokenizer.json), e.g. ../shared/data/models/all-MiniLM-L6-v2");
  EMBER_CHECK(c.train_size >= 0, "--train-size", "must be non-negative, got ", c.train_size);
  EMBER_CHECK(c.epochs > 0, "--epochs", "must be positive, got ", c.epochs);
  EMBER_CHECK(c.batch_size > 0, "--batch-size", "must be positive, got ", c.batch_size);
  EMBER_CHECK(c.max_len >= 2, "--max-len", "must be at least 2 ([CLS] and [SEP]), got ", c.max_len);
  EMBER_CHECK(c.eval_max_len >= 2, "--eval-max-len", "must be at least 2 ([CLS] and [SEP]), got ", c.eval_max_len);
  EMBER_CHECK(c.lr > 0 && std::isfinite(c.lr), "--lr", "must be a positive number, got ", c.lr);
  EMBER_CHECK(c.warmup >= 0 && c.warmup <= 1, "--warmup", "is a fraction of the steps in [0, 1], got ", c.warmup);
  EMBER_CHECK(c.weight_decay >= 0 && std::isfinite(c.weight_decay), "--weight-decay", "must be non-negative, got ",
              c.weight_decay);
  EMBER_CHECK(c.clip_norm >= 0, "--clip-norm", "must be non-negative, got ", c.clip_norm);
  EMBER_CHECK(c.threads >= 0, "--threads", "must be positive, got ", c.threads);
  EMBER_CHECK(c.max_steps_per_epoch >= 0, "--max-steps", "must be non-negative, got ", c.max_steps_per_epoch);
  EMBER_CHECK(c.test_limit >= 0, "--test-limit", "must be non-negative, got ", c.test_limit);
  EMBER_CHECK(c.bucket_cap_mb > 0, "--bucket-mb", "must be positive, got ", c.bucket_cap_mb);
}

std::string config_string(const BertClassifierConfig& c) {
  std::ostringstream os;
  os << "model=" << fs::path(c.model_dir).filename().string() << " train_size=" << c.train_size
     << " epochs=" << c.epochs << " batch_size=" << c.batch_size << " max_len=" << c.max_len
     << " eval_max_len=" << c.eval_max_len << " lr=" << c.lr << " warmup=" << c.warmup
     << " weight_decay=" << c.weight_decay << " clip_norm=" << c.clip_norm << " seed=" << c.seed;
  return os.str();
}

// Positions in the training split (negatives 0..12499, then positives) of the subset: `size`/2
// reviews of each class, every (12500 / (size/2))-th one (bench/imdb_subset.py's train_subset).
std::vector<int64_t> train_subset(int64_t split_size, int64_t size) {
  const int64_t per_half = split_size / 2;
  const int64_t per_class = size <= 0 ? per_half : std::min(size / 2, per_half);
  EMBER_CHECK(per_class > 0, "--train-size", "must be at least 2 (one review of each class), got ", size);
  const double stride = static_cast<double>(per_half) / static_cast<double>(per_class);
  std::vector<int64_t> out;
  for (int64_t base : {int64_t{0}, per_half})
    for (int64_t k = 0; k < per_class; ++k) out.push_back(base + static_cast<int64_t>(static_cast<double>(k) * stride));
  return out;
}

// `size` test positions spread evenly (all when 0): bench/imdb_subset.py's test_indices.
std::vector<int64_t> test_subset(int64_t split_size, int64_t size) {
  std::vector<int64_t> out;
  if (size <= 0 || size >= split_size) {
    out.resize(static_cast<size_t>(split_size));
    std::iota(out.begin(), out.end(), int64_t{0});
    return out;
  }
  const double stride = static_cast<double>(split_size) / static_cast<double>(size);
  for (int64_t k = 0; k < size; ++k) out.push_back(static_cast<int64_t>(static_cast<double>(k) * stride));
  return out;
}

// The reviews at `which` as a dataset: data (N, max_len) int64 token ids padded with pad_id,
// targets (N, 2) int64 = (label, length). Encoded on all threads.
std::shared_ptr<data::TensorDataset> encode(const text::Tokenizer& tok, const data::TextSplit& split,
                                            const std::vector<int64_t>& which, int64_t max_len, int64_t pad_id) {
  text::Tokenizer t = tok;
  t.enable_truncation({.max_length = max_len});
  t.no_padding();
  std::vector<std::string> texts;
  texts.reserve(which.size());
  for (int64_t i : which) texts.push_back(split.texts[static_cast<size_t>(i)]);
  std::vector<text::Encoding> enc = t.encode_batch(texts);
  const auto n = static_cast<int64_t>(which.size());
  Tensor ids = full({n, max_len}, pad_id, kInt64);  // (N, max_len)
  Tensor targets = empty({n, 2}, kInt64);           // (N, 2)
  int64_t* id = ids.data_ptr<int64_t>();
  int64_t* tg = targets.data_ptr<int64_t>();
  for (int64_t r = 0; r < n; ++r) {
    const auto& e = enc[static_cast<size_t>(r)].ids;
    std::copy(e.begin(), e.end(), id + r * max_len);
    tg[2 * r] = split.labels[static_cast<size_t>(which[static_cast<size_t>(r)])];
    tg[2 * r + 1] = static_cast<int64_t>(e.size());
  }
  return std::make_shared<data::TensorDataset>(ids, targets);
}

// A batch as the model's inputs, cut to its longest review: input_ids and attention_mask (B, T).
struct Inputs {
  Tensor input_ids, attention_mask, labels;  // (B, T), (B, T), (B)
  int64_t tokens = 0;
};
Inputs inputs(const data::Batch& b) {
  Tensor lengths = b.target.select(1, 1);  // (B)
  const int64_t T = max(lengths).item<int64_t>();
  Inputs in;
  in.input_ids = b.data.narrow(1, 0, T).contiguous();
  in.attention_mask = lt(arange(T).unsqueeze(0), lengths.unsqueeze(1)).to(kInt64);  // (B, T)
  in.labels = b.target.select(1, 0).contiguous();
  in.tokens = sum(lengths).item<int64_t>();
  return in;
}

// This rank's strided share of the epoch's LCG order over the subset, padded (by wrapping around)
// to a multiple of the world size as PyTorch's DistributedSampler; one process: the order itself.
class LcgSampler : public data::Sampler {
 public:
  LcgSampler(int64_t n, uint64_t seed, int rank, int world) : n_(n), seed_(seed), rank_(rank), world_(world) {}
  int64_t size() const override { return (n_ + world_ - 1) / world_; }
  std::vector<int64_t> indices(int64_t epoch) const override {
    std::vector<int64_t> order = lcg_shuffle(n_, seed_ + static_cast<uint64_t>(epoch));
    std::vector<int64_t> out;
    for (int64_t k = rank_; k < size() * world_; k += world_) out.push_back(order[static_cast<size_t>(k % n_)]);
    return out;
  }

 private:
  int64_t n_;
  uint64_t seed_;
  int rank_, world_;
};

// transformers' get_linear_schedule_with_warmup: the step's multiple of the peak lr.
double lr_factor(int64_t step, int64_t warmup, int64_t total) {
  if (step < warmup) return static_cast<double>(step) / static_cast<double>(std::max<int64_t>(1, warmup));
  return std::max(0.0, static_cast<double>(total - step) / static_cast<double>(std::max<int64_t>(1, total - warmup)));
}

}  // namespace

Tensor classifier_logits(const std::string& model_dir, const std::vector<std::string>& texts, int64_t max_len,
                         int64_t batch_size, std::ostream* log) {
  constexpr const char* kOp = "classifier_logits";
  EMBER_CHECK(batch_size > 0, kOp, "the batch size must be positive, got ", batch_size);
  // strict: a folder without a trained classifier head (a plain BertModel) is an error, not a random head.
  auto net = models::BertForSequenceClassification::from_pretrained(model_dir, {.strict = true});
  const models::BertConfig& bc = net->config;
  EMBER_CHECK(max_len >= 2 && max_len <= bc.max_position_embeddings, kOp, "max_len ", max_len,
              " must be in [2, ", bc.max_position_embeddings, "] (max_position_embeddings in ", model_dir,
              "/config.json)");
  net->eval();
  const text::Tokenizer tok = text::Tokenizer::from_pretrained(model_dir);
  data::TextSplit split{texts, std::vector<int64_t>(texts.size(), 0)};
  std::vector<int64_t> all(texts.size());
  std::iota(all.begin(), all.end(), int64_t{0});
  auto set = encode(tok, split, all, max_len, bc.pad_token_id);  // (N, max_len), (N, 2) = (0, length)
  const int64_t n = set->size();
  const int64_t* len = set->targets().data_ptr<int64_t>();
  std::vector<int64_t> order = all;  // shortest first: each batch pads to its own longest
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return len[2 * a + 1] < len[2 * b + 1]; });
  Tensor logits = empty({n, bc.num_labels});  // (N, C)
  NoGradGuard ng;
  int64_t reported = 0;
  for (int64_t i = 0; i < n; i += batch_size) {
    std::vector<data::Example> ex;
    for (int64_t k = i; k < std::min(n, i + batch_size); ++k) ex.push_back(set->get(order[static_cast<size_t>(k)]));
    Inputs in = inputs(data::collate(ex));
    Tensor out = net->forward(in.input_ids, in.attention_mask).logits;  // (B, C)
    for (int64_t k = 0; k < out.size(0); ++k) logits[order[static_cast<size_t>(i + k)]].copy_(out[k]);
    const int64_t done = std::min(n, i + batch_size);
    if (log && done * 10 / n > reported) {
      reported = done * 10 / n;
      *log << "  teacher: " << done << " of " << n << " texts\n" << std::flush;
    }
  }
  return logits;
}

BertClassifierResult train_bert_classifier(const BertClassifierConfig& cfg, std::ostream& out_all) {
  validate(cfg);
  distributed::Context dist = train::start_run(cfg.threads, cfg.seed);
  std::ostream& out = dist.out(out_all);
  train::make_checkpoint_dir(cfg.checkpoint_dir);

  // The model first: a wrong folder fails before the data is read. Errors name the file and key.
  const std::string model_dir = models::resolve_model_dir(cfg.model_dir, cfg.data_root);
  auto net = models::BertForSequenceClassification::from_pretrained(model_dir, {.num_labels = 2});
  const models::BertConfig& bc = net->config;
  EMBER_CHECK(cfg.max_len <= bc.max_position_embeddings, "--max-len", cfg.max_len, " is longer than the model's ",
              bc.max_position_embeddings, " positions (max_position_embeddings in ", model_dir, "/config.json)");
  EMBER_CHECK(cfg.eval_max_len <= bc.max_position_embeddings, "--eval-max-len", cfg.eval_max_len,
              " is longer than the model's ", bc.max_position_embeddings, " positions (max_position_embeddings in ",
              model_dir, "/config.json)");
  const text::Tokenizer tok = text::Tokenizer::from_pretrained(model_dir);
  net->train();

  data::IMDBReviews reviews = data::read_imdb(data::resolve_data_root(cfg.data_root));
  const std::vector<int64_t> train_pos = train_subset(reviews.train.size(), cfg.train_size);
  auto train_set = encode(tok, reviews.train, train_pos, cfg.max_len, bc.pad_token_id);
  auto test_set = encode(tok, reviews.test, test_subset(reviews.test.size(), cfg.test_limit), cfg.eval_max_len,
                         bc.pad_token_id);
  reviews = {};
  out << "IMDB: " << train_set->size() << " training reviews (max " << cfg.max_len << " tokens), "
      << test_set->size() << " test reviews (max " << cfg.eval_max_len << " tokens); "
      << fs::path(model_dir).filename().string() << ": " << bc.num_hidden_layers << " layers, hidden "
      << bc.hidden_size << "\n";

  data::DataLoader train_loader(
      train_set, {.batch_size = cfg.batch_size,
                  .sampler = std::make_shared<LcgSampler>(train_set->size(), cfg.seed, dist.rank(), dist.size())});
  data::DataLoader test_loader(test_set, {.batch_size = kEvalBatch, .sampler = dist.eval_sampler(test_set->size())});

  // Weight decay on the matrices and embeddings only, as the usual recipe: not on biases or
  // LayerNorm weights. The factory sees this rank's shard under ZeRO, so it sorts by identity.
  std::unordered_set<const void*> no_decay;
  for (const auto& [name, p] : net->named_parameters())
    if (name.find("bias") != std::string::npos || name.find("LayerNorm") != std::string::npos)
      no_decay.insert(p.impl_ptr().get());
  auto opt = dist.make_optimizer(
      net->parameters(),
      [&](std::vector<Tensor> params) {
        std::vector<Tensor> decay, rest;
        for (Tensor& p : params) (no_decay.count(p.impl_ptr().get()) ? rest : decay).push_back(p);
        std::vector<optim::ParamGroup> groups;  // a ZeRO shard may hold only one kind
        if (!decay.empty()) groups.emplace_back(decay, optim::AdamWOptions(cfg.lr).weight_decay(cfg.weight_decay));
        if (!rest.empty()) groups.emplace_back(rest, optim::AdamWOptions(cfg.lr).weight_decay(0.0));
        return std::make_unique<optim::AdamW>(std::move(groups), optim::AdamWOptions(cfg.lr));
      },
      cfg.zero);

  const int64_t per_epoch = cfg.max_steps_per_epoch > 0 ? std::min(cfg.max_steps_per_epoch, train_loader.size())
                                                         : train_loader.size();
  EMBER_CHECK(cfg.epochs <= std::numeric_limits<int64_t>::max() / std::max<int64_t>(per_epoch, 1), "--epochs",
              cfg.epochs, " epochs of ", per_epoch, " steps overflow the step counter");
  const int64_t total = per_epoch * cfg.epochs;
  const auto warmup = static_cast<int64_t>(cfg.warmup * static_cast<double>(total));
  train::Trainer trainer(net, *opt,
                         {.epochs = cfg.epochs, .max_steps_per_epoch = cfg.max_steps_per_epoch,
                          .grad_clip = cfg.clip_norm, .precision = cfg.precision, .nonfinite = cfg.nonfinite,
                          .lr_at = [&](int64_t step) { return cfg.lr * lr_factor(step, warmup, total); },
                          .checkpoint_dir = cfg.checkpoint_dir, .resume = cfg.resume,
                          .metrics_path = cfg.metrics_path,
                          .tensorboard_dir = cfg.tensorboard_dir, .recipe = kRecipe, .config = config_string(cfg),
                          .progress = cfg.progress, .sample_unit = "reviews",
                          .ddp = {.bucket_cap_mb = cfg.bucket_cap_mb}},
                         dist);
  train::Callbacks cb;
  cb.evaluate = [&] {
    train::ClassifierEvaluation e = train::evaluate_classifier(
        *net, test_loader, 2,
        [&](const data::Batch& b) {
          Inputs in = inputs(b);
          Tensor logits = net->forward(in.input_ids, in.attention_mask).logits;  // (B, 2)
          return train::ClassifierBatch{logits, in.labels, cross_entropy(logits, in.labels, Tensor(), -100, "sum")};
        },
        &dist);
    const auto& m = e.metrics;
    return train::Metrics{{"test_loss", e.loss},         {"test_accuracy", m.accuracy()},
                          {"test_precision", m.precision(1)}, {"test_recall", m.recall(1)},
                          {"test_f1", m.f1(1)}};
  };
  // A checkpoint only resumes the run it came from: the folder's model and the data it saw.
  cb.save_metadata = [&](std::map<std::string, std::string>& m) { m["model_config"] = bc.to_hf_json(); };
  cb.check_resume = [&](const std::map<std::string, std::string>& m, const std::string& path) {
    auto it = m.find("model_config");
    EMBER_CHECK(it != m.end() && it->second == bc.to_hf_json(), "--resume", "'", path,
                "' was fine-tuned from a model of another configuration; resume with the same --model");
  };
  train::FitResult fit = trainer.fit(
      train_loader,
      [&](const data::Batch& b) {
        Inputs in = inputs(b);
        models::SequenceClassifierOutput o = net->forward(in.input_ids, in.attention_mask, Tensor(), in.labels);
        NoGradGuard ng;
        return train::StepOutput{o.loss, in.input_ids.size(0),
                                 sum(eq(argmax(o.logits, 1), in.labels)).item<int64_t>(), in.tokens};
      },
      cb, &out_all);

  if (!cfg.save_model.empty() && dist.is_main()) {
    models::save_pretrained(*net, cfg.save_model);
    // The tokenizer travels with the weights, so the folder loads as it is.
    for (const char* f : {"tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json"}) {
      const fs::path from = fs::path(model_dir) / f;
      if (fs::exists(from))
        io::write_file_atomic((fs::path(cfg.save_model) / f).string(),
                              io::read_file_bytes(from.string(), "--save-model"), "--save-model");
    }
    out << "Saved the fine-tuned model to " << cfg.save_model << "\n";
  }

  BertClassifierResult r;
  r.history = fit.history;
  r.reviews_per_second = fit.samples_per_second, r.tokens_per_second = fit.tokens_per_second;
  const size_t n = fit.step_losses.size(), k = std::min<size_t>(20, n);
  for (size_t i = n - k; i < n; ++i) r.final_loss += fit.step_losses[i] / static_cast<double>(k);
  if (!r.history.empty()) {
    const train::EpochRecord& last = r.history.back();
    r.test_accuracy = last.get("test_accuracy"), r.test_loss = last.get("test_loss");
    r.precision = last.get("test_precision"), r.recall = last.get("test_recall"), r.f1 = last.get("test_f1");
  }
  return r;
}

}  // namespace ember::recipes
