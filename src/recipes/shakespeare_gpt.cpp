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
#include "ember/data/data_root.h"
#include "ember/data/text_file.h"
#include "ember/distributed/context.h"
#include "ember/io/safetensors.h"
#include "ember/ops.h"
#include "ember/optim/adam.h"
#include "ember/optim/clip.h"
#include "ember/parallel.h"
#include "ember/train/checkpoint.h"
#include "recipes/output_files.h"

namespace ember::recipes {

namespace fs = std::filesystem;

namespace {

constexpr const char* kRecipe = "shakespeare-gpt";

// The seed of this rank's own stream of random windows: `seed` itself on rank 0, so a single
// process draws the batches it drew before distributed training existed.
uint64_t rank_seed(uint64_t seed, int rank) { return seed + static_cast<uint64_t>(rank) * 0x9e3779b97f4a7c15ull; }

// Checkpoint key of rank r's data generator state ("data_rng" on rank 0, as single-process
// checkpoints have it).
std::string data_rng_key(int rank) { return rank == 0 ? "data_rng" : "data_rng." + std::to_string(rank); }

// TODO(merge): replace with text::CharTokenizer / data::CharLMDataset.
// The characters (bytes) of the text, sorted, as the vocabulary; encode/decode by table.
class CharVocab {
 public:
  CharVocab() = default;
  explicit CharVocab(const std::string& chars) : chars_(chars) {
    index_.fill(-1);
    for (size_t i = 0; i < chars_.size(); ++i) index_[static_cast<unsigned char>(chars_[i])] = static_cast<int64_t>(i);
  }
  static CharVocab of_text(const std::string& text) {
    std::array<bool, 256> seen{};
    for (unsigned char c : text) seen[c] = true;
    std::string chars;
    for (int c = 0; c < 256; ++c)
      if (seen[static_cast<size_t>(c)]) chars += static_cast<char>(c);
    return CharVocab(chars);
  }
  int64_t size() const { return static_cast<int64_t>(chars_.size()); }
  const std::string& chars() const { return chars_; }
  bool contains(char c) const { return index_[static_cast<unsigned char>(c)] >= 0; }
  std::vector<int64_t> encode(const std::string& s, const char* what) const {
    std::vector<int64_t> ids;
    ids.reserve(s.size());
    for (size_t i = 0; i < s.size(); ++i) {
      int64_t id = index_[static_cast<unsigned char>(s[i])];
      EMBER_CHECK(id >= 0, what, "character ", printable(s[i]), " at offset ", i,
                  " is not in the model's vocabulary of ", chars_.size(), " characters");
      ids.push_back(id);
    }
    return ids;
  }
  std::string decode(const std::vector<int64_t>& ids) const {
    std::string s;
    for (int64_t id : ids) s += chars_.at(static_cast<size_t>(id));
    return s;
  }

 private:
  static std::string printable(char c) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u >= 32 && u < 127) return std::string("'") + c + "'";
    std::ostringstream os;
    os << "0x" << std::hex << static_cast<int>(u);
    return os.str();
  }
  std::string chars_;
  std::array<int64_t, 256> index_{};
};

// TODO(merge): replace with data::CharLMDataset.
// Random (B, T) windows of a token stream and their next-token targets (the window shifted by one).
std::pair<Tensor, Tensor> random_batch(const std::vector<int64_t>& data, int64_t B, int64_t T, Generator& gen) {
  Tensor x = empty({B, T}, DType::Int64), y = empty({B, T}, DType::Int64);
  int64_t* xp = x.data_ptr<int64_t>();
  int64_t* yp = y.data_ptr<int64_t>();
  const int64_t starts = static_cast<int64_t>(data.size()) - T;  // offsets 0 .. size - T - 1
  for (int64_t b = 0; b < B; ++b) {
    const int64_t i = std::min(starts - 1, static_cast<int64_t>(gen.uniform() * static_cast<double>(starts)));
    std::copy(data.begin() + i, data.begin() + i + T, xp + b * T);
    std::copy(data.begin() + i + 1, data.begin() + i + T + 1, yp + b * T);
  }
  return {x, y};
}

