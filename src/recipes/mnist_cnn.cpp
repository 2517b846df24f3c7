#include "ember/recipes/mnist_cnn.h"

#include <cmath>
#include <filesystem>
#include <iomanip>
#include <ostream>
#include <sstream>

#include "ember/autograd.h"
#include "ember/data/data_root.h"
#include "ember/data/dataloader.h"
#include "ember/data/mnist.h"
#include "ember/data/transforms.h"
#include "ember/distributed/context.h"
#include "ember/models/mnist_cnn.h"
#include "ember/ops.h"
#include "ember/optim/adagrad.h"
#include "ember/optim/adam.h"
#include "ember/optim/regularization.h"
#include "ember/optim/rmsprop.h"
#include "ember/optim/sgd.h"
#include "ember/parallel.h"
#include "ember/train/checkpoint.h"
#include "recipes/output_files.h"
#include "ember/train/metrics.h"

namespace ember::recipes {

namespace fs = std::filesystem;

namespace {

constexpr const char* kRecipe = "mnist-cnn";

std::unique_ptr<optim::Optimizer> make_optimizer(const MnistCnnConfig& c, const std::vector<Tensor>& params) {
  const std::string& o = c.optimizer;
  if (o == "sgd" || o == "nesterov")
    return std::make_unique<optim::SGD>(
        params, optim::SGDOptions(c.lr).momentum(c.momentum).weight_decay(c.weight_decay).nesterov(o == "nesterov"));
  if (o == "gd") return std::make_unique<optim::GD>(params, optim::GDOptions(c.lr));
  if (o == "adam") return std::make_unique<optim::Adam>(params, optim::AdamOptions(c.lr).weight_decay(c.weight_decay));
  if (o == "adamw") return std::make_unique<optim::AdamW>(params, optim::AdamWOptions(c.lr).weight_decay(c.weight_decay));
  if (o == "rmsprop")
    return std::make_unique<optim::RMSprop>(
        params, optim::RMSpropOptions(c.lr).momentum(c.momentum).weight_decay(c.weight_decay));
  if (o == "adagrad")
    return std::make_unique<optim::Adagrad>(params, optim::AdagradOptions(c.lr).weight_decay(c.weight_decay));
  throw Error("--optimizer: unknown optimizer '" + o + "' (expected sgd, nesterov, gd, adam, adamw, rmsprop or adagrad)");
}

void validate(const MnistCnnConfig& c) {
  EMBER_CHECK(c.epochs > 0, "--epochs", "must be positive, got ", c.epochs);
  EMBER_CHECK(c.batch_size > 0, "--batch-size", "must be positive, got ", c.batch_size);
  EMBER_CHECK(c.lr > 0 && std::isfinite(c.lr), "--lr", "must be a positive number, got ", c.lr);
  EMBER_CHECK(c.momentum >= 0 && c.momentum < 1, "--momentum", "must be in [0, 1), got ", c.momentum);
  EMBER_CHECK(c.weight_decay >= 0, "--weight-decay", "must be non-negative, got ", c.weight_decay);
  EMBER_CHECK(c.l1 >= 0, "--l1", "must be non-negative, got ", c.l1);
  EMBER_CHECK(c.dropout >= 0 && c.dropout < 1, "--dropout", "must be in [0, 1), got ", c.dropout);
  EMBER_CHECK(c.threads >= 0, "--threads", "must be positive, got ", c.threads);
  EMBER_CHECK(c.num_workers >= 0, "--workers", "must be non-negative, got ", c.num_workers);
  EMBER_CHECK(c.early_stopping_patience >= 0, "--early-stopping", "must be non-negative, got ", c.early_stopping_patience);
  EMBER_CHECK(c.early_stopping_patience == 0 || c.evaluate_test || c.validation_size > 0, "--early-stopping",
              "needs an evaluation set (test or validation) to watch");
  EMBER_CHECK(c.resume.empty() || c.resume != "auto" || !c.checkpoint_dir.empty(), "--resume",
              "'auto' needs --checkpoint-dir to look in");
  EMBER_CHECK(c.bucket_cap_mb > 0, "--bucket-mb", "must be positive, got ", c.bucket_cap_mb);
}

std::string config_string(const MnistCnnConfig& c) {
  std::ostringstream os;
  os << "epochs=" << c.epochs << " batch_size=" << c.batch_size << " lr=" << c.lr << " momentum=" << c.momentum
     << " optimizer=" << c.optimizer << " weight_decay=" << c.weight_decay << " l1=" << c.l1 << " dropout=" << c.dropout
     << " augment=" << c.augment << " seed=" << c.seed;
  return os.str();
}

// Test (or validation) loss and accuracy, no gradients. The loader's batches of 100 keep
// evaluation's activations (and so peak memory) near training's. Each rank evaluates its share of
// the set (eval_sampler: every example once over all ranks); the sums are then combined.
std::pair<double, double> evaluate(models::MnistCNN& net, data::DataLoader& loader, const distributed::Context& dist) {
  NoGradGuard ng;
  net.eval();
  train::ClassificationMetrics m(10);
  double loss_sum = 0;
  for (const data::Batch& b : loader) {
    Tensor out = net.forward(b.data);  // (B, 10) log-probabilities
    loss_sum += nll_loss(out, b.target, Tensor(), -100, "sum").item();
    m.update(out, b.target);
  }
  net.train();
  // loss sum, correct predictions, examples, over every rank
  auto g = dist.sum({loss_sum, m.accuracy() * static_cast<double>(m.count()), static_cast<double>(m.count())});
  return {g[2] > 0 ? g[0] / g[2] : 0.0, g[2] > 0 ? std::round(g[1]) / g[2] : 0.0};
}

data::Transform mnist_normalize() { return data::Normalize({0.1307}, {0.3081}); }

// Epochs since the best evaluation loss in `history` (0 when the last epoch is the best).
int64_t epochs_without_improvement(const std::vector<train::EpochRecord>& history, double min_delta) {
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

std::string latest_checkpoint(const std::string& dir) {
  fs::path p = fs::path(dir) / "last.safetensors";
  return fs::exists(p) ? p.string() : std::string();
}

}  // namespace

MnistCnnResult train_mnist_cnn(const MnistCnnConfig& cfg, std::ostream& out_all) {
  validate(cfg);
  // A world of one without mpirun; under mpirun rank 0 prints and writes files.
  distributed::Context dist = distributed::Context::from_env();
  std::ostream& out = dist.out(out_all);
  if (cfg.threads > 0) set_num_threads(cfg.threads);
  manual_seed(cfg.seed);
  std::string root = data::resolve_data_root(cfg.data_root);

  // Inputs are standardized with MNIST's mean and std, as PyTorch's MNIST example does.
  data::Transform norm = mnist_normalize();
  data::Transform train_tf = norm;
  if (cfg.augment) train_tf = data::Compose({data::RandomAffine({-10.0, 10.0}, {0.1, 0.1}), norm});
  auto full_train = std::make_shared<data::MNIST>(root, true, train_tf);
  std::shared_ptr<const data::Dataset> train_set = full_train;
  std::shared_ptr<const data::Dataset> eval_set;
  if (cfg.validation_size > 0) {
    EMBER_CHECK(cfg.validation_size < full_train->size(), "--validation-size", "must be below the ",
                full_train->size(), " training images, got ", cfg.validation_size);
    // A fixed split: the last validation_size images validate (no augmentation there).
    auto plain = std::make_shared<data::MNIST>(root, true, norm);
    std::vector<int64_t> tr, va;
    for (int64_t i = 0; i < full_train->size(); ++i) (i < full_train->size() - cfg.validation_size ? tr : va).push_back(i);
    train_set = std::make_shared<data::Subset>(full_train, tr);
    eval_set = std::make_shared<data::Subset>(plain, va);
  } else if (cfg.evaluate_test) {
    eval_set = std::make_shared<data::MNIST>(root, false, norm);
  }
  if (cfg.train_limit > 0 && cfg.train_limit < train_set->size()) {
    std::vector<int64_t> idx(static_cast<size_t>(cfg.train_limit));
    for (int64_t i = 0; i < cfg.train_limit; ++i) idx[i] = i;
    train_set = std::make_shared<data::Subset>(train_set, idx);
  }
  // Each rank's strided share of the shuffled epoch; with one process exactly shuffle = true's order.
  data::DataLoader train_loader(train_set, {.batch_size = cfg.batch_size, .seed = cfg.seed,
                                            .num_workers = cfg.num_workers,
                                            .sampler = dist.train_sampler(train_set->size(), cfg.seed)});
  std::unique_ptr<data::DataLoader> eval_loader;
  if (eval_set)
    eval_loader = std::make_unique<data::DataLoader>(
        eval_set, data::DataLoaderOptions{.batch_size = 100, .sampler = dist.eval_sampler(eval_set->size())});

  auto net = std::make_shared<models::MnistCNN>(64 * 12 * 12, cfg.dropout);
  auto params = net->parameters();
  auto opt = dist.make_optimizer(
      params, [&cfg](std::vector<Tensor> p) { return make_optimizer(cfg, p); }, cfg.zero);

  MnistCnnResult result;
  int64_t start_epoch = 0;
  std::string resume = cfg.resume == "auto" ? latest_checkpoint(cfg.checkpoint_dir) : cfg.resume;
  if (!resume.empty()) {
    train::Checkpoint ck = train::load_checkpoint(resume, *net, opt.get(), kRecipe);
    start_epoch = ck.epoch();
    auto rng = ck.metadata.find("rng");
    if (rng != ck.metadata.end()) default_generator().set_state(train::from_hex(rng->second, "rng"));
    auto hist = ck.metadata.find("history");
    if (hist != ck.metadata.end()) {
      std::istringstream is(hist->second);
      std::string line;
      while (std::getline(is, line)) {
        train::EpochRecord r;
        std::istringstream ls(line);
        std::string tok;
        ls >> r.epoch;
        while (ls >> tok) {
          auto eq = tok.find('=');
          if (eq == std::string::npos) continue;
          try {
            r.values.emplace_back(tok.substr(0, eq), std::stod(tok.substr(eq + 1)));
          } catch (const std::exception&) {
            EMBER_FAIL("--resume", "checkpoint '", resume, "' has a malformed history entry '", tok, "'");
          }
        }
        result.history.push_back(r);
      }
    }
    out << "Resumed from " << resume << " after epoch " << start_epoch << "\n";
    EMBER_CHECK(start_epoch <= cfg.epochs, "--resume", "checkpoint '", resume, "' has already trained ", start_epoch,
                " epochs, more than --epochs ", cfg.epochs);
  }
  train_loader.set_epoch(start_epoch);
  // After loading (every rank reads the checkpoint, so optimizer state agrees too): DDP checks
  // that the ranks built the same model and broadcasts rank 0's weights.
  // Gradients as views into DDP's buckets saves a copy per step; nothing here keeps a .grad
  // across steps, which is what that option asks.
  auto ddp = dist.wrap(net, {.bucket_cap_mb = cfg.bucket_cap_mb, .gradient_as_bucket_view = true});

  detail::make_checkpoint_dir(cfg.checkpoint_dir);
  const std::string metrics_path = detail::output_path(cfg.metrics_path, cfg.checkpoint_dir, "metrics.csv");
  const std::string plot_path = detail::output_path(cfg.plot_path, cfg.checkpoint_dir, "curves.png");

  bool tty = cfg.progress && train::stdout_is_tty() && dist.is_main();
  int64_t total_images = 0;
  double total_seconds = 0;
  for (int64_t epoch = start_epoch; epoch < cfg.epochs; ++epoch) {
    int64_t steps = train_loader.size();
    if (cfg.max_steps_per_epoch > 0) steps = std::min(steps, cfg.max_steps_per_epoch);
    train::ProgressBar bar("epoch " + std::to_string(epoch + 1), steps, tty);
    double running_loss = 0;
    int64_t step = 0, images = 0, correct = 0;
    std::vector<double> losses;
    for (const data::Batch& b : train_loader) {
      if (step >= steps) break;
      opt->zero_grad();
      Tensor output = ddp->forward(b.data);                    // (B, 10) log-probabilities
      Tensor loss = cross_entropy(output, b.target);           // the seed's criterion
      if (cfg.l1 > 0) loss = loss + optim::l1_penalty(params, cfg.l1);
      loss.backward();                                         // gradients averaged over ranks
      opt->step();
      double l = loss.item();
      running_loss += l;
      losses.push_back(l);
      {
        NoGradGuard ng;
        correct += sum(eq(argmax(output, 1), b.target)).item<int64_t>();
      }
      images += b.data.size(0);
      ++step;
      bar.update(step, running_loss / step, images);
    }
    double secs = bar.elapsed_seconds();
    bar.finish();
    // Over every rank: the mean step loss, the images seen and the hits.
    auto totals = dist.sum({running_loss, static_cast<double>(step), static_cast<double>(images), static_cast<double>(correct)});
    images = static_cast<int64_t>(totals[2]);
    correct = static_cast<int64_t>(totals[3]);
    for (double l : dist.mean(losses)) result.step_losses.push_back(l);
    total_images += images;
    total_seconds += secs;
    double train_loss = totals[0] / std::max(totals[1], 1.0);
    out << "Epoch " << epoch + 1 << ", Loss: " << std::setprecision(6) << train_loss << "\n";
    train::EpochRecord rec;
    rec.epoch = epoch + 1;
    rec.values = {{"train_loss", train_loss}, {"train_accuracy", images ? static_cast<double>(correct) / images : 0.0}};
    if (eval_loader) {
      auto [eloss, eacc] = evaluate(*net, *eval_loader, dist);
      rec.values.emplace_back(cfg.validation_size > 0 ? "val_loss" : "test_loss", eloss);
      rec.values.emplace_back(cfg.validation_size > 0 ? "val_accuracy" : "test_accuracy", eacc);
      result.test_loss = eloss;
      result.test_accuracy = eacc;
      out << "  " << (cfg.validation_size > 0 ? "validation" : "test") << " accuracy " << std::fixed
          << std::setprecision(2) << 100 * eacc << "%, loss " << std::setprecision(4) << eloss;
    } else {
      out << " ";
    }
    out << std::fixed << std::setprecision(0) << ", " << (secs > 0 ? images / secs : 0.0) << " images/s, "
        << std::setprecision(1) << secs << " s\n" << std::defaultfloat;
    out.flush();
    rec.values.emplace_back("images_per_second", secs > 0 ? images / secs : 0.0);
    result.history.push_back(rec);
    if (!metrics_path.empty() && dist.is_main()) train::write_metrics(metrics_path, result.history);
    if (!plot_path.empty() && dist.is_main()) train::write_curves_png(plot_path, result.history);
    if (!cfg.checkpoint_dir.empty()) {
      std::ostringstream hist;
      hist.precision(17);
      for (auto& r : result.history) {
        hist << r.epoch;
        for (auto& [k, v] : r.values) hist << " " << k << "=" << v;
        hist << "\n";
      }
      std::map<std::string, std::string> meta = {{"recipe", kRecipe},
                                                 {"epoch", std::to_string(epoch + 1)},
                                                 {"rng", train::to_hex(default_generator().get_state())},
                                                 {"config", config_string(cfg)},
                                                 {"history", hist.str()}};
      // Every rank takes part (ZeRO gathers its shards); rank 0 writes, atomically.
      train::save_checkpoint(dist, (fs::path(cfg.checkpoint_dir) / "last.safetensors").string(), *net, opt.get(), meta);
    }
    if (cfg.early_stopping_patience > 0 &&
        epochs_without_improvement(result.history, cfg.early_stopping_min_delta) >= cfg.early_stopping_patience) {
      out << "Early stopping after epoch " << epoch + 1 << ": no improvement of the "
          << (cfg.validation_size > 0 ? "validation" : "test") << " loss for " << cfg.early_stopping_patience
          << " epoch(s)\n";
      result.stopped_early = true;
      break;
    }
  }
  result.images_per_second = total_seconds > 0 ? total_images / total_seconds : 0.0;
  return result;
}

MnistEvalResult evaluate_mnist_cnn_checkpoint(const std::string& checkpoint, const std::string& data_root,
                                              int64_t batch_size) {
  EMBER_CHECK(batch_size > 0, "--batch-size", "must be positive, got ", batch_size);
  models::MnistCNN net;
  train::load_checkpoint(checkpoint, net, nullptr, kRecipe);
  data::MNIST test(data::resolve_data_root(data_root), false, mnist_normalize());
  data::DataLoader loader(test, {.batch_size = batch_size});
  NoGradGuard ng;
  net.eval();
  train::ClassificationMetrics m(10);
  double loss_sum = 0;
  for (const data::Batch& b : loader) {
    Tensor out = net.forward(b.data);
    loss_sum += nll_loss(out, b.target, Tensor(), -100, "sum").item();
    m.update(out, b.target);
  }
  return {m.accuracy(), m.count() ? loss_sum / m.count() : 0.0, m.report()};
}

}  // namespace ember::recipes
