#include "ember/recipes/mnist_autoencoder.h"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <ostream>
#include <sstream>

#include "ember/autograd.h"
#include "ember/data/dataloader.h"
#include "ember/distributed/context.h"
#include "ember/memory.h"
#include "ember/models/autoencoder.h"
#include "ember/ops.h"
#include "ember/optim/adam.h"
#include "ember/train/trainer.h"
#include "recipes/image_data.h"

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
  distributed::Context dist = train::start_run(cfg.threads, cfg.seed);
  std::ostream& out = dist.out(out_all);
  train::make_checkpoint_dir(cfg.checkpoint_dir);  // before the slow data loading: bad paths fail fast
  detail::ImageData images = detail::load_image_data(cfg.data_root, cfg.train_limit, cfg.validation_size);
  // Each rank's strided share of the shuffled epoch; with one process exactly shuffle = true's order.
  data::DataLoader loader(images.train, {.batch_size = cfg.batch_size, .seed = cfg.seed, .num_workers = cfg.num_workers,
                                         .sampler = dist.train_sampler(images.train->size(), cfg.seed)});
  {  // Before building: weights, gradients and Adam's moments (16 bytes a parameter) and a batch's activations.
    const double w = double(cfg.width), z = double(cfg.latent_dim),
                 B = double(std::min(cfg.batch_size, images.train->size()));  // the trainer checks batch_size
    const double params = 2 * 98 * w * z + 36 * w * w;
    check_fits_in_memory(16 * params + 4 * 8 * B * (294 * w + z), "--latent-dim/--width/--batch-size",
                         ember::detail::str_cat("training an autoencoder of ", params, " parameters"));
  }
  auto net = std::make_shared<models::ConvAutoencoder>(cfg.latent_dim, cfg.width);
  auto opt = dist.make_optimizer(
      net->parameters(),
      [&cfg](std::vector<Tensor> p) { return std::make_unique<optim::Adam>(std::move(p), optim::AdamOptions(cfg.lr)); },
      cfg.zero);
  // Nothing keeps a .grad across steps, so the gradients may be views into DDP's buckets.
  train::Trainer trainer(net, *opt,
                         {.epochs = cfg.epochs, .max_steps_per_epoch = cfg.max_steps_per_epoch, .precision = cfg.precision,
                          .nonfinite = cfg.nonfinite,
                          .checkpoint_dir = cfg.checkpoint_dir, .resume = cfg.resume, .metrics_path = cfg.metrics_path,
                          .tensorboard_dir = cfg.tensorboard_dir,
                          .recipe = kRecipe, .config = config_string(cfg), .progress = cfg.progress,
                          .ddp = {.bucket_cap_mb = cfg.bucket_cap_mb, .gradient_as_bucket_view = true}},
                         dist);
  const std::string image_path = train::output_path(cfg.image_path, cfg.checkpoint_dir, "reconstructions.png");
  const Tensor grid_inputs = images.eval.narrow(0, 0, kGridImages);  // (16, 1, 28, 28)
  out << "ConvAutoencoder: latent_dim " << cfg.latent_dim << ", " << net->num_parameters() << " parameters, "
      << images.train->size() << " training images\n";

  train::Callbacks cb;
  if (cfg.evaluate_test)
    cb.evaluate = [&] {
      ReconstructionError e = evaluate(*net, images.eval, dist);
      return train::Metrics{{images.split + "_mse", e.mse}, {images.split + "_bce", e.bce}};
    };
  cb.on_record = [&](const train::EpochRecord& row) {
    if ((image_path.empty() && !trainer.tensorboard()) || !dist.is_main()) return;
    NoGradGuard ng;
    net->eval();
    detail::save_png(detail::reconstruction_grid_png(grid_inputs, net->forward(grid_inputs)), image_path,
                     trainer.tensorboard(), "reconstructions", row.epoch);
    net->train();
  };
  train::FitResult fit = trainer.fit(
      loader,
      [&](const data::Batch& b) {
        Tensor recon = net->forward(b.data);  // (B, 1, 28, 28) in (0, 1)
        return train::StepOutput{pixel_loss(cfg.loss, recon, b.data, "mean"), b.data.size(0)};
      },
      cb, &out_all);
  if (!image_path.empty()) out << "Reconstructions (test digits above their reconstructions): " << image_path << "\n";

  MnistAutoencoderResult r;
  r.history = fit.history, r.step_losses = fit.step_losses, r.images_per_second = fit.samples_per_second;
  if (!r.history.empty() && cfg.evaluate_test) {
    const std::string& k = images.split;
    r.test_mse = r.history.back().get(k + "_mse"), r.test_bce = r.history.back().get(k + "_bce");
  }
  return r;
}

}  // namespace ember::recipes