std::string read_text(const std::string& root) {
  fs::path p = fs::path(root) / "tinyshakespeare" / "input.txt";
  std::ifstream f(p, std::ios::binary);
  EMBER_CHECK(f.good(), "shakespeare-gpt", "cannot read '", p.string(),
              "'; put Tiny Shakespeare there (karpathy/char-rnn's data/tinyshakespeare/input.txt) or pass --data");
  std::ostringstream os;
  os << f.rdbuf();
  return os.str();
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
      if (k == "vocab_size") c.vocab_size = std::stoll(v), ++found;
      else if (k == "block_size") c.block_size = std::stoll(v), ++found;
      else if (k == "n_layer") c.n_layer = std::stoll(v), ++found;
      else if (k == "n_head") c.n_head = std::stoll(v), ++found;
      else if (k == "n_embd") c.n_embd = std::stoll(v), ++found;
      else if (k == "dropout") c.dropout = std::stod(v);
      else if (k == "bias") c.bias = v != "0";
      else if (k == "layer_norm_epsilon") c.layer_norm_epsilon = std::stod(v);
    } catch (const std::exception&) {
      EMBER_FAIL("checkpoint", "'", path, "' has a malformed model entry '", tok, "'");
    }
  }
  EMBER_CHECK(found == 5, "checkpoint", "'", path, "' does not describe its model (vocab_size, block_size, n_layer, ",
              "n_head, n_embd); is it a shakespeare-gpt checkpoint?");
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

std::vector<train::EpochRecord> parse_history(const std::string& text, const std::string& path) {
  std::vector<train::EpochRecord> rows;
  std::istringstream is(text);
  std::string line;
  while (std::getline(is, line)) {
    train::EpochRecord r;
    std::istringstream ls(line);
    std::string tok;
    ls >> r.epoch;
    while (ls >> tok) {
      auto eq = tok.find('=');
      try {
        if (eq == std::string::npos) throw std::invalid_argument(tok);
        r.values.emplace_back(tok.substr(0, eq), std::stod(tok.substr(eq + 1)));
      } catch (const std::exception&) {
        EMBER_FAIL("--resume", "checkpoint '", path, "' has a malformed history entry '", tok, "'");
      }
    }
    rows.push_back(r);
  }
  return rows;
}

std::string history_string(const std::vector<train::EpochRecord>& rows) {
  std::ostringstream os;
  os.precision(17);
  for (auto& r : rows) {
    os << r.epoch;
    for (auto& [k, v] : r.values) os << " " << k << "=" << v;
    os << "\n";
  }
  return os.str();
}

// Mean loss over eval_iters random batches of each split, without dropout or gradients. The
// batches come from a generator re-seeded at every evaluation, so each estimate sees the same
// windows and the curves compare like with like. Under mpirun the eval_iters batches are shared
// out (rank r takes batches r, r + size, ..., from its own stream) and the sums combined.
std::pair<double, double> estimate_loss(models::GPT& model, const std::vector<int64_t>& train,
                                        const std::vector<int64_t>& val, const ShakespeareGptConfig& c,
                                        const distributed::Context& dist) {
  NoGradGuard ng;
  model.eval();
  Generator gen(rank_seed(c.seed ^ 0x9e3779b97f4a7c15ull, dist.rank()));
  std::vector<double> sums(2, 0.0);
  const std::vector<int64_t>* splits[2] = {&train, &val};
  for (int s = 0; s < 2; ++s) {
    for (int64_t i = dist.rank(); i < c.eval_iters; i += dist.size()) {
      auto [x, y] = random_batch(*splits[s], c.batch_size, c.block_size, gen);
      sums[static_cast<size_t>(s)] += model.loss(x, y).item();
    }
  }
  model.train();
  sums = dist.sum(std::move(sums));
  return {sums[0] / static_cast<double>(c.eval_iters), sums[1] / static_cast<double>(c.eval_iters)};
}

}  // namespace

