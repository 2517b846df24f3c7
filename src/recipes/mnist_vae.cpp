#include "ember/recipes/mnist_vae.h"

#include <cmath>
#include <iomanip>
#include <ostream>
#include <sstream>

#include "ember/autograd.h"
#include "ember/data/dataloader.h"
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
// from a generator seeded the same way every epoch.
TestLoss evaluate(models::VAE& net, const Tensor& test, uint64_t seed) {
  NoGradGuard ng;
  net.eval();
  Generator gen(seed ^ kEvalNoise);
  double bce = 0, kl = 0, se = 0;
  for (int64_t i = 0; i < test.size(0); i += kEvalBatch) {
    Tensor x = test.narrow(0, i, std::min(kEvalBatch, test.size(0) - i)).reshape({-1, net.input});  // (B, 784)
    models::VAEOutput o = net.forward(x, &gen);
    bce += binary_cross_entropy(o.recon, x, Tensor(), "sum").item();
    kl += models::vae_kl_divergence(o.mu, o.logvar).item();
    se += mse_loss(net.decode(o.mu), x, "sum").item();
  }
  net.train();
  double n = static_cast<double>(test.size(0));
  return {(bce + kl) / n, bce / n, kl / n, se / static_cast<double>(test.numel())};
}

}  // namespace

MnistVaeResult train_mnist_vae(const MnistVaeConfig& cfg, std::ostream& out) {
  detail::validate_common(cfg.epochs, cfg.batch_size, cfg.lr, cfg.latent_dim, cfg.threads, cfg.num_workers,
                          cfg.max_steps_per_epoch, cfg.train_limit);
  EMBER_CHECK(cfg.hidden > 0, "--hidden", "must be positive, got ", cfg.hidden);
  EMBER_CHECK(cfg.num_samples > 0 && cfg.num_samples % 8 == 0, "--samples",
              "must be a positive multiple of 8 (the grid has 8 per row), got ", cfg.num_samples);
  if (cfg.threads > 0) set_num_threads(cfg.threads);
  manual_seed(cfg.seed);  // initial weights
  detail::make_checkpoint_dir(cfg.checkpoint_dir);  // before the slow data loading: bad paths fail fast
  detail::MnistImages mnist = detail::load_mnist_images(cfg.data_root, cfg.train_limit);
  data::DataLoader loader(mnist.train, {.batch_size = cfg.batch_size, .shuffle = true, .seed = cfg.seed,
                                        .num_workers = cfg.num_workers});
  models::VAE net(cfg.latent_dim, cfg.hidden, 28 * 28);
  optim::Adam opt(net.parameters(), optim::AdamOptions(cfg.lr));
  Generator noise(cfg.seed);  // the reparameterization's eps during training

  const std::string metrics_path = detail::output_path(cfg.metrics_path, cfg.checkpoint_dir, "metrics.csv");
  const std::string samples_path = detail::output_path(cfg.samples_path, cfg.checkpoint_dir, "samples.png");
  const std::string recon_path = detail::output_path(cfg.recon_path, cfg.checkpoint_dir, "reconstructions.png");
  const Tensor grid_inputs = mnist.test.narrow(0, 0, kGridImages);  // (16, 1, 28, 28)
  Generator sample_gen(cfg.seed ^ kSampleNoise);
  const Tensor sample_z = randn({cfg.num_samples, cfg.latent_dim}, kFloat32, &sample_gen);  // fixed codes
  out << "VAE: latent_dim " << cfg.latent_dim << ", hidden " << cfg.hidden << ", " << net.num_parameters()
      << " parameters, " << mnist.train->size() << " training images\n";

  MnistVaeResult result;
  bool tty = cfg.progress && train::stdout_is_tty();
  int64_t total_images = 0;
  double total_seconds = 0;
  for (int64_t epoch = 0; epoch < cfg.epochs; ++epoch) {
    int64_t steps = loader.size();
    if (cfg.max_steps_per_epoch > 0) steps = std::min(steps, cfg.max_steps_per_epoch);
    train::ProgressBar bar("epoch " + std::to_string(epoch + 1), steps, tty);
    double loss_sum = 0;
    int64_t step = 0, images = 0;
    for (const data::Batch& b : loader) {
      if (step >= steps) break;
      opt.zero_grad();
      models::VAEOutput o = net.forward(b.data, &noise);            // recon (B, 784), mu/logvar (B, latent)
      Tensor loss = models::vae_loss(o.recon, b.data, o.mu, o.logvar);  // summed over the batch, as the example
      loss.backward();
      opt.step();
      double l = loss.item();
      int64_t bs = b.data.size(0);
      loss_sum += l;
      result.step_losses.push_back(l / static_cast<double>(bs));
      images += bs;
      ++step;
      bar.update(step, loss_sum / static_cast<double>(images), images);
    }
    double secs = bar.elapsed_seconds();
    bar.finish();
    total_images += images;
    total_seconds += secs;
    train::EpochRecord rec;
    rec.epoch = epoch + 1;
    rec.values = {{"train_loss", images ? loss_sum / static_cast<double>(images) : 0.0}};
    out << "Epoch " << epoch + 1 << ", Average loss: " << std::fixed << std::setprecision(4) << rec.values[0].second
        << std::defaultfloat << "\n";
    if (cfg.evaluate_test) {
      TestLoss t = evaluate(net, mnist.test, cfg.seed);
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
    if (!metrics_path.empty()) train::write_metrics(metrics_path, result.history);
    {
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
      detail::save_epoch_checkpoint(cfg.checkpoint_dir, kRecipe, epoch + 1, config_string(cfg), net, opt);
  }
  if (!samples_path.empty()) out << "Samples decoded from N(0, I): " << samples_path << "\n";
  if (!recon_path.empty()) out << "Reconstructions (test digits above their reconstructions): " << recon_path << "\n";
  result.images_per_second = total_seconds > 0 ? total_images / total_seconds : 0.0;
  return result;
}

}  // namespace ember::recipes
