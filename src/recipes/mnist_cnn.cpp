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
#include "ember/train/checkpoint.h"
#include "ember/train/trainer.h"
#include "recipes/image_data.h"
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
  EMBER_CHECK(std::isnan(c.std) || (c.std > 0 && std::isfinite(c.std)), "--std", "must be positive, got ", c.std);
  EMBER_CHECK(std::isnan(c.mean) || std::isfinite(c.mean), "--mean", "must be a finite number, got ", c.mean);
}

std::string config_string(const MnistCnnConfig& c) {
  std::ostringstream os;
  os << "epochs=" << c.epochs << " batch_size=" << c.batch_size << " lr=" << c.lr << " momentum=" << c.momentum
     << " optimizer=" << c.optimizer << " weight_decay=" << c.weight_decay << " l1=" << c.l1 << " dropout=" << c.dropout
     << " augment=" << c.augment << " seed=" << c.seed;
  return os.str();
}

// Loss and accuracy over a loader of normalized images, without gradients. Each rank evaluates
// its share (the loader's sampler) when dist is given.
train::ClassifierEvaluation evaluate(models::MnistCNN& net, data::DataLoader& loader, const distributed::Context* dist) {
  return train::evaluate_classifier(net, loader, 10, [&](const data::Batch& b) {
    Tensor out = net.forward(b.data);  // (B, 10) log-probabilities
    return train::ClassifierBatch{out, b.target, nll_loss(out, b.target, Tensor(), -100, "sum")};
  }, dist);
}

// --mean/--std, else the training images' own statistics (0.1307, 0.3081 for MNIST).
std::pair<double, double> normalization(const MnistCnnConfig& c, const Tensor& train_images) {
  if (!std::isnan(c.mean) && !std::isnan(c.std)) return {c.mean, c.std};
  auto [mean, sd] = detail::pixel_mean_std(train_images);
  return {std::isnan(c.mean) ? mean : c.mean, std::isnan(c.std) ? sd : c.std};
}

std::string normalization_string(double mean, double sd) {
  std::ostringstream os;
  os.precision(17);
  os << mean << " " << sd;
  return os.str();
}

}  // namespace