ShakespeareGptResult train_shakespeare_gpt(const ShakespeareGptConfig& cfg, std::ostream& out_all) {
  validate(cfg);
  EMBER_CHECK(cfg.bucket_cap_mb > 0, "--bucket-mb", "must be positive, got ", cfg.bucket_cap_mb);
  // A world of one without mpirun; under mpirun rank 0 prints and writes files.
  distributed::Context dist = distributed::Context::from_env();
  std::ostream& out = dist.out(out_all);
  if (cfg.threads > 0) set_num_threads(cfg.threads);
  manual_seed(cfg.seed);
  const std::string text = load_text(cfg);
  const CharVocab vocab = CharVocab::of_text(text);
  std::vector<int64_t> ids = vocab.encode(text, "shakespeare-gpt");
  const size_t n_train = ids.size() * 9 / 10;  // first 90% trains, last 10% validates
  std::vector<int64_t> train_ids(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(n_train));
  std::vector<int64_t> val_ids(ids.begin() + static_cast<std::ptrdiff_t>(n_train), ids.end());
  EMBER_CHECK(static_cast<int64_t>(val_ids.size()) > cfg.block_size + 1, "--block-size", cfg.block_size,
              " is too long for the validation split of ", val_ids.size(), " characters (the last 10% of ",
              text.size(), "); pass a smaller --block-size or a longer --text");

  models::GPTConfig mc{.vocab_size = vocab.size(), .block_size = cfg.block_size, .n_layer = cfg.n_layer,
                       .n_head = cfg.n_head, .n_embd = cfg.n_embd, .dropout = cfg.dropout};
  auto model_ptr = std::make_shared<models::GPT>(mc);
  models::GPT& model = *model_ptr;
  auto [decay, no_decay] = model.decay_groups();
  auto base = optim::AdamWOptions(cfg.lr).betas(0.9, cfg.beta2).weight_decay(cfg.weight_decay);
  std::vector<optim::ParamGroup> groups = {optim::ParamGroup(decay),
                                           optim::ParamGroup(no_decay, optim::AdamWOptions(cfg.lr).weight_decay(0.0))};
  std::unique_ptr<optim::Optimizer> opt_ptr;
  if (cfg.zero)  // each rank keeps AdamW's moments for its shard of each group only
    opt_ptr = std::make_unique<distributed::ZeroRedundancyOptimizer>(
        groups, [base](std::vector<Tensor> shard) { return std::make_unique<optim::AdamW>(std::move(shard), base); },
        dist.group_ptr());
  else
    opt_ptr = std::make_unique<optim::AdamW>(groups, base);
  optim::Optimizer& opt = *opt_ptr;
  auto params = model.parameters();
  // Random training windows: each rank its own stream (seed + 1 itself on rank 0).
  Generator data_gen(rank_seed(cfg.seed + 1, dist.rank()));

  ShakespeareGptResult result;
  int64_t step = 0;
  const std::string resume =
      cfg.resume == "auto" ? [&] {
        fs::path p = fs::path(cfg.checkpoint_dir) / "last.safetensors";
        return fs::exists(p) ? p.string() : std::string();
      }()
                           : cfg.resume;
  if (!resume.empty()) {
    io::SafetensorsFile head = io::load_safetensors(resume);
    auto it = head.metadata.find("recipe");
    EMBER_CHECK(it != head.metadata.end() && it->second == kRecipe, "--resume", "'", resume,
                "' is a checkpoint of recipe '", it == head.metadata.end() ? std::string("(none)") : it->second,
                "', not '", kRecipe, "'");
    EMBER_CHECK(meta(head, "model", resume) == mc.str(), "--resume", "'", resume, "' holds a model with ",
                meta(head, "model", resume), ", but the flags give ", mc.str());
    EMBER_CHECK(from_hex(meta(head, "vocab", resume), "vocab") == vocab.chars(), "--resume", "'", resume,
                "' was trained on a text with another set of characters");
    train::Checkpoint ck = train::load_checkpoint(resume, model, &opt, kRecipe);
    try {
      step = std::stoll(meta(head, "step", resume));
    } catch (const std::invalid_argument&) {
      EMBER_FAIL("--resume", "'", resume, "' has a malformed step '", meta(head, "step", resume), "'");
    }
    default_generator().set_state(train::from_hex(meta(head, "rng", resume), "rng"));
    // Each rank's data stream continues where it stopped when the rank count is the one saved;
    // with another count ranks past 0 start fresh streams (the run no longer repeats the
    // uninterrupted one, which the note says).
    auto ws = head.metadata.find("world_size");
    const bool same_world = (ws == head.metadata.end() ? std::string("1") : ws->second) == std::to_string(dist.size());
    if (same_world || dist.is_main())
      data_gen.set_state(train::from_hex(meta(head, data_rng_key(dist.rank()), resume), "data_rng"));
    if (!same_world)
      out << "Note: " << resume << " was saved by " << (ws == head.metadata.end() ? std::string("1") : ws->second)
          << " rank(s), this run has " << dist.size() << ": ranks past 0 draw fresh random windows\n";
    result.history = parse_history(meta(head, "history", resume), resume);
    if (!result.history.empty())
      result.train_loss = result.history.back().get("train_loss"), result.val_loss = result.history.back().get("val_loss");
    EMBER_CHECK(step <= cfg.steps, "--resume", "'", resume, "' has already trained ", step, " steps, more than --steps ",
                cfg.steps);
    out << "Resumed from " << resume << " at step " << step << "\n";
  }

  // After loading (every rank reads the checkpoint, so the optimizer state agrees too): DDP checks
  // that the ranks built the same model and broadcasts rank 0's weights. Gradients become views
  // into DDP's buckets (one copy less per step): nothing here keeps a .grad across steps.
  auto ddp = dist.wrap(model_ptr, {.bucket_cap_mb = cfg.bucket_cap_mb, .gradient_as_bucket_view = true});

  detail::make_checkpoint_dir(cfg.checkpoint_dir);
  const std::string metrics_path = detail::output_path(cfg.metrics_path, cfg.checkpoint_dir, "metrics.csv");
  const std::string plot_path = detail::output_path(cfg.plot_path, cfg.checkpoint_dir, "curves.png");
  out << "shakespeare-gpt: " << text.size() << " characters, vocabulary " << vocab.size() << ", " << train_ids.size()
      << " train / " << val_ids.size() << " val; model " << mc.str() << ", " << model.num_parameters()
      << " parameters\n";
  out.flush();

  const int64_t last = cfg.stop_after > 0 ? cfg.stop_after : cfg.steps;
  const int64_t tokens_per_step = cfg.batch_size * cfg.block_size * dist.size();  // over every rank
  double train_seconds = 0, interval_seconds = 0;
  int64_t interval_steps = 0, trained = 0;
  bool skip_eval = !resume.empty();  // the checkpoint was written right after evaluating this step
  using clock = std::chrono::steady_clock;
  while (true) {
    if ((step % cfg.eval_interval == 0 || step == last) && !skip_eval) {
      auto [tl, vl] = estimate_loss(model, train_ids, val_ids, cfg, dist);
      const double tps = interval_seconds > 0 ? static_cast<double>(interval_steps * tokens_per_step) / interval_seconds : 0;
      out << "step " << step << ": train loss " << std::fixed << std::setprecision(4) << tl << ", val loss " << vl
          << std::setprecision(0) << ", " << tps << " tokens/s\n" << std::defaultfloat;
      out.flush();
      train::EpochRecord rec;
      rec.epoch = step;
      rec.values = {{"train_loss", tl}, {"val_loss", vl}, {"lr", lr_at(cfg, step)}, {"tokens_per_second", tps}};
      result.history.push_back(rec);
      result.train_loss = tl, result.val_loss = vl;
      interval_seconds = 0, interval_steps = 0;
      if (!metrics_path.empty() && dist.is_main()) train::write_metrics(metrics_path, result.history, "step");
      if (!plot_path.empty() && dist.is_main()) train::write_curves_png(plot_path, result.history, "step");
      if (!cfg.checkpoint_dir.empty()) {
        std::map<std::string, std::string> m = {{"recipe", kRecipe},
                                                {"step", std::to_string(step)},
                                                {"rng", train::to_hex(default_generator().get_state())},
                                                {"vocab", to_hex(vocab.chars())},
                                                {"model", mc.str()},
                                                {"config", config_string(cfg)},
                                                {"history", history_string(result.history)}};
        // Every rank's data stream state. Its length varies (the engine's state is written as
        // text), so the ranks first agree on the longest and gather padded copies.
        const std::vector<uint8_t> mine = data_gen.get_state();
        std::vector<double> lengths(static_cast<size_t>(dist.size()), 0.0);
        lengths[static_cast<size_t>(dist.rank())] = static_cast<double>(mine.size());
        lengths = dist.sum(std::move(lengths));
        const int64_t S = static_cast<int64_t>(*std::max_element(lengths.begin(), lengths.end()));
        Tensor local = zeros({S}, kInt32);  // (S,) one byte per element
        std::copy(mine.begin(), mine.end(), local.data_ptr<int32_t>());
        Tensor all = dist.size() > 1 ? dist.group().allgather(local) : local;  // (size, S)
        const int32_t* a = all.data_ptr<int32_t>();
        for (int r = 0; r < dist.size(); ++r)
          m[data_rng_key(r)] = train::to_hex(std::vector<uint8_t>(a + r * S, a + r * S + static_cast<int64_t>(lengths[static_cast<size_t>(r)])));
        if (dist.size() > 1) m["world_size"] = std::to_string(dist.size());
        // Every rank takes part (ZeRO gathers its shards); rank 0 writes, atomically.
        train::save_checkpoint(dist, (fs::path(cfg.checkpoint_dir) / "last.safetensors").string(), model, &opt, m);
      }
    }
    skip_eval = false;
    if (step >= last) break;

    auto t0 = clock::now();
    const double lr = lr_at(cfg, step);
    for (auto& g : opt.param_groups()) g.set_lr(lr);
    opt.zero_grad();
    auto [x, y] = random_batch(train_ids, cfg.batch_size, cfg.block_size, data_gen);  // (B, T) each
    ddp->pre_forward();  // DDP's checks before a forward with the GPT's own signature
    Tensor loss = model.loss(x, y);
    loss.backward();  // gradients averaged over ranks: clipping and the step agree everywhere
    if (cfg.grad_clip > 0) nn::utils::clip_grad_norm_(params, cfg.grad_clip);
    opt.step();
    const double l = dist.mean({loss.item()})[0];  // the step's loss over every rank's batch
    const double secs = std::chrono::duration<double>(clock::now() - t0).count();
    train_seconds += secs, interval_seconds += secs;
    ++interval_steps, ++trained, ++step;
    result.step_losses.push_back(l);
    if (cfg.log_interval > 0 && step % cfg.log_interval == 0) {
      out << "  step " << step << "/" << cfg.steps << " loss " << std::fixed << std::setprecision(4) << l << ", lr "
          << std::scientific << std::setprecision(2) << lr << std::defaultfloat << "\n";
      out.flush();
    }
  }
  result.tokens_per_second = train_seconds > 0 ? static_cast<double>(trained * tokens_per_step) / train_seconds : 0;
  out << "Trained " << trained << " steps at " << std::fixed << std::setprecision(0) << result.tokens_per_second
      << " tokens/s; val loss " << std::setprecision(4) << result.val_loss << "\n" << std::defaultfloat;

  if (cfg.sample_tokens > 0 && dist.is_main()) {
    models::GenerateOptions g;  // nanoGPT's sample.py: temperature 0.8, top_k 200
    g.max_new_tokens = cfg.sample_tokens;
    g.temperature = 0.8;
    g.top_k = 200;
    Generator sample_gen(cfg.seed);
    // From a newline, as nanoGPT; a text without one starts from its first character.
    const std::string start = vocab.contains('\n') ? std::string("\n") : text.substr(0, 1);
    result.sample = vocab.decode(models::generate(model, vocab.encode(start, "sample"), g, sample_gen));
    out << "---- sample ----\n" << result.sample << "\n----------------\n";
  }
  return result;
}

