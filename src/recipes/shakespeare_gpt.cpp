#include "ember/recipes/shakespeare_gpt.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <numbers>
#include <ostream>
#include <sstream>

#include "ember/autograd.h"
#include "ember/data/char_lm.h"
#include "ember/data/data_root.h"
#include "ember/data/text_file.h"
#include "ember/distributed/context.h"
#include "ember/io/safetensors.h"
#include "ember/memory.h"
#include "ember/ops.h"
#include "ember/optim/adam.h"
#include "ember/optim/clip.h"
#include "ember/text/char_tokenizer.h"
#include "ember/text/utf8.h"
#include "ember/train/checkpoint.h"
#include "ember/train/trainer.h"

namespace ember::recipes {

namespace fs = std::filesystem;

namespace {

constexpr const char* kRecipe = "shakespeare-gpt";

// Random (B, T) windows of a split and their next-token targets (the window shifted by one).
// Offsets are gen.uniform() scaled, as this recipe has always drawn them (CharLMDataset's
// sample_batch draws integers another way), so runs at a seed repeat across versions.
data::Batch random_batch(const Tensor& ids, int64_t B, int64_t T, Generator& gen) {
  Tensor x = empty({B, T}, kInt64), y = empty({B, T}, kInt64);
  int64_t* xp = x.data_ptr<int64_t>();
  int64_t* yp = y.data_ptr<int64_t>();
  const int64_t* d = ids.data_ptr<int64_t>();
  const int64_t starts = ids.numel() - T;  // offsets 0 .. N - T - 1
  for (int64_t b = 0; b < B; ++b) {
    const int64_t i = std::min(starts - 1, static_cast<int64_t>(gen.uniform() * static_cast<double>(starts)));
    std::copy(d + i, d + i + T, xp + b * T);
    std::copy(d + i + 1, d + i + T + 1, yp + b * T);
  }
  return {x, y};
}

// One id per character; errors name `what` (the flag or file the text came from).
std::vector<int64_t> encode(const text::CharTokenizer& tok, const std::string& s, const std::string& what) {
  try {
    return tok.encode(s);
  } catch (const Error& e) {
    throw Error(what + ": " + e.what());
  }
}

std::string read_text(const std::string& root) {
  fs::path p = fs::path(root) / "tinyshakespeare" / "input.txt";
  std::ifstream f(p, std::ios::binary);
  EMBER_CHECK(f.good(), "shakespeare-gpt", "cannot read '", p.string(),
              "'; put Tiny Shakespeare there (karpathy/char-rnn's data/tinyshakespeare/input.txt) or pass --data");
  std::ostringstream os;
  os << f.rdbuf();
  std::string s = os.str();
  text::check_utf8(s, "shakespeare-gpt", "'" + p.string() + "'");
  return s;
}

// The training text: --text, else Tiny Shakespeare under the data root.
std::string load_text(const ShakespeareGptConfig& c) {
  if (c.text_path.empty()) return read_text(data::resolve_data_root(c.data_root));
  try {
    return data::read_text_file(c.text_path);
  } catch (const Error& e) {
    throw Error(std::string("--text: ") + e.what());
  }
}

void validate(const ShakespeareGptConfig& c) {
  EMBER_CHECK(c.steps > 0, "--steps", "must be positive, got ", c.steps);
  EMBER_CHECK(c.batch_size > 0, "--batch-size", "must be positive, got ", c.batch_size);
  EMBER_CHECK(c.block_size > 0, "--block-size", "must be positive, got ", c.block_size);
  EMBER_CHECK(c.n_layer > 0, "--n-layer", "must be positive, got ", c.n_layer);
  EMBER_CHECK(c.n_head > 0, "--n-head", "must be positive, got ", c.n_head);
  EMBER_CHECK(c.n_embd > 0 && c.n_embd % c.n_head == 0, "--n-embd", "must be a positive multiple of --n-head (",
              c.n_head, "), got ", c.n_embd);
  EMBER_CHECK(c.dropout >= 0 && c.dropout < 1, "--dropout", "must be in [0, 1), got ", c.dropout);
  EMBER_CHECK(c.lr > 0 && std::isfinite(c.lr), "--lr", "must be a positive number, got ", c.lr);
  EMBER_CHECK(c.min_lr >= 0 && c.min_lr <= c.lr, "--min-lr", "must be in [0, --lr = ", c.lr, "], got ", c.min_lr);
  EMBER_CHECK(c.warmup_steps >= 0, "--warmup-steps", "must be non-negative, got ", c.warmup_steps);
  EMBER_CHECK(c.weight_decay >= 0, "--weight-decay", "must be non-negative, got ", c.weight_decay);
  EMBER_CHECK(c.beta2 > 0 && c.beta2 < 1, "--beta2", "must be in (0, 1), got ", c.beta2);
  EMBER_CHECK(c.grad_clip >= 0, "--grad-clip", "must be non-negative (0: off), got ", c.grad_clip);
  EMBER_CHECK(c.eval_interval > 0, "--eval-interval", "must be positive, got ", c.eval_interval);
  EMBER_CHECK(c.eval_iters > 0, "--eval-iters", "must be positive, got ", c.eval_iters);
  EMBER_CHECK(c.log_interval >= 0, "--log-interval", "must be non-negative, got ", c.log_interval);
  EMBER_CHECK(c.threads >= 0, "--threads", "must be positive, got ", c.threads);
  EMBER_CHECK(c.sample_tokens >= 0, "--sample-tokens", "must be non-negative, got ", c.sample_tokens);
  EMBER_CHECK(c.stop_after >= 0 && c.stop_after <= c.steps, "--stop-after", "must be in [0, --steps = ", c.steps,
              "], got ", c.stop_after);
  EMBER_CHECK(c.resume.empty() || c.resume != "auto" || !c.checkpoint_dir.empty(), "--resume",
              "'auto' needs --checkpoint-dir to look in");
}

std::string config_string(const ShakespeareGptConfig& c) {
  std::ostringstream os;
  os << "steps=" << c.steps << " batch_size=" << c.batch_size << " lr=" << c.lr << " min_lr=" << c.min_lr
     << " warmup_steps=" << c.warmup_steps << " weight_decay=" << c.weight_decay << " beta2=" << c.beta2
     << " grad_clip=" << c.grad_clip << " eval_interval=" << c.eval_interval << " eval_iters=" << c.eval_iters
     << " seed=" << c.seed;
  return os.str();
}

// nanoGPT's schedule: linear warmup over warmup_steps, then cosine from lr down to min_lr at `steps`.
double lr_at(const ShakespeareGptConfig& c, int64_t step) {
  if (step < c.warmup_steps) return c.lr * static_cast<double>(step + 1) / static_cast<double>(c.warmup_steps + 1);
  if (step >= c.steps) return c.min_lr;
  const double ratio = static_cast<double>(step - c.warmup_steps) / static_cast<double>(c.steps - c.warmup_steps);
  return c.min_lr + 0.5 * (1.0 + std::cos(std::numbers::pi * ratio)) * (c.lr - c.min_lr);
}

// "key=value key=value" -> GPTConfig; errors name the checkpoint.
models::GPTConfig parse_model_config(const std::string& s, const std::string& path) {
  models::GPTConfig c;
  std::istringstream is(s);
  std::string tok;
  int found = 0;
  while (is >> tok) {
    auto eq = tok.find('=');
    EMBER_CHECK(eq != std::string::npos, "checkpoint", "'", path, "' has a malformed model entry '", tok, "'");
    std::string k = tok.substr(0, eq), v = tok.substr(eq + 1);
    try {
      size_t used = 0;  // the whole value must be a number ("12abc" is malformed)
      if (k != "bias") (void)std::stod(v, &used);
      if (k != "bias" && used != v.size()) throw std::invalid_argument(v);
      auto whole = [&] {  // sizes are whole numbers: "2.5" is malformed, not 2
        const int64_t n = std::stoll(v, &used);
        if (used != v.size()) throw std::invalid_argument(v);
        ++found;
        return n;
      };
      if (k == "vocab_size") c.vocab_size = whole();
      else if (k == "block_size") c.block_size = whole();
      else if (k == "n_layer") c.n_layer = whole();
      else if (k == "n_head") c.n_head = whole();
      else if (k == "n_embd") c.n_embd = whole();
      else if (k == "dropout") c.dropout = std::stod(v);
      else if (k == "bias") c.bias = v != "0";
      else if (k == "layer_norm_epsilon") c.layer_norm_epsilon = std::stod(v);
    } catch (const std::exception&) {
      EMBER_FAIL("checkpoint", "'", path, "' has a malformed model entry '", tok, "'");
    }
  }
  EMBER_CHECK(found == 5, "checkpoint", "'", path, "' does not describe its model (vocab_size, block_size, n_layer, ",
              "n_head, n_embd); is it a shakespeare-gpt checkpoint?");
  // Sizes are checked before anything is built: a corrupt entry is an error naming it, not a huge
  // allocation (the bounds models/hf_config_reader.h puts on Hugging Face config.json files).
  constexpr int64_t kMaxVocab = int64_t{1} << 24, kMaxPositions = int64_t{1} << 20, kMaxLayers = 1024,
                    kMaxWidth = int64_t{1} << 16, kMaxParameters = int64_t{1} << 32;
  auto bound = [&](const char* key, int64_t v, int64_t hi) {
    EMBER_CHECK(v >= 1 && v <= hi, "checkpoint", "'", path, "' has model entry ", key, "=", v, ", outside [1, ", hi,
                "]; the file is corrupt");
  };
  bound("vocab_size", c.vocab_size, kMaxVocab);
  bound("block_size", c.block_size, kMaxPositions);
  bound("n_layer", c.n_layer, kMaxLayers);
  bound("n_embd", c.n_embd, kMaxWidth);
  bound("n_head", c.n_head, c.n_embd);
  EMBER_CHECK(c.n_embd % c.n_head == 0, "checkpoint", "'", path, "' has n_embd=", c.n_embd,
              ", not a multiple of n_head=", c.n_head, "; the file is corrupt");
  EMBER_CHECK(c.dropout >= 0 && c.dropout < 1, "checkpoint", "'", path, "' has model entry dropout=", c.dropout,
              ", outside [0, 1)");
  const double params = 12.0 * double(c.n_layer) * double(c.n_embd) * double(c.n_embd) +
                        double(c.vocab_size + c.block_size) * double(c.n_embd);
  EMBER_CHECK(params <= double(kMaxParameters), "checkpoint", "'", path, "' describes a model of about ",
              params, " parameters (n_layer=", c.n_layer, ", n_embd=", c.n_embd, ", vocab_size=", c.vocab_size,
              "), more than ", kMaxParameters, "; the file is corrupt");
  return c;
}

const std::string& meta(const io::SafetensorsFile& f, const std::string& key, const std::string& path) {
  auto it = f.metadata.find(key);
  EMBER_CHECK(it != f.metadata.end(), "checkpoint", "'", path, "' has no '", key,
              "' entry; is it a shakespeare-gpt checkpoint?");
  return it->second;
}

std::string to_hex(const std::string& s) { return train::to_hex(std::vector<uint8_t>(s.begin(), s.end())); }
std::string from_hex(const std::string& h, const std::string& what) {
  auto b = train::from_hex(h, what);
  return std::string(b.begin(), b.end());
}

// Mean loss over eval_iters random batches of each split, without dropout or gradients. The
// batches come from a generator re-seeded at every evaluation, so each estimate sees the same
// windows and the curves compare like with like. Under mpirun the eval_iters batches are shared
// out (rank r takes batches r, r + size, ..., from its own stream) and the sums combined.
train::Metrics estimate_loss(models::GPT& model, const data::CharLMDataset& text, const ShakespeareGptConfig& c,
                              const distributed::Context& dist) {
  NoGradGuard ng;
  model.eval();
  Generator gen(dist.rank_seed(c.seed ^ 0x9e3779b97f4a7c15ull));
  std::vector<double> sums(2, 0.0);
  for (int s = 0; s < 2; ++s) {
    for (int64_t i = dist.rank(); i < c.eval_iters; i += dist.size()) {
      data::Batch b = random_batch(text.ids(s ? data::Split::Val : data::Split::Train), c.batch_size, c.block_size, gen);
      sums[static_cast<size_t>(s)] += model.loss(b.data, b.target).item();
    }
  }
  model.train();
  sums = dist.sum(std::move(sums));
  return {{"train_loss", sums[0] / static_cast<double>(c.eval_iters)},
          {"val_loss", sums[1] / static_cast<double>(c.eval_iters)}};
}

}  // namespace

ShakespeareGptResult train_shakespeare_gpt(const ShakespeareGptConfig& cfg, std::ostream& out_all) {
  validate(cfg);
  EMBER_CHECK(cfg.bucket_cap_mb > 0, "--bucket-mb", "must be positive, got ", cfg.bucket_cap_mb);
  // A world of one without mpirun; under mpirun rank 0 prints and writes files.
  distributed::Context dist = train::start_run(cfg.threads, cfg.seed);
  std::ostream& out = dist.out(out_all);
  const std::string raw = load_text(cfg);
  EMBER_CHECK(!raw.empty(), cfg.text_path.empty() ? "shakespeare-gpt" : "--text", "the text is empty");
  const data::CharLMDataset text(raw);  // the first 90% trains, the last 10% validates
  const text::CharTokenizer& vocab = text.tokenizer();
  const int64_t n_chars = text.size(data::Split::Train) + text.size(data::Split::Val);
  EMBER_CHECK(text.size(data::Split::Val) > cfg.block_size + 1, "--block-size", cfg.block_size,
              " is too long for the validation split of ", text.size(data::Split::Val), " characters (the last 10% of ",
              n_chars, "); pass a smaller --block-size or a longer --text");

  models::GPTConfig mc{.vocab_size = vocab.vocab_size(), .block_size = cfg.block_size, .n_layer = cfg.n_layer,
                       .n_head = cfg.n_head, .n_embd = cfg.n_embd, .dropout = cfg.dropout};
  {  // Before building: weights, gradients and AdamW's two moments (16 bytes a parameter), and a
     // step's activations (about 16 floats per layer, token and channel, the attention scores, the logits).
    const double E = double(cfg.n_embd), L = double(cfg.n_layer), T = double(cfg.block_size), B = double(cfg.batch_size),
                 V = double(mc.vocab_size), H = double(cfg.n_head);
    const double params = 12 * L * E * E + (V + T) * E;
    check_fits_in_memory(16 * params + 4 * B * T * (L * (16 * E + 2 * H * T) + 2 * V),
                         "--n-layer/--n-embd/--batch-size/--block-size",
                         ember::detail::str_cat("training a model of ", params, " parameters on batches of ", cfg.batch_size,
                                         " x ", cfg.block_size, " tokens"));
  }
  auto model = std::make_shared<models::GPT>(mc);
  auto [decay, no_decay] = model->decay_groups();
  auto base = optim::AdamWOptions(cfg.lr).betas(0.9, cfg.beta2).weight_decay(cfg.weight_decay);
  std::vector<optim::ParamGroup> groups = {optim::ParamGroup(decay),
                                           optim::ParamGroup(no_decay, optim::AdamWOptions(cfg.lr).weight_decay(0.0))};
  std::unique_ptr<optim::Optimizer> opt;
  if (cfg.zero)  // each rank keeps AdamW's moments for its shard of each group only
    opt = std::make_unique<distributed::ZeroRedundancyOptimizer>(
        groups, [base](std::vector<Tensor> shard) { return std::make_unique<optim::AdamW>(std::move(shard), base); },
        dist.group_ptr());
  else
    opt = std::make_unique<optim::AdamW>(groups, base);
  // The characters as UTF-8: for ASCII the bytes earlier versions stored, so old checkpoints load.
  const std::string chars = vocab.vocab_utf8();

  // Gradients become views into DDP's buckets (one copy less per step): nothing keeps a .grad.
  train::Trainer trainer(model, *opt,
                         {.steps = cfg.steps, .stop_after = cfg.stop_after, .eval_every = cfg.eval_interval,
                          .log_every = cfg.log_interval, .grad_clip = cfg.grad_clip, .precision = cfg.precision,
                          .nonfinite = cfg.nonfinite, .lr_at = [&cfg](int64_t step) { return lr_at(cfg, step); },
                          .checkpoint_dir = cfg.checkpoint_dir, .resume = cfg.resume, .metrics_path = cfg.metrics_path,
                          .plot_path = cfg.plot_path,
                          .tensorboard_dir = cfg.tensorboard_dir, .recipe = kRecipe, .config = config_string(cfg),
                          .sample_unit = "tokens",
                          .ddp = {.bucket_cap_mb = cfg.bucket_cap_mb, .gradient_as_bucket_view = true}},
                         dist);
  // Random training windows: each rank its own stream (seed + 1 itself on rank 0).
  Generator data_gen(dist.rank_seed(cfg.seed + 1));
  trainer.track_generator("data_rng", data_gen);
  train::Callbacks cb;
  cb.evaluate = [&] { return estimate_loss(*model, text, cfg, dist); };
  // The model's shape and the vocabulary travel with the weights: generate needs both.
  cb.save_metadata = [&](std::map<std::string, std::string>& m) {
    m["vocab"] = to_hex(chars);
    m["model"] = mc.str();
  };
  cb.check_resume = [&](const std::map<std::string, std::string>& m, const std::string& path) {
    auto get = [&](const char* k) { auto it = m.find(k); return it == m.end() ? std::string() : it->second; };
    EMBER_CHECK(get("model") == mc.str(), "--resume", "'", path, "' holds a model with ", get("model"),
                ", but the flags give ", mc.str());
    EMBER_CHECK(from_hex(get("vocab"), "vocab") == chars, "--resume", "'", path,
                "' was trained on a text with another set of characters");
  };
  out << "shakespeare-gpt: " << n_chars << " characters, vocabulary " << vocab.vocab_size() << ", "
      << text.size(data::Split::Train) << " train / " << text.size(data::Split::Val) << " val; model " << mc.str()
      << ", " << model->num_parameters() << " parameters\n";
  out.flush();

  train::FitResult fit = trainer.fit(
      [&] { return random_batch(text.ids(data::Split::Train), cfg.batch_size, cfg.block_size, data_gen); },
      [&](const data::Batch& b) {  // data, target: (B, T)
        return train::StepOutput{model->loss(b.data, b.target), b.data.numel()};
      },
      cb, &out_all);

  ShakespeareGptResult result;
  result.history = fit.history, result.step_losses = fit.step_losses;
  result.tokens_per_second = fit.samples_per_second;
  if (!result.history.empty())
    result.train_loss = result.history.back().get("train_loss"), result.val_loss = result.history.back().get("val_loss");
  out << "Trained " << fit.steps_done << " steps at " << std::fixed << std::setprecision(0) << result.tokens_per_second
      << " tokens/s; val loss " << std::setprecision(4) << result.val_loss << "\n" << std::defaultfloat;

  if (cfg.sample_tokens > 0 && dist.is_main()) {
    models::GenerateOptions g;  // nanoGPT's sample.py: temperature 0.8, top_k 200
    g.max_new_tokens = cfg.sample_tokens;
    g.temperature = 0.8;
    g.top_k = 200;
    Generator sample_gen(cfg.seed);
    // From a newline, as nanoGPT; a text without one starts from its first character.
    const std::vector<int64_t> start = vocab.contains(U'\n') ? vocab.encode("\n")
                                                              : std::vector<int64_t>{text.ids(data::Split::Train).data_ptr<int64_t>()[0]};
    result.sample = vocab.decode(models::generate(*model, start, g, sample_gen));
    out << "---- sample ----\n" << result.sample << "\n----------------\n";
    if (train::TensorBoardWriter* tb = trainer.tensorboard()) {  // a code block keeps the line breaks
      tb->add_text("sample", "```\n" + result.sample + "\n```", fit.history.empty() ? 0 : fit.history.back().epoch);
      tb->flush();
    }
  }
  return result;
}

std::string generate_from_checkpoint(const std::string& checkpoint, const std::string& prompt,
                                     const models::GenerateOptions& opts, uint64_t seed,
                                     const std::function<void(const std::string&)>& on_text) {
  io::SafetensorsFile head = io::load_safetensors(checkpoint);
  auto it = head.metadata.find("recipe");
  EMBER_CHECK(it != head.metadata.end() && it->second == kRecipe, "generate", "'", checkpoint,
              "' is a checkpoint of recipe '", it == head.metadata.end() ? std::string("(none)") : it->second,
              "'; ember generate reads shakespeare-gpt checkpoints");
  const text::CharTokenizer vocab = [&] {
    try {
      return text::CharTokenizer::from_vocab_utf8(from_hex(meta(head, "vocab", checkpoint), "vocab"));
    } catch (const Error& e) {
      // Before character vocabularies, a text beyond ASCII gave a vocabulary of bytes (never UTF-8).
      throw Error(std::string("generate: '") + checkpoint + "' has no character vocabulary in its 'vocab' entry (" +
                  e.what() + "); a checkpoint trained on non-ASCII text by an earlier Ember holds bytes: retrain it");
    }
  }();
  models::GPTConfig mc = parse_model_config(meta(head, "model", checkpoint), checkpoint);
  EMBER_CHECK(mc.vocab_size == vocab.vocab_size(), "generate", "'", checkpoint, "' has a vocabulary of ", vocab.vocab_size(),
              " characters but a model for ", mc.vocab_size);
  mc.validate();
  models::GPT model(mc);
  train::load_checkpoint(checkpoint, model, nullptr, kRecipe);
  EMBER_CHECK(!prompt.empty(), "generate", "the prompt is empty; give at least one character (e.g. a newline)");
  std::vector<int64_t> ids = encode(vocab, prompt, "--prompt");
  Generator gen(seed);
  models::GenerateOptions o = opts;
  if (on_text) o.on_token = [&](int64_t id) { on_text(vocab.decode({id})); };
  return vocab.decode(models::generate(model, ids, o, gen));
}

std::shared_ptr<models::GPT> load_shakespeare_gpt(const std::string& checkpoint) {
  io::SafetensorsFile head = io::load_safetensors(checkpoint);
  auto it = head.metadata.find("recipe");
  EMBER_CHECK(it != head.metadata.end() && it->second == kRecipe, "load_shakespeare_gpt", "'", checkpoint,
              "' is a checkpoint of recipe '", it == head.metadata.end() ? std::string("(none)") : it->second,
              "', not shakespeare-gpt");
  models::GPTConfig mc = parse_model_config(meta(head, "model", checkpoint), checkpoint);
  mc.validate();
  auto model = std::make_shared<models::GPT>(mc);
  train::load_checkpoint(checkpoint, *model, nullptr, kRecipe);
  model->eval();
  return model;
}

}  // namespace ember::recipes
