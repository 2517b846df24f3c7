#include "ember/train/trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "ember/autocast.h"
#include "ember/autograd.h"
#include "ember/io/safetensors.h"
#include "ember/ops.h"
#include "ember/optim/clip.h"
#include "ember/parallel.h"
#include "ember/train/checkpoint.h"
#include "train/rank_agreement.h"
#include "train/run_checks.h"
#include "train/trainer_tensorboard.h"

namespace ember::train {

namespace fs = std::filesystem;

namespace {

// Rows since the best monitored loss (val_loss, else test_loss); 0 when the last row is the best.
int64_t rows_without_improvement(const std::vector<EpochRecord>& history, double min_delta) {
  double best = INFINITY;
  int64_t since = 0;
  for (auto& r : history) {
    double l = r.get("val_loss");
    if (std::isnan(l)) l = r.get("test_loss");
    if (std::isnan(l)) continue;
    if (l < best - min_delta) best = l, since = 0;
    else ++since;
  }
  return since;
}

// The learning rate of the first parameter group: what the last step used (lr_at sets every group).
double step_lr(const optim::Optimizer& opt) { return opt.param_groups().empty() ? 0.0 : opt.param_groups()[0].lr(); }

std::string state_key(const std::string& name, int rank) { return rank == 0 ? name : name + "." + std::to_string(rank); }

const std::string* find(const std::map<std::string, std::string>& m, const std::string& key) {
  auto it = m.find(key);
  return it == m.end() ? nullptr : &it->second;
}

int64_t parse_count(const std::string& v, const char* key, const std::string& path) {
  try {
    size_t used = 0;
    int64_t n = std::stoll(v, &used);
    if (used == v.size() && n >= 0) return n;
  } catch (const std::exception&) {
  }
  EMBER_FAIL("--resume", "'", path, "' has a malformed ", key, " '", v, "'");
}

}  // namespace

distributed::Context start_run(int threads, uint64_t seed) {
  distributed::Context dist = distributed::Context::from_env();
  if (threads > 0) set_num_threads(threads);
  manual_seed(seed);
  return dist;
}

std::string output_path(const std::string& path, const std::string& dir, const std::string& name) {
  if (!path.empty()) return path;
  if (!dir.empty()) return (fs::path(dir) / name).string();
  return "";
}

void make_checkpoint_dir(const std::string& dir) {
  if (dir.empty()) return;
  std::error_code ec;
  fs::create_directories(dir, ec);
  EMBER_CHECK(!ec, "--checkpoint-dir", "cannot create '", dir, "': ", ec.message());
}

Trainer::Trainer(std::shared_ptr<nn::Module> model, optim::Optimizer& optimizer, TrainerOptions options,
                 distributed::Context dist)
    : model_(std::move(model)), optim_(optimizer), opt_(std::move(options)), dist_(std::move(dist)) {
  EMBER_CHECK(model_ != nullptr, "Trainer", "the model is null");
  EMBER_CHECK(opt_.max_steps_per_epoch >= 0, "--max-steps", "must be non-negative, got ", opt_.max_steps_per_epoch);
  EMBER_CHECK(opt_.grad_clip >= 0, "--grad-clip", "must be non-negative (0: off), got ", opt_.grad_clip);
  EMBER_CHECK(opt_.precision == "float32" || opt_.precision == "bf16", "--precision",
              "must be float32 or bf16 (bfloat16 autocast), got '", opt_.precision, "'");
  EMBER_CHECK(opt_.nonfinite == "stop" || opt_.nonfinite == "skip", "--nonfinite",
              "must be stop or skip, got '", opt_.nonfinite, "'");
  EMBER_CHECK(opt_.early_stopping_patience >= 0, "--early-stopping", "must be non-negative, got ",
              opt_.early_stopping_patience);
  EMBER_CHECK(opt_.resume.empty() || opt_.resume != "auto" || !opt_.checkpoint_dir.empty(), "--resume",
              "'auto' needs --checkpoint-dir to look in");
  make_checkpoint_dir(opt_.checkpoint_dir);
  metrics_path_ = output_path(opt_.metrics_path, opt_.checkpoint_dir, "metrics.csv");
  plot_path_ = output_path(opt_.plot_path, opt_.checkpoint_dir, "curves.png");
  if (dist_.is_main()) {  // before any training: an unwritable output fails now, not after an epoch
    detail::check_output_path(metrics_path_, "--metrics", {".csv", ".jsonl"});
    detail::check_output_path(plot_path_, "--plot", {".png"});
    detail::check_output_dir(opt_.tensorboard_dir, "--tensorboard");
  }
}

void Trainer::track_generator(std::string name, Generator& gen) { generators_.emplace_back(std::move(name), &gen); }

std::ostream& Trainer::out(std::ostream* log) const { return dist_.out(log ? *log : std::cout); }

int64_t Trainer::resume(const Callbacks& cb, FitResult& r, std::ostream& log) {
  const std::string path = opt_.resume == "auto" ? [&] {
    fs::path p = fs::path(opt_.checkpoint_dir) / "last.safetensors";
    return fs::exists(p) ? p.string() : std::string();
  }()
                                                 : opt_.resume;
  if (path.empty()) return 0;
  const std::map<std::string, std::string> meta = io::load_safetensors(path).metadata;
  const std::string* recipe = find(meta, "recipe");
  EMBER_CHECK(opt_.recipe.empty() || (recipe && *recipe == opt_.recipe), "--resume", "'", path,
              "' is a checkpoint of recipe '", recipe ? *recipe : std::string("(none)"), "', not '", opt_.recipe, "'");
  if (cb.check_resume) cb.check_resume(meta, path);
  load_checkpoint(path, *model_, &optim_, opt_.recipe);
  if (const std::string* c = find(meta, "config"))  // flags that differ: applied with a note, or an error
    detail::reconcile_resume_config(*c, opt_.config, optim_, static_cast<bool>(opt_.lr_at), path, log);
  const char* key = x_name_ == "step" ? "step" : "epoch";
  const std::string* at = find(meta, key);
  EMBER_CHECK(at != nullptr, "--resume", "'", path, "' has no '", key, "' entry; was it written by a ", x_name_,
              "-based run?");
  const int64_t done = parse_count(*at, key, path);
  if (const std::string* rng = find(meta, "rng")) default_generator().set_state(from_hex(*rng, "rng"));
  // Each rank's streams continue where they stopped when the rank count is the one saved; with
  // another count ranks past 0 start fresh (the run no longer repeats the uninterrupted one).
  const std::string* ws = find(meta, "world_size");
  const std::string saved_world = ws ? *ws : std::string("1");
  const bool same_world = saved_world == std::to_string(dist_.size());
  for (auto& [name, gen] : generators_) {
    const std::string* s = find(meta, state_key(name, dist_.rank()));
    EMBER_CHECK(s != nullptr || !(same_world || dist_.is_main()), "--resume", "'", path, "' has no '",
                state_key(name, dist_.rank()), "' entry");
    if (s && (same_world || dist_.is_main())) gen->set_state(from_hex(*s, name));
  }
  if (!same_world && !generators_.empty())
    log << "Note: " << path << " was saved by " << saved_world << " rank(s), this run has " << dist_.size()
        << ": ranks past 0 draw fresh random streams\n";
  if (const std::string* h = find(meta, "history")) r.history = decode_history(*h, path);
  r.resumed = true;
  log << "Resumed from " << path << (x_name_ == "step" ? " at step " : " after epoch ") << done << "\n";
  const int64_t limit = x_name_ == "step" ? opt_.steps : opt_.epochs;
  EMBER_CHECK(done <= limit, "--resume", "checkpoint '", path, "' has already trained ", done, " ", key,
              "s, more than --", key, "s ", limit);
  if (done == limit)
    log << "The run already finished: " << done << " of " << limit << " " << key
        << "s done, nothing left to train (raise --" << key << "s to train further)\n";
  return done;
}

void Trainer::before_training(std::ostream& log, int64_t first_step) {
  // After loading (every rank reads the checkpoint, so optimizer state agrees too): DDP checks
  // that the ranks built the same model and broadcasts rank 0's weights.
  ddp_ = dist_.wrap(model_, opt_.ddp);
  // A new event file each run (a resume adds one beside the last): TensorBoard merges a folder's.
  if (!opt_.tensorboard_dir.empty() && dist_.is_main() && !tb_) {
    tb_ = std::make_unique<TensorBoardWriter>(opt_.tensorboard_dir,
                                              TensorBoardOptions{.purge_step = first_step > 1 ? first_step : -1});
    log << "TensorBoard: " << tb_->path() << " (tensorboard --logdir " << opt_.tensorboard_dir << ")\n";
  }
}

bool Trainer::run_step(const StepFn& step, const data::Batch& batch, int64_t global_step, StepOutput& o) {
  if (opt_.lr_at) {
    const double lr = opt_.lr_at(global_step);
    for (auto& g : optim_.param_groups()) g.set_lr(lr);
  }
  optim_.zero_grad();
  ddp_->pre_forward();  // DDP's checks before the step function's forward, whatever its signature
  {
    AutocastGuard autocast(opt_.precision == "bf16");  // backward follows each op's forward precision
    o = step(batch);
  }
  EMBER_CHECK(o.loss.defined() && o.loss.numel() == 1, "Trainer", "the step function must return a scalar loss, got ",
              o.loss.defined() ? shape_str(o.loss.shape()) : std::string("an undefined tensor"));
  // A NaN or infinite loss on any rank (a sum over ranks is non-finite then) stops or skips the
  // step on every rank alike, before backward: no rank waits in a collective the others skip.
  const double local = o.loss.item();
  const double any = dist_.size() > 1 ? dist_.sum(local) : local;
  if (!std::isfinite(any)) return false;
  o.loss.backward();  // under mpirun, gradients averaged over ranks: clipping and the step agree
  if (opt_.grad_clip > 0) nn::utils::clip_grad_norm_(model_->parameters(), opt_.grad_clip);
  optim_.step();
  return true;
}

void Trainer::on_nonfinite(const StepOutput& o, const std::string& where) const {
  if (opt_.nonfinite == "skip") return;
  const double l = o.loss.item();
  std::ostringstream v;
  v << l;
  throw NonFiniteLoss(::ember::detail::str_cat(
      "train: the loss is ", std::isfinite(l) ? "not finite on another rank" : v.str(), " at ", where,
      "; stopped before the optimizer step, so no checkpoint was written from it. Lower the learning rate (--lr) or "
      "clip the gradient norm, or pass --nonfinite skip to skip such batches"));
}

void Trainer::report_skipped(int64_t skipped, int64_t steps, const std::string& where, std::ostream& log) const {
  if (skipped == 0) return;
  if (skipped == steps)
    throw NonFiniteLoss(::ember::detail::str_cat("train: every one of the ", steps, " steps of ", where,
                                        " had a NaN or infinite loss and was skipped (--nonfinite skip); the model has "
                                        "diverged: lower the learning rate (--lr) or clip the gradient norm"));
  log << "Skipped " << skipped << " of " << steps << " batches of " << where << " with a NaN or infinite loss\n";
}

std::string Trainer::describe(const Callbacks& cb, const Metrics& m) const {
  if (cb.describe) return cb.describe(m);
  std::ostringstream os;
  os << std::fixed;
  for (size_t i = 0; i < m.size(); ++i) {
    std::string k = m[i].first;
    std::replace(k.begin(), k.end(), '_', ' ');
    const bool pct = k.size() >= 8 && k.compare(k.size() - 8, 8, "accuracy") == 0;
    os << (i ? ", " : "") << k << " " << std::setprecision(pct ? 2 : 4) << (pct ? 100 * m[i].second : m[i].second)
       << (pct ? "%" : "");
  }
  return os.str();
}

// Adds a history row, writes the metrics, the curves and the checkpoint; true to stop early.
bool Trainer::record(EpochRecord rec, const Callbacks& cb, FitResult& r, std::ostream& log) {
  r.history.push_back(std::move(rec));
  const EpochRecord& row = r.history.back();
  if (!metrics_path_.empty() && dist_.is_main()) write_metrics(metrics_path_, r.history, x_name_);
  if (!plot_path_.empty() && dist_.is_main()) write_curves_png(plot_path_, r.history, x_name_);
  if (tb_) {
    detail::log_row(*tb_, row);
    detail::log_parameters(*tb_, *model_, row.epoch);
  }
  if (cb.on_record) cb.on_record(row);  // may add images and text to tensorboard()
  if (tb_) tb_->flush();
  if (!opt_.checkpoint_dir.empty()) {
    std::map<std::string, std::string> meta = {{"recipe", opt_.recipe},
                                               {x_name_, std::to_string(row.epoch)},
                                               {"rng", to_hex(default_generator().get_state())},
                                               {"config", opt_.config},
                                               {"history", encode_history(r.history)}};
    // Every rank's streams. A state's length varies (the engine writes it as text), so the ranks
    // first agree on the longest and gather padded copies.
    for (auto& [name, gen] : generators_) {
      const std::vector<uint8_t> mine = gen->get_state();
      std::vector<double> lengths(static_cast<size_t>(dist_.size()), 0.0);
      lengths[static_cast<size_t>(dist_.rank())] = static_cast<double>(mine.size());
      lengths = dist_.sum(std::move(lengths));
      const int64_t S = static_cast<int64_t>(*std::max_element(lengths.begin(), lengths.end()));
      Tensor local = zeros({S}, kInt32);  // (S,) one byte per element
      std::copy(mine.begin(), mine.end(), local.data_ptr<int32_t>());
      Tensor all = dist_.size() > 1 ? dist_.group().allgather(local) : local;  // (size, S)
      const int32_t* a = all.data_ptr<int32_t>();
      for (int k = 0; k < dist_.size(); ++k)
        meta[state_key(name, k)] =
            to_hex(std::vector<uint8_t>(a + k * S, a + k * S + static_cast<int64_t>(lengths[static_cast<size_t>(k)])));
    }
    if (dist_.size() > 1) meta["world_size"] = std::to_string(dist_.size());
    meta["precision"] = opt_.precision;  // for readers; the weights are float32 either way
    if (cb.save_metadata) cb.save_metadata(meta);
    // Every rank takes part (ZeRO gathers its shards); rank 0 writes, atomically.
    save_checkpoint(dist_, (fs::path(opt_.checkpoint_dir) / "last.safetensors").string(), *model_, &optim_, meta);
  }
  if (opt_.early_stopping_patience > 0 &&
      rows_without_improvement(r.history, opt_.early_stopping_min_delta) >= opt_.early_stopping_patience) {
    const bool val = !std::isnan(row.get("val_loss"));
    log << "Early stopping after " << x_name_ << " " << row.epoch << ": no improvement of the "
        << (val ? "validation" : "test") << " loss for " << opt_.early_stopping_patience << " evaluation(s)\n";
    r.stopped_early = true;
  }
  return r.stopped_early;
}

FitResult Trainer::fit(data::DataLoader& loader, const StepFn& step_fn, const Callbacks& cb, std::ostream* logp) {
  EMBER_CHECK(opt_.epochs > 0, "--epochs", "must be positive, got ", opt_.epochs);
  detail::check_epoch_loader(loader, opt_.epochs, opt_.max_steps_per_epoch > 0
                                                     ? std::min(loader.size(), opt_.max_steps_per_epoch)
                                                     : loader.size());
  std::ostream& log = out(logp);
  x_name_ = "epoch";
  FitResult r;
  const int64_t start = resume(cb, r, log);
  loader.set_epoch(start);
  int64_t steps = loader.size();
  if (opt_.max_steps_per_epoch > 0) steps = std::min(steps, opt_.max_steps_per_epoch);
  detail::check_ranks_agree(dist_, opt_, {{"train examples", std::to_string(loader.dataset()->size())},
                                          {"steps per epoch", std::to_string(steps)},
                                          {"first epoch", std::to_string(start + 1)}});
  before_training(log, start * steps + 1);
  const bool tty = opt_.progress && stdout_is_tty() && dist_.is_main();
  int64_t total_samples = 0, total_tokens = 0;
  double total_seconds = 0;
  int64_t global_step = start * steps;  // lr_at's step counts the epochs before a resume too
  for (int64_t epoch = start; epoch < opt_.epochs; ++epoch) {
    ProgressBar bar("epoch " + std::to_string(epoch + 1), steps, tty);
    double running = 0;
    int64_t step = 0, samples = 0, correct = 0, tokens = 0;
    bool counts_correct = false;
    int64_t skipped = 0;  // steps dropped for a non-finite loss (the same on every rank)
    std::vector<double> losses;  // per step: the loss (and, for a summed loss, the batch size)
    // Under mpirun each step's loss reaches TensorBoard averaged over ranks, at the epoch's end.
    std::vector<std::pair<int64_t, double>> tb_steps;  // (step, lr) of the steps taken
    for (const data::Batch& b : loader) {
      if (step >= steps) break;
      StepOutput o;
      if (!run_step(step_fn, b, global_step++, o)) {
        on_nonfinite(o, "epoch " + std::to_string(epoch + 1) + ", step " + std::to_string(step + 1));
        ++step, ++skipped, ++r.steps_done;
        continue;
      }
      const double l = o.loss.item();
      if (tb_ && dist_.size() == 1) {
        const double per = opt_.loss_is_sum ? l / static_cast<double>(std::max<int64_t>(o.samples, 1)) : l;
        detail::log_step(*tb_, global_step, per, step_lr(optim_));
      } else if (tb_) {
        tb_steps.emplace_back(global_step, step_lr(optim_));
      }
      running += l;
      losses.push_back(l);
      if (opt_.loss_is_sum) losses.push_back(static_cast<double>(o.samples));
      samples += o.samples;
      tokens += o.tokens;
      if (o.correct >= 0) correct += o.correct, counts_correct = true;
      ++step, ++r.steps_done;
      bar.update(step, opt_.loss_is_sum ? running / static_cast<double>(std::max<int64_t>(samples, 1)) : running / step,
                 samples);
    }
    const double secs = bar.elapsed_seconds();
    bar.finish();
    // Per epoch (one allgather of a hash): the per-step losses below are summed element-wise.
    dist_.check_agree({{"epoch", std::to_string(epoch + 1)}, {"steps done", std::to_string(step)}}, "train");
    report_skipped(skipped, step, "epoch " + std::to_string(epoch + 1), log);
    // Over every rank: the summed loss, steps, samples, hits and tokens; each step's loss.
    auto g = dist_.sum({running, static_cast<double>(step - skipped), static_cast<double>(samples),
                        static_cast<double>(correct), static_cast<double>(tokens)});
    const size_t first_loss = r.step_losses.size();
    if (opt_.loss_is_sum) {
      losses = dist_.sum(std::move(losses));
      for (size_t i = 0; i < losses.size(); i += 2) r.step_losses.push_back(losses[i] / losses[i + 1]);
    } else {
      for (double l : dist_.mean(losses)) r.step_losses.push_back(l);
    }
    for (size_t i = 0; i < tb_steps.size() && first_loss + i < r.step_losses.size(); ++i)
      detail::log_step(*tb_, tb_steps[i].first, r.step_losses[first_loss + i], tb_steps[i].second);
    samples = static_cast<int64_t>(g[2]), correct = static_cast<int64_t>(g[3]), tokens = static_cast<int64_t>(g[4]);
    total_samples += samples, total_tokens += tokens, total_seconds += secs;
    const double train_loss = opt_.loss_is_sum ? (samples ? g[0] / static_cast<double>(samples) : 0.0)
                                               : g[0] / std::max(g[1], 1.0);
    EpochRecord rec;
    rec.epoch = epoch + 1;
    rec.values = {{"train_loss", train_loss}};
    if (counts_correct) rec.values.emplace_back("train_accuracy", samples ? static_cast<double>(correct) / samples : 0.0);
    log << "Epoch " << epoch + 1 << ", Loss: " << std::setprecision(6) << train_loss << "\n  ";
    if (cb.evaluate) {
      AutocastGuard autocast(opt_.precision == "bf16");
      r.last_eval = cb.evaluate();
      rec.values.insert(rec.values.end(), r.last_eval.begin(), r.last_eval.end());
      log << describe(cb, r.last_eval) << ", ";
    }
    const double sps = secs > 0 ? static_cast<double>(samples) / secs : 0.0;
    rec.values.emplace_back(opt_.sample_unit + "_per_second", sps);
    log << std::fixed << std::setprecision(0) << sps << " " << opt_.sample_unit << "/s";
    if (tokens > 0) {
      rec.values.emplace_back("tokens_per_second", secs > 0 ? static_cast<double>(tokens) / secs : 0.0);
      log << ", " << rec.values.back().second << " tokens/s";
    }
    log << ", " << std::setprecision(1) << secs << " s\n" << std::defaultfloat;
    log.flush();
    if (record(std::move(rec), cb, r, log)) break;
  }
  r.samples_per_second = total_seconds > 0 ? static_cast<double>(total_samples) / total_seconds : 0.0;
  r.tokens_per_second = total_seconds > 0 ? static_cast<double>(total_tokens) / total_seconds : 0.0;
  finish_tensorboard(r);
  return r;
}

FitResult Trainer::fit(const std::function<data::Batch()>& next_batch, const StepFn& step_fn, const Callbacks& cb,
                       std::ostream* logp) {
  EMBER_CHECK(opt_.steps > 0, "--steps", "must be positive, got ", opt_.steps);
  EMBER_CHECK(opt_.eval_every > 0, "--eval-interval", "must be positive, got ", opt_.eval_every);
  EMBER_CHECK(opt_.log_every >= 0, "--log-interval", "must be non-negative, got ", opt_.log_every);
  EMBER_CHECK(opt_.stop_after >= 0 && opt_.stop_after <= opt_.steps, "--stop-after", "must be in [0, --steps = ",
              opt_.steps, "], got ", opt_.stop_after);
  std::ostream& log = out(logp);
  x_name_ = "step";
  FitResult r;
  int64_t step = resume(cb, r, log);
  detail::check_ranks_agree(dist_, opt_, {{"steps", std::to_string(opt_.steps)},
                                          {"stop after", std::to_string(opt_.stop_after)},
                                          {"first step", std::to_string(step + 1)}});
  before_training(log, step + 1);
  const int64_t last = opt_.stop_after > 0 ? opt_.stop_after : opt_.steps;
  double train_seconds = 0, interval_seconds = 0, samples = 0, interval_samples = 0;
  int64_t interval_steps = 0, interval_skipped = 0;  // for --nonfinite skip
  bool skip_eval = r.resumed;  // the checkpoint was written right after evaluating this step
  using clock = std::chrono::steady_clock;
  while (true) {
    if ((step % opt_.eval_every == 0 || step == last) && !skip_eval) {
      report_skipped(interval_skipped, interval_steps, "the interval ending at step " + std::to_string(step), log);
      interval_skipped = 0, interval_steps = 0;
      AutocastGuard autocast(opt_.precision == "bf16");
      r.last_eval = cb.evaluate ? cb.evaluate() : Metrics{};
      interval_samples = dist_.sum(interval_samples);  // over every rank
      const double sps = interval_seconds > 0 ? interval_samples / interval_seconds : 0;
      log << "step " << step << ": " << describe(cb, r.last_eval) << (r.last_eval.empty() ? "" : ", ") << std::fixed
          << std::setprecision(0) << sps << " " << opt_.sample_unit << "/s\n" << std::defaultfloat;
      log.flush();
      EpochRecord rec;
      rec.epoch = step;
      rec.values = r.last_eval;
      if (opt_.lr_at) rec.values.emplace_back("lr", opt_.lr_at(step));
      rec.values.emplace_back(opt_.sample_unit + "_per_second", sps);
      interval_seconds = 0, interval_samples = 0;
      if (record(std::move(rec), cb, r, log)) break;
    }
    skip_eval = false;
    if (step >= last) break;

    const auto t0 = clock::now();
    StepOutput o;
    ++interval_steps;
    if (!run_step(step_fn, next_batch(), step, o)) {
      on_nonfinite(o, "step " + std::to_string(step + 1));
      ++step, ++r.steps_done, ++interval_skipped;
      continue;
    }
    // The step's loss over every rank's batch.
    double l = o.loss.item();
    if (opt_.loss_is_sum) {
      auto s = dist_.sum({l, static_cast<double>(o.samples)});
      l = s[0] / s[1];
    } else {
      l = dist_.mean({l})[0];
    }
    const double secs = std::chrono::duration<double>(clock::now() - t0).count();
    train_seconds += secs, interval_seconds += secs;
    samples += static_cast<double>(o.samples), interval_samples += static_cast<double>(o.samples);
    ++step, ++r.steps_done;
    r.step_losses.push_back(l);
    if (tb_) detail::log_step(*tb_, step, l, step_lr(optim_));
    if (opt_.log_every > 0 && step % opt_.log_every == 0) {
      log << "  step " << step << "/" << opt_.steps << " loss " << std::fixed << std::setprecision(4) << l;
      if (opt_.lr_at) log << ", lr " << std::scientific << std::setprecision(2) << opt_.lr_at(step - 1);
      log << std::defaultfloat << "\n";
      log.flush();
    }
  }
  r.samples_per_second = train_seconds > 0 ? dist_.sum(samples) / train_seconds : 0;
  finish_tensorboard(r);
  return r;
}

void Trainer::finish_tensorboard(const FitResult& r) {
  if (!tb_) return;
  detail::log_hparams(*tb_, opt_.recipe, opt_.config, r.history);
  tb_->flush();
}

ClassifierEvaluation evaluate_classifier(nn::Module& model, data::DataLoader& loader, int64_t classes,
                                         const std::function<ClassifierBatch(const data::Batch&)>& forward,
                                         const distributed::Context* dist) {
  NoGradGuard ng;
  const bool was_training = model.is_training();
  model.eval();
  ClassificationMetrics m(classes);
  double loss_sum = 0;
  for (const data::Batch& b : loader) {
    ClassifierBatch c = forward(b);
    loss_sum += c.loss_sum.item();
    m.update(c.scores, c.targets);
  }
  if (was_training) model.train();
  if (dist && dist->size() > 1) {  // the loss sum and the confusion matrix over every rank
    std::vector<double> v = {loss_sum};
    for (int64_t n : m.confusion()) v.push_back(static_cast<double>(n));
    v = dist->sum(std::move(v));
    loss_sum = v[0];
    std::vector<int64_t> confusion;
    for (size_t i = 1; i < v.size(); ++i) confusion.push_back(static_cast<int64_t>(std::llround(v[i])));
    m = ClassificationMetrics::from_confusion(classes, confusion);
  }
  EMBER_CHECK(m.count() > 0, "evaluate", "the evaluation set is empty: there is nothing to evaluate on");
  return {m.count() ? loss_sum / static_cast<double>(m.count()) : 0.0, m};
}

}  // namespace ember::train
