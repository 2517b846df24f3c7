#include "ember/models/autoencoder.h"

#include "ember/ops.h"

namespace ember::models {

namespace {
constexpr int64_t kSide = 28;  // two stride-2 convolutions: 28 -> 14 -> 7
constexpr int64_t kCode = 7;

template <typename M, typename... A>
std::shared_ptr<nn::Module> mk(A&&... a) {
  return std::make_shared<M>(std::forward<A>(a)...);
}
}  // namespace

ConvAutoencoder::ConvAutoencoder(int64_t latent, int64_t w) : latent_dim(latent), width(w) {
  EMBER_CHECK(latent > 0, "ConvAutoencoder", "latent_dim must be positive, got ", latent);
  EMBER_CHECK(w > 0, "ConvAutoencoder", "width must be positive, got ", w);
  const int64_t flat = 2 * w * kCode * kCode;
  encoder = register_module("encoder", std::make_shared<nn::Sequential>(std::initializer_list<std::shared_ptr<nn::Module>>{
      mk<nn::Conv2d>(1, w, 3, 2, 1),       // (N, 1, 28, 28) -> (N, w, 14, 14)
      mk<nn::ReLU>(),
      mk<nn::Conv2d>(w, 2 * w, 3, 2, 1),   // -> (N, 2w, 7, 7)
      mk<nn::ReLU>(),
      mk<nn::Flatten>(),                   // -> (N, 2w * 49)
      mk<nn::Linear>(flat, latent)}));     // -> (N, latent)
  decoder = register_module("decoder", std::make_shared<nn::Sequential>(std::initializer_list<std::shared_ptr<nn::Module>>{
      mk<nn::Linear>(latent, flat),                         // (N, latent) -> (N, 2w * 49)
      mk<nn::ReLU>(),
      mk<nn::Unflatten>(1, Shape{2 * w, kCode, kCode}),     // -> (N, 2w, 7, 7)
      mk<nn::ConvTranspose2d>(2 * w, w, 3, 2, 1, 1),        // -> (N, w, 14, 14)
      mk<nn::ReLU>(),
      mk<nn::ConvTranspose2d>(w, 1, 3, 2, 1, 1),            // -> (N, 1, 28, 28)
      mk<nn::Sigmoid>()}));
}

Tensor ConvAutoencoder::encode(const Tensor& x) {
  EMBER_CHECK(x.dim() == 4 && x.size(1) == 1 && x.size(2) == kSide && x.size(3) == kSide, "ConvAutoencoder",
              "expected images of shape (N, 1, 28, 28), got ", shape_str(x.shape()));
  return encoder->forward(x);
}

Tensor ConvAutoencoder::decode(const Tensor& z) {
  EMBER_CHECK(z.dim() == 2 && z.size(1) == latent_dim, "ConvAutoencoder", "expected codes of shape (N, ", latent_dim,
              ") (latent_dim), got ", shape_str(z.shape()));
  return decoder->forward(z);
}

VAE::VAE(int64_t latent, int64_t hid, int64_t in) : latent_dim(latent), hidden(hid), input(in) {
  EMBER_CHECK(latent > 0 && hid > 0 && in > 0, "VAE", "latent_dim, hidden and input must be positive, got ", latent,
              ", ", hid, " and ", in);
  fc1 = register_module("fc1", std::make_shared<nn::Linear>(in, hid));
  fc21 = register_module("fc21", std::make_shared<nn::Linear>(hid, latent));
  fc22 = register_module("fc22", std::make_shared<nn::Linear>(hid, latent));
  fc3 = register_module("fc3", std::make_shared<nn::Linear>(latent, hid));
  fc4 = register_module("fc4", std::make_shared<nn::Linear>(hid, in));
}

std::pair<Tensor, Tensor> VAE::encode(const Tensor& x) {
  EMBER_CHECK(x.dim() >= 1 && x.numel() == (x.dim() ? x.size(0) : 0) * input, "VAE",
              "expected a batch of samples with ", input, " values each (e.g. (N, 1, 28, 28) for 784), got shape ",
              shape_str(x.shape()));
  Tensor h = relu(fc1->forward(x.reshape({x.size(0), input})));  // (N, input) -> (N, hidden)
  return {fc21->forward(h), fc22->forward(h)};                    // (N, latent) each
}

Tensor VAE::decode(const Tensor& z) {
  EMBER_CHECK(z.dim() == 2 && z.size(1) == latent_dim, "VAE", "expected codes of shape (N, ", latent_dim,
              ") (latent_dim), got ", shape_str(z.shape()));
  return sigmoid(fc4->forward(relu(fc3->forward(z))));  // (N, latent) -> (N, hidden) -> (N, input)
}

Tensor VAE::reparameterize(const Tensor& mu, const Tensor& logvar, const Tensor& eps) {
  EMBER_CHECK(mu.shape() == logvar.shape() && eps.shape() == mu.shape(), "VAE.reparameterize",
              "mu ", shape_str(mu.shape()), ", logvar ", shape_str(logvar.shape()), " and eps ", shape_str(eps.shape()),
              " must have the same shape");
  return mu + eps * exp(logvar * 0.5);
}

Tensor VAE::reparameterize(const Tensor& mu, const Tensor& logvar, Generator* gen) {
  return reparameterize(mu, logvar, randn(mu.shape(), mu.dtype(), gen));
}

VAEOutput VAE::forward(const Tensor& x, Generator* gen) {
  auto [mu, logvar] = encode(x);
  return {decode(reparameterize(mu, logvar, gen)), mu, logvar};
}

Tensor vae_kl_divergence(const Tensor& mu, const Tensor& logvar) {
  EMBER_CHECK(mu.shape() == logvar.shape(), "vae_loss", "mu ", shape_str(mu.shape()), " and logvar ",
              shape_str(logvar.shape()), " must have the same shape");
  return sum(1.0 + logvar - mu * mu - exp(logvar)) * -0.5;
}

Tensor vae_loss(const Tensor& recon, const Tensor& x, const Tensor& mu, const Tensor& logvar) {
  EMBER_CHECK(recon.numel() == x.numel() && recon.dim() >= 1 && x.dim() >= 1 && recon.size(0) == x.size(0), "vae_loss",
              "recon ", shape_str(recon.shape()), " and x ", shape_str(x.shape()),
              " must hold the same samples with the same number of values");
  Tensor bce = binary_cross_entropy(recon, x.reshape(recon.shape()), Tensor(), "sum");
  return bce + vae_kl_divergence(mu, logvar);
}

}  // namespace ember::models
