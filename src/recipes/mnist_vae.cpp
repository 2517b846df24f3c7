#include "ember/recipes/mnist_vae.h"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <ostream>
#include <sstream>

#include "ember/autograd.h"
#include "ember/data/dataloader.h"
#include "ember/distributed/context.h"
#include "ember/io/image_grid.h"
#include "ember/memory.h"
#include "ember/models/autoencoder.h"
#include "ember/ops.h"
#include "ember/optim/adam.h"
#include "ember/train/trainer.h"
#include "recipes/image_data.h"

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
  distributed::Context dist = train::start_run(cfg.threads, cfg.seed);
  std::ostream& out = dist.out(out_all);
  train::make_checkpoint_dir(cfg.checkpoint_dir);  // before the slow data loading: bad paths fail fast
  detail::ImageData images = detail::load_image_data(cfg.data_root, cfg.train_limit, cfg.validation_size);
  // Each rank's strided share of the shuffled epoch; with one process exactly shuffle = true's order.
  data::DataLoader loader(images.train, {.batch_size = cfg.batch_size, .seed = cfg.seed, .num_workers = cfg.num_workers,
                                         .sampler = dist.train_sampler(images.train->size(), cfg.seed)});
  {  // Before building: weights, gradients and Adam's moments (16 bytes a parameter) and a batch's activations.
    const double h = double(cfg.hidden), z = double(cfg.latent_dim),
                 B = double(std::min(cfg.batch_size, images.train->size()));  // the trainer checks batch_size
    const double params = h * (2 * 784 + 3 * z);
    check_fits_in_memory(16 * params + 4 * 8 * B * (2 * h + 3 * z), "--hidden/--latent-dim/--batch-size",
                         ember::detail::str_cat("training a VAE of ", params, " parameters"));
  }
  auto net = std::make_shared<models::VAE>(cfg.latent_dim, cfg.hidden, 28 * 28);
  auto opt = dist.make_optimizer(
      net->parameters(),
      [&cfg](std::vector<Tensor> p) { return std::make_unique<optim::Adam>(std::move(p), optim::AdamOptions(cfg.lr)); },
      cfg.zero);
  // The loss sums over the batch, as the example: reported per image. Nothing keeps a .grad
  // across steps, so the gradients may be views into DDP's buckets.
  train::Trainer trainer(net, *opt,
                         {.epochs = cfg.epochs, .max_steps_per_epoch = cfg.max_steps_per_epoch, .loss_is_sum = true, .precision = cfg.precision,
                          .nonfinite = cfg.nonfinite,
                          .checkpoint_dir = cfg.checkpoint_dir, .resume = cfg.resume, .metrics_path = cfg.metrics_path,
                          .tensorboard_dir = cfg.tensorboard_dir,
                          .recipe = kRecipe, .config = config_string(cfg), .progress = cfg.progress,
                          .ddp = {.bucket_cap_mb = cfg.bucket_cap_mb, .gradient_as_bucket_view = true}},
                         dist);
  // The reparameterization's eps during training: each rank its own stream (seed itself on rank 0).
  Generator noise(dist.rank_seed(cfg.seed));
  trainer.track_generator("noise_rng", noise);

  const std::string samples_path = train::output_path(cfg.samples_path, cfg.checkpoint_dir, "samples.png");
  const std::string recon_path = train::output_path(cfg.recon_path, cfg.checkpoint_dir, "reconstructions.png");
  const Tensor grid_inputs = images.eval.narrow(0, 0, kGridImages);  // (16, 1, 28, 28)
  Generator sample_gen(cfg.seed ^ kSampleNoise);
  const Tensor sample_z = randn({cfg.num_samples, cfg.latent_dim}, kFloat32, &sample_gen);  // fixed codes
  out << "VAE: latent_dim " << cfg.latent_dim << ", hidden " << cfg.hidden << ", " << net->num_parameters()
      << " parameters, " << images.train->size() << " training images\n";

  train::Callbacks cb;
  if (cfg.evaluate_test)
    cb.evaluate = [&] {
      TestLoss t = evaluate(*net, images.eval, cfg.seed, dist);
      const std::string& k = images.split;
      return train::Metrics{{k + "_loss", t.loss}, {k + "_bce", t.bce}, {k + "_kl", t.kl}, {k + "_mse", t.mse}};
    };
  cb.on_record = [&](const train::EpochRecord& row) {
    if (!dist.is_main()) return;
    NoGradGuard ng;
    net->eval();
    train::TensorBoardWriter* tb = trainer.tensorboard();
    if (!samples_path.empty() || tb) {
      io::ImageGridOptions o;
      o.scale = 2;
      detail::save_png(io::encode_image_grid(net->decode(sample_z).reshape({-1, 1, 28, 28}), o), samples_path, tb,
                       "samples", row.epoch);
    }
    if (!recon_path.empty() || tb) {
      // Reconstructions decode the posterior mean: the model's best guess, without sampling noise.
      Tensor recon = net->decode(net->encode(grid_inputs).first).reshape({-1, 1, 28, 28});
      detail::save_png(detail::reconstruction_grid_png(grid_inputs, recon), recon_path, tb, "reconstructions",
                       row.epoch);
    }
    net->train();
  };
  train::FitResult fit = trainer.fit(
      loader,
      [&](const data::Batch& b) {
        models::VAEOutput o = net->forward(b.data, &noise);  // recon (B, 784), mu/logvar (B, latent)
        // Summed over the batch, as the example. DDP averages gradients over ranks: the gradient of
        // the mean over ranks of each rank's sum.
        return train::StepOutput{models::vae_loss(o.recon, b.data, o.mu, o.logvar), b.data.size(0)};
      },
      cb, &out_all);
  if (!samples_path.empty()) out << "Samples decoded from N(0, I): " << samples_path << "\n";
  if (!recon_path.empty()) out << "Reconstructions (test digits above their reconstructions): " << recon_path << "\n";

  MnistVaeResult r;
  r.history = fit.history, r.step_losses = fit.step_losses, r.images_per_second = fit.samples_per_second;
  if (!r.history.empty() && cfg.evaluate_test) {
    const train::EpochRecord& last = r.history.back();
    const std::string& k = images.split;
    r.test_loss = last.get(k + "_loss"), r.test_bce = last.get(k + "_bce"), r.test_kl = last.get(k + "_kl");
    r.test_mse = last.get(k + "_mse");
  }
  return r;
}

}  // namespace ember::recipes
