#pragma once
// Autoencoders for 28x28 grayscale images (MNIST), with PyTorch's parameter names.
#include <memory>

#include "ember/nn/layers.h"
#include "ember/random.h"

namespace ember::models {

// Convolutional autoencoder. In PyTorch terms (width w, latent d):
//   encoder = Sequential(Conv2d(1, w, 3, 2, 1), ReLU(), Conv2d(w, 2w, 3, 2, 1), ReLU(), Flatten(),
//                        Linear(2w * 7 * 7, d))
//   decoder = Sequential(Linear(d, 2w * 7 * 7), ReLU(), Unflatten(1, (2w, 7, 7)),
//                        ConvTranspose2d(2w, w, 3, 2, 1, output_padding=1), ReLU(),
//                        ConvTranspose2d(w, 1, 3, 2, 1, output_padding=1), Sigmoid())
// so state_dict keys are encoder.0.weight, ..., decoder.5.bias.
class ConvAutoencoder : public nn::Module {
 public:
  explicit ConvAutoencoder(int64_t latent_dim = 32, int64_t width = 16);
  Tensor encode(const Tensor& x);  // (N, 1, 28, 28) -> (N, latent_dim)
  Tensor decode(const Tensor& z);  // (N, latent_dim) -> (N, 1, 28, 28) in (0, 1)
  Tensor forward(const Tensor& x) override { return decode(encode(x)); }
  std::string name() const override { return "ConvAutoencoder"; }

  std::shared_ptr<nn::Sequential> encoder, decoder;
  int64_t latent_dim, width;
};

// The variational autoencoder of PyTorch's examples (vae/main.py), sizes as arguments:
//   fc1 (input -> hidden), fc21 / fc22 (hidden -> latent: mu, logvar), fc3 (latent -> hidden),
//   fc4 (hidden -> input). Defaults are the example's 784, 400, 20.
struct VAEOutput {
  Tensor recon;   // (N, input) in (0, 1)
  Tensor mu;      // (N, latent)
  Tensor logvar;  // (N, latent)
};

class VAE : public nn::Module {
 public:
  explicit VAE(int64_t latent_dim = 20, int64_t hidden = 400, int64_t input = 784);
  // x (N, ...) with input values per sample -> (mu, logvar), each (N, latent_dim)
  std::pair<Tensor, Tensor> encode(const Tensor& x);
  Tensor decode(const Tensor& z);  // (N, latent_dim) -> (N, input) in (0, 1)
  // mu + eps * exp(logvar / 2) with eps ~ N(0, I) drawn from `gen` (the default generator when null)
  static Tensor reparameterize(const Tensor& mu, const Tensor& logvar, Generator* gen);
  // The same with a given eps (N, latent_dim): for tests and fixed-noise sampling.
  static Tensor reparameterize(const Tensor& mu, const Tensor& logvar, const Tensor& eps);
  VAEOutput forward(const Tensor& x, Generator* gen);
  std::string name() const override { return "VAE"; }

  std::shared_ptr<nn::Linear> fc1, fc21, fc22, fc3, fc4;
  int64_t latent_dim, hidden, input;
};

// The example's loss, summed over the batch: BCE(recon, x, reduction="sum") + KL(q(z|x) || N(0, I))
// with KL = -0.5 * sum(1 + logvar - mu^2 - exp(logvar)). x is flattened to recon's shape.
Tensor vae_loss(const Tensor& recon, const Tensor& x, const Tensor& mu, const Tensor& logvar);
// The KL term alone (summed over the batch).
Tensor vae_kl_divergence(const Tensor& mu, const Tensor& logvar);

}  // namespace ember::models
