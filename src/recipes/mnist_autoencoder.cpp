#include "ember/recipes/mnist_autoencoder.h"

#include <cmath>
#include <iomanip>
#include <ostream>
#include <sstream>

#include "ember/autograd.h"
#include "ember/data/dataloader.h"
#include "ember/distributed/context.h"
#include "ember/models/autoencoder.h"
#include "ember/ops.h"
#include "ember/optim/adam.h"
#include "ember/parallel.h"
#include "recipes/mnist_images.h"

namespace ember::recipes {

namespace {

constexpr const char* kRecipe = "mnist-autoencoder";
constexpr int64_t kGridImages = 16;   // test digits drawn with their reconstructions
constexpr int64_t kEvalBatch = 500;

std::string config_string(const MnistAutoencoderConfig& c) {
  std::ostringstream os;
  os << "epochs=" << c.epochs << " batch_size=" << c.batch_size << " lr=" << c.lr << " latent_dim=" << c.latent_dim
     << " width=" << c.width << " loss=" << c.loss << " seed=" << c.seed;
  return os.str();
}

Tensor pixel_loss(const std::string& kind, const Tensor& recon, const Tensor& x, const std::string& reduction) {
  return kind == "bce" ? binary_cross_entropy(recon, x, Tensor(), reduction) : mse_loss(recon, x, reduction);
}

struct ReconstructionError {
  double mse = 0, bce = 0;  // per pixel
};

// Mean squared error and binary cross-entropy per pixel over all test images, without gradients.
// Rank r takes batches r, r + size, ... of the test set; the sums are combined over ranks.
ReconstructionError evaluate(models::ConvAutoencoder& net, const Tensor& test, const distributed::Context& dist) {
  NoGradGuard ng;
  net.eval();
  double se = 0, ce = 0;
  for (int64_t i = dist.rank() * kEvalBatch; i < test.size(0); i += dist.size() * kEvalBatch) {
    Tensor x = test.narrow(0, i, std::min(kEvalBatch, test.size(0) - i));  // (B, 1, 28, 28)
    Tensor r = net.forward(x);
    se += mse_loss(r, x, "sum").item();
    ce += binary_cross_entropy(r, x, Tensor(), "sum").item();
  }
  net.train();
  auto sums = dist.sum({se, ce});
  double pixels = static_cast<double>(test.numel());
  return {sums[0] / pixels, sums[1] / pixels};
}

}  // namespace

MnistAutoencoderResult train_mnist_autoencoder(const MnistAutoencoderConfig& cfg, std::ostream& out_all) {
  detail::validate_common(cfg.epochs, cfg.batch_size, cfg.lr, cfg.latent_dim, cfg.threads, cfg.num_workers,
                          cfg.max_steps_per_epoch, cfg.train_limit);
  EMBER_CHECK(cfg.loss == "bce" || cfg.loss == "mse", "--loss", "must be 'bce' or 'mse', got '", cfg.loss, "'");
  EMBER_CHECK(cfg.width > 0, "--width", "must be positive, got ", cfg.width);
  EMBER_CHECK(cfg.bucket_cap_mb > 0, "--bucket-mb", "must be positive, got ", cfg.bucket_cap_mb);
  // A world of one without mpirun; under mpirun rank 0 prints and writes files.
  distributed::Context dist = distributed::Context::from_env();
  std::ostream& out = dist.out(out_all);
  if (cfg.threads > 0) set_num_threads(cfg.threads);
  manual_seed(cfg.seed);  // initial weights
  detail::make_checkpoint_dir(cfg.checkpoint_dir);  // before the slow data loading: bad paths fail fast
  detail::MnistImages mnist = detail::load_mnist_images(cfg.data_root, cfg.train_limit);
  // Each rank's strided share of the shuffled epoch; with one process exactly shuffle = true's order.
  data::DataLoader loader(mnist.train, {.batch_size = cfg.batch_size, .seed = cfg.seed, .num_workers = cfg.num_workers,
                                        .sampler = dist.train_sampler(mnist.train->size(), cfg.seed)});
  auto net_ptr = std::make_shared<models::ConvAutoencoder>(cfg.latent_dim, cfg.width);
  models::ConvAutoencoder& net = *net_ptr;
  auto opt = dist.make_optimizer(
      net.parameters(),
      [&cfg](std::vector<Tensor> p) { return std::make_unique<optim::Adam>(std::move(p), optim::AdamOptions(cfg.lr)); },
      cfg.zero);
  // Rank 0's weights everywhere; gradients averaged over ranks in backward. Nothing keeps a .grad
  // across steps, so the gradients may be views into DDP's buckets (one copy less per step).
  auto ddp = dist.wrap(net_ptr, {.bucket_cap_mb = cfg.bucket_cap_mb, .gradient_as_bucket_view = true});

  const std::string metrics_path = detail::output_path(cfg.metrics_path, cfg.checkpoint_dir, "metrics.csv");
  const std::string image_path = detail::output_path(cfg.image_path, cfg.checkpoint_dir, "reconstructions.png");
  const Tensor grid_inputs = mnist.test.narrow(0, 0, kGridImages);  // (16, 1, 28, 28)
  out << "ConvAutoencoder: latent_dim " << cfg.latent_dim << ", " << net.num_parameters() << " parameters, "
      << mnist.train->size() << " training images\n";

  MnistAutoencoderResult result;
  bool tty = cfg.progress && train::stdout_is_tty() && dist.is_main();
  int64_t total_images = 0;
  double total_seconds = 0;
  for (int64_t epoch = 0; epoch < cfg.epochs; ++epoch) {
    int64_t steps = loader.size();
    if (cfg.max_steps_per_epoch > 0) steps = std::min(steps, cfg.max_steps_per_epoch);
    train::ProgressBar bar("epoch " + std::to_string(epoch + 1), steps, tty);
    double running = 0;
    int64_t step = 0, images = 0;
    std::vector<double> losses;
    for (const data::Batch& b : loader) {
      if (step >= steps) break;
      opt->zero_grad();
      Tensor recon = ddp->forward(b.data);                       // (B, 1, 28, 28) in (0, 1)
      Tensor loss = pixel_loss(cfg.loss, recon, b.data, "mean");
      loss.backward();                                           // gradients averaged over ranks
      opt->step();
      double l = loss.item();
      running += l;
      losses.push_back(l);
      images += b.data.size(0);
      ++step;
      bar.update(step, running / step, images);
    }
    double secs = bar.elapsed_seconds();
    bar.finish();
    // Over every rank: the mean step loss and the images seen.
    auto totals = dist.sum({running, static_cast<double>(step), static_cast<double>(images)});
    images = static_cast<int64_t>(totals[2]);
    for (double l : dist.mean(losses)) result.step_losses.push_back(l);
    total_images += images;
    total_seconds += secs;
    train::EpochRecord rec;
    rec.epoch = epoch + 1;
    rec.values = {{"train_loss", totals[0] / std::max(totals[1], 1.0)}};
    out << "Epoch " << epoch + 1 << ", " << cfg.loss << " loss: " << std::setprecision(6) << rec.values[0].second << "\n";
    if (cfg.evaluate_test) {
      ReconstructionError e = evaluate(net, mnist.test, dist);
      rec.values.emplace_back("test_mse", e.mse);
      rec.values.emplace_back("test_bce", e.bce);
      result.test_mse = e.mse;
      result.test_bce = e.bce;
      out << "  test reconstruction per pixel: " << detail::format_values({{"mse", e.mse}, {"bce", e.bce}});
    } else {
      out << " ";
    }
    out << std::fixed << std::setprecision(0) << ", " << (secs > 0 ? images / secs : 0.0) << " images/s, "
        << std::setprecision(1) << secs << " s\n" << std::defaultfloat;
    out.flush();
    rec.values.emplace_back("images_per_second", secs > 0 ? images / secs : 0.0);
    result.history.push_back(rec);
    if (!metrics_path.empty() && dist.is_main()) train::write_metrics(metrics_path, result.history);
    if (!image_path.empty() && dist.is_main()) {
      NoGradGuard ng;
      net.eval();
      detail::write_reconstruction_grid(image_path, grid_inputs, net.forward(grid_inputs));
      net.train();
    }
    if (!cfg.checkpoint_dir.empty())
      detail::save_epoch_checkpoint(dist, cfg.checkpoint_dir, kRecipe, epoch + 1, config_string(cfg), net, *opt);
  }
  if (!image_path.empty()) out << "Reconstructions (test digits above their reconstructions): " << image_path << "\n";
  result.images_per_second = total_seconds > 0 ? total_images / total_seconds : 0.0;
  return result;
}

}  // namespace ember::recipes
