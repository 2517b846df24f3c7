#include "ember/recipes/mnist_vae.h"

#include <cmath>
#include <iomanip>
#include <ostream>
#include <sstream>

#include "ember/autograd.h"
#include "ember/data/dataloader.h"
#include "ember/distributed/context.h"
#include "ember/io/image_grid.h"
#include "ember/models/autoencoder.h"
#include "ember/ops.h"
#include "ember/optim/adam.h"
#include "ember/parallel.h"
#include "recipes/mnist_images.h"

namespace ember::recipes {

namespace {

constexpr const char* kRecipe = "mnist-vae";
constexpr int64_t kGridImages = 16;
constexpr int64_t kEvalBatch = 500;
// Seeds derived from --seed for the streams that must not depend on training: the noise of the
// test-set ELBO estimate (the same every epoch, so epochs compare) and the samples' codes.
constexpr uint64_t kEvalNoise = 0x9e3779b97f4a7c15ULL, kSampleNoise = 0xbf58476d1ce4e5b9ULL;

std::string config_string(const MnistVaeConfig& c) {
  std::ostringstream os;
  os << "epochs=" << c.epochs << " batch_size=" << c.batch_size << " lr=" << c.lr << " latent_dim=" << c.latent_dim
     << " hidden=" << c.hidden << " seed=" << c.seed;
  return os.str();
}

struct TestLoss {
  double loss = 0, bce = 0, kl = 0;  // per image
  double mse = 0;                    // per pixel, decoding the posterior mean
};

// The example's test loss: BCE + KL summed over the test set, divided by its size, with z sampled
// from a generator seeded the same way every epoch. Rank r takes batches r, r + size, ... and
// draws (and drops) the other batches' noise, so z is the one-process z whatever the rank count.
TestLoss evaluate(models::VAE& net, const Tensor& test, uint64_t seed, const distributed::Context& dist) {
  NoGradGuard ng;
  net.eval();
  Generator gen(seed ^ kEvalNoise);
  double bce = 0, kl = 0, se = 0;
  for (int64_t i = 0, batch = 0; i < test.size(0); i += kEvalBatch, ++batch) {
    const int64_t B = std::min(kEvalBatch, test.size(0) - i);
    if (batch % dist.size() != dist.rank()) {
      randn({B, net.latent_dim}, kFloat32, &gen);  // another rank's batch: only advance the stream as it does
      continue;
    }
    Tensor x = test.narrow(0, i, B).reshape({-1, net.input});  // (B, 784)
    models::VAEOutput o = net.forward(x, &gen);
    bce += binary_cross_entropy(o.recon, x, Tensor(), "sum").item();
    kl += models::vae_kl_divergence(o.mu, o.logvar).item();
    se += mse_loss(net.decode(o.mu), x, "sum").item();
  }
  net.train();
  auto sums = dist.sum({bce, kl, se});
  double n = static_cast<double>(test.size(0));
  return {(sums[0] + sums[1]) / n, sums[0] / n, sums[1] / n, sums[2] / static_cast<double>(test.numel())};
}

}  // namespace

MnistVaeResult train_mnist_vae(const MnistVaeConfig& cfg, std::ostream& out_all) {
  detail::validate_common(cfg.epochs, cfg.batch_size, cfg.lr, cfg.latent_dim, cfg.threads, cfg.num_workers,
                          cfg.max_steps_per_epoch, cfg.train_limit);
  EMBER_CHECK(cfg.hidden > 0, "--hidden", "must be positive, got ", cfg.hidden);
  EMBER_CHECK(cfg.num_samples > 0 && cfg.num_samples % 8 == 0, "--samples",
              "must be a positive multiple of 8 (the grid has 8 per row), got ", cfg.num_samples);
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
  auto net_ptr = std::make_shared<models::VAE>(cfg.latent_dim, cfg.hidden, 28 * 28);
  models::VAE& net = *net_ptr;
  auto opt = dist.make_optimizer(
      net.parameters(),
      [&cfg](std::vector<Tensor> p) { return std::make_unique<optim::Adam>(std::move(p), optim::AdamOptions(cfg.lr)); },
      cfg.zero);
  // Rank 0's weights everywhere; gradients averaged over ranks in backward (as views into DDP's
  // buckets: nothing keeps a .grad across steps).
  auto ddp = dist.wrap(net_ptr, {.bucket_cap_mb = cfg.bucket_cap_mb, .gradient_as_bucket_view = true});
  // The reparameterization's eps during training: each rank its own stream (seed itself on rank 0).
  Generator noise(detail::rank_seed(cfg.seed, dist.rank()));

  const std::string metrics_path = detail::output_path(cfg.metrics_path, cfg.checkpoint_dir, "metrics.csv");
  const std::string samples_path = detail::output_path(cfg.samples_path, cfg.checkpoint_dir, "samples.png");
  const std::string recon_path = detail::output_path(cfg.recon_path, cfg.checkpoint_dir, "reconstructions.png");
  const Tensor grid_inputs = mnist.test.narrow(0, 0, kGridImages);  // (16, 1, 28, 28)
  Generator sample_gen(cfg.seed ^ kSampleNoise);
  const Tensor sample_z = randn({cfg.num_samples, cfg.latent_dim}, kFloat32, &sample_gen);  // fixed codes
  out << "VAE: latent_dim " << cfg.latent_dim << ", hidden " << cfg.hidden << ", " << net.num_parameters()
      << " parameters, " << mnist.train->size() << " training images\n";

  MnistVaeResult result;
  bool tty = cfg.progress && train::stdout_is_tty() && dist.is_main();
  int64_t total_images = 0;
  double total_seconds = 0;
  for (int64_t epoch = 0; epoch < cfg.epochs; ++epoch) {
    int64_t steps = loader.size();
    if (cfg.max_steps_per_epoch > 0) steps = std::min(steps, cfg.max_steps_per_epoch);
    train::ProgressBar bar("epoch " + std::to_string(epoch + 1), steps, tty);
    double loss_sum = 0;
    int64_t step = 0, images = 0;
    std::vector<double> sums;  // per step: the batch's summed loss, then its size
    for (const data::Batch& b : loader) {
      if (step >= steps) break;
      opt->zero_grad();
      ddp->pre_forward();  // DDP's checks before a forward with the VAE's own signature
      models::VAEOutput o = net.forward(b.data, &noise);            // recon (B, 784), mu/logvar (B, latent)
      Tensor loss = models::vae_loss(o.recon, b.data, o.mu, o.logvar);  // summed over the batch, as the example
      // DDP averages gradients over ranks: the gradient of the mean over ranks of each rank's sum
      // (with equal per-rank batches, the global sum's gradient scaled by 1 / size).
      loss.backward();
      opt->step();
      double l = loss.item();
      int64_t bs = b.data.size(0);
      loss_sum += l;
      sums.push_back(l);
      sums.push_back(static_cast<double>(bs));
      images += bs;
      ++step;
      bar.update(step, loss_sum / static_cast<double>(images), images);
    }
    double secs = bar.elapsed_seconds();
    bar.finish();
    // Over every rank: per-image step losses, the epoch's summed loss and images.
    sums = dist.sum(std::move(sums));
    for (size_t i = 0; i < sums.size(); i += 2) result.step_losses.push_back(sums[i] / sums[i + 1]);
    auto totals = dist.sum({loss_sum, static_cast<double>(images)});
    loss_sum = totals[0];
    images = static_cast<int64_t>(totals[1]);
    total_images += images;
    total_seconds += secs;
    train::EpochRecord rec;
    rec.epoch = epoch + 1;
    rec.values = {{"train_loss", images ? loss_sum / static_cast<double>(images) : 0.0}};
    out << "Epoch " << epoch + 1 << ", Average loss: " << std::fixed << std::setprecision(4) << rec.values[0].second
        << std::defaultfloat << "\n";
    if (cfg.evaluate_test) {
      TestLoss t = evaluate(net, mnist.test, cfg.seed, dist);
      rec.values.insert(rec.values.end(), {{"test_loss", t.loss}, {"test_bce", t.bce}, {"test_kl", t.kl},
                                           {"test_mse", t.mse}});
      result.test_loss = t.loss, result.test_bce = t.bce, result.test_kl = t.kl, result.test_mse = t.mse;
      out << "  test set loss (-ELBO per image): "
          << detail::format_values({{"loss", t.loss}, {"bce", t.bce}, {"kl", t.kl}}) << "; mse per pixel "
          << std::fixed << std::setprecision(4) << t.mse;
    } else {
      out << " ";
    }
    out << std::fixed << std::setprecision(0) << ", " << (secs > 0 ? images / secs : 0.0) << " images/s, "
        << std::setprecision(1) << secs << " s\n" << std::defaultfloat;
    out.flush();
    rec.values.emplace_back("images_per_second", secs > 0 ? images / secs : 0.0);
    result.history.push_back(rec);
    if (!metrics_path.empty() && dist.is_main()) train::write_metrics(metrics_path, result.history);
    if (dist.is_main()) {
      NoGradGuard ng;
      net.eval();
      if (!samples_path.empty()) {
        io::ImageGridOptions o;
        o.scale = 2;
        io::write_image_grid(samples_path, net.decode(sample_z).reshape({-1, 1, 28, 28}), o);
      }
      if (!recon_path.empty()) {
        // Reconstructions decode the posterior mean: the model's best guess, without sampling noise.
        Tensor recon = net.decode(net.encode(grid_inputs).first).reshape({-1, 1, 28, 28});
        detail::write_reconstruction_grid(recon_path, grid_inputs, recon);
      }
      net.train();
    }
    if (!cfg.checkpoint_dir.empty())
      detail::save_epoch_checkpoint(dist, cfg.checkpoint_dir, kRecipe, epoch + 1, config_string(cfg), net, *opt);
  }
  if (!samples_path.empty()) out << "Samples decoded from N(0, I): " << samples_path << "\n";
  if (!recon_path.empty()) out << "Reconstructions (test digits above their reconstructions): " << recon_path << "\n";
  result.images_per_second = total_seconds > 0 ? total_images / total_seconds : 0.0;
  return result;
}

}  // namespace ember::recipes