std::string generate_from_checkpoint(const std::string& checkpoint, const std::string& prompt,
                                     const models::GenerateOptions& opts, uint64_t seed) {
  io::SafetensorsFile head = io::load_safetensors(checkpoint);
  auto it = head.metadata.find("recipe");
  EMBER_CHECK(it != head.metadata.end() && it->second == kRecipe, "generate", "'", checkpoint,
              "' is a checkpoint of recipe '", it == head.metadata.end() ? std::string("(none)") : it->second,
              "'; ember generate reads shakespeare-gpt checkpoints");
  CharVocab vocab(from_hex(meta(head, "vocab", checkpoint), "vocab"));
  models::GPTConfig mc = parse_model_config(meta(head, "model", checkpoint), checkpoint);
  EMBER_CHECK(mc.vocab_size == vocab.size(), "generate", "'", checkpoint, "' has a vocabulary of ", vocab.size(),
              " characters but a model for ", mc.vocab_size);
  mc.validate();
  models::GPT model(mc);
  train::load_checkpoint(checkpoint, model, nullptr, kRecipe);
  EMBER_CHECK(!prompt.empty(), "generate", "the prompt is empty; give at least one character (e.g. a newline)");
  std::vector<int64_t> ids = vocab.encode(prompt, "--prompt");
  Generator gen(seed);
  return vocab.decode(models::generate(model, ids, opts, gen));
}

}  // namespace ember::recipes