MnistCnnResult train_mnist_cnn(const MnistCnnConfig& cfg, std::ostream& out) {
  validate(cfg);
  // A world of one without mpirun; under mpirun rank 0 prints and writes files.
  distributed::Context dist = train::start_run(cfg.threads, cfg.seed);
  std::string root = data::resolve_data_root(cfg.data_root);

  // Inputs are standardized with the training set's mean and std, as PyTorch's MNIST example does.
  // Those are known once the images are loaded (once), so the transforms read them from here.
  auto standardize = std::make_shared<data::Transform>();
  data::Transform norm = [standardize](const Tensor& x, Generator& g) { return (*standardize)(x, g); };
  data::Transform train_tf = norm;
  if (cfg.augment) train_tf = data::Compose({data::RandomAffine({-10.0, 10.0}, {0.1, 0.1}), norm});
  auto full_train = std::make_shared<data::MNIST>(root, true, train_tf);
  // Not a structured binding: clang 14 (the fuzz build) cannot capture one in the lambdas below.
  const auto stats = normalization(cfg, full_train->images());
  const double mean = stats.first, sd = stats.second;
  *standardize = data::Normalize({mean}, {sd});
  dist.out(out) << "Normalization: mean " << mean << ", std " << sd
                << (std::isnan(cfg.mean) || std::isnan(cfg.std) ? " (from the training images)" : "") << "\n";
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
  // Batches of 100 keep evaluation's activations (and so peak memory) near training's.
  std::unique_ptr<data::DataLoader> eval_loader;
  if (eval_set)
    eval_loader = std::make_unique<data::DataLoader>(
        eval_set, data::DataLoaderOptions{.batch_size = 100, .sampler = dist.eval_sampler(eval_set->size())});

  auto net = std::make_shared<models::MnistCNN>(64 * 12 * 12, cfg.dropout);
  auto params = net->parameters();
  auto opt = dist.make_optimizer(params, [&cfg](std::vector<Tensor> p) { return make_optimizer(cfg, p); }, cfg.zero);
  // Gradients as views into DDP's buckets save a copy per step: nothing keeps a .grad across steps.
  train::Trainer trainer(net, *opt,
                         {.epochs = cfg.epochs, .max_steps_per_epoch = cfg.max_steps_per_epoch, .precision = cfg.precision,
                          .nonfinite = cfg.nonfinite,
                          .checkpoint_dir = cfg.checkpoint_dir, .resume = cfg.resume, .metrics_path = cfg.metrics_path,
                          .plot_path = cfg.plot_path,
                          .tensorboard_dir = cfg.tensorboard_dir, .recipe = kRecipe, .config = config_string(cfg),
                          .early_stopping_patience = cfg.early_stopping_patience,
                          .early_stopping_min_delta = cfg.early_stopping_min_delta, .progress = cfg.progress,
                          .ddp = {.bucket_cap_mb = cfg.bucket_cap_mb, .gradient_as_bucket_view = true}},
                         dist);
  const std::string split = cfg.validation_size > 0 ? "val" : "test";
  train::Callbacks cb;
  // The normalization travels with the weights: evaluation must standardize the same way.
  cb.save_metadata = [&](std::map<std::string, std::string>& m) { m["normalize"] = normalization_string(mean, sd); };
  if (eval_loader)
    cb.evaluate = [&] {
      auto e = evaluate(*net, *eval_loader, &dist);
      return train::Metrics{{split + "_loss", e.loss}, {split + "_accuracy", e.metrics.accuracy()}};
    };
  train::FitResult fit = trainer.fit(
      train_loader,
      [&](const data::Batch& b) {
        Tensor output = net->forward(b.data);           // (B, 10) log-probabilities
        Tensor loss = cross_entropy(output, b.target);  // the seed's criterion
        if (cfg.l1 > 0) loss = loss + optim::l1_penalty(params, cfg.l1);
        NoGradGuard ng;
        return train::StepOutput{loss, b.data.size(0), sum(eq(argmax(output, 1), b.target)).item<int64_t>()};
      },
      cb, &out);

  MnistCnnResult r;
  r.history = fit.history, r.step_losses = fit.step_losses;
  r.images_per_second = fit.samples_per_second, r.stopped_early = fit.stopped_early;
  if (!r.history.empty() && eval_loader)
    r.test_loss = r.history.back().get(split + "_loss"), r.test_accuracy = r.history.back().get(split + "_accuracy");
  return r;
}

MnistEvalResult evaluate_mnist_cnn_checkpoint(const std::string& checkpoint, const std::string& data_root,
                                              int64_t batch_size) {
  EMBER_CHECK(batch_size > 0, "--batch-size", "must be positive, got ", batch_size);
  models::MnistCNN net;
  train::Checkpoint ck = train::load_checkpoint(checkpoint, net, nullptr, kRecipe);
  double mean = 0.1307, sd = 0.3081;  // checkpoints from before --mean/--std standardized with MNIST's
  auto it = ck.metadata.find("normalize");
  if (it != ck.metadata.end()) {
    std::istringstream is(it->second);
    EMBER_CHECK(static_cast<bool>(is >> mean >> sd) && sd > 0, "eval", "'", checkpoint,
                "' has a malformed normalize entry '", it->second, "'");
  }
  data::MNIST test(data::resolve_data_root(data_root), false, data::Normalize({mean}, {sd}));
  data::DataLoader loader(test, {.batch_size = batch_size});
  auto e = evaluate(net, loader, nullptr);
  return {e.metrics.accuracy(), e.loss, e.metrics.report()};
}

}  // namespace ember::recipes
