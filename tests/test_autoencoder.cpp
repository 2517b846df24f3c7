// The autoencoder models against the same networks in PyTorch (tests/golden/models/autoencoder.json,
// written by tests/golden/gen_autoencoder.py), finite differences of the VAE loss, the seeded
// reparameterization, and bad input.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "ember/models/autoencoder.h"
#include "op_registry.h"

namespace ember::test {
namespace {

using nlohmann::json;

const json& golden() {
  static const json j = [] {
    std::ifstream f(std::string(EMBER_GOLDEN_DIR) + "/models/autoencoder.json");
    if (!f) throw Error("autoencoder golden file missing; run /usr/bin/python3 tests/golden/gen_autoencoder.py");
    return json::parse(f);
  }();
  return j;
}

std::vector<std::pair<std::string, Shape>> key_shapes(const nn::NamedTensors& sd) {
  std::vector<std::pair<std::string, Shape>> out;
  for (auto& [k, v] : sd) out.emplace_back(k, v.shape());
  return out;
}
std::vector<std::pair<std::string, Shape>> key_shapes(const json& keys) {
  std::vector<std::pair<std::string, Shape>> out;
  for (auto& kv : keys) out.emplace_back(kv.at(0).get<std::string>(), kv.at(1).get<Shape>());
  return out;
}

nn::NamedTensors load(const json& state) {
  nn::NamedTensors sd;
  for (auto& k : state.at("order")) sd.emplace_back(k.get<std::string>(), from_json(state.at("tensors").at(k.get<std::string>())));
  return sd;
}

void expect_close(const Tensor& got, const json& want, double rtol, double atol, const std::string& what) {
  Tensor w = from_json(want);
  ASSERT_EQ(got.shape(), w.shape()) << what;
  auto g = got.to_vector<double>(), e = w.to_vector<double>();
  for (size_t k = 0; k < g.size(); ++k)
    ASSERT_LE(std::abs(g[k] - e[k]), atol + rtol * std::abs(e[k]))
        << what << " at flat index " << k << ": Ember " << g[k] << ", PyTorch " << e[k];
}

TEST(ConvAutoencoder, StateDictKeysAndShapesMatchTorch) {
  models::ConvAutoencoder ae;
  EXPECT_EQ(key_shapes(ae.state_dict()), key_shapes(golden().at("conv_autoencoder_keys")));
}

// Output and parameter gradients of sum(output * g) with torch's weights. The 1568-term linear
// layers and the convolutions sum in another order than oneDNN's: 1e-5 absolute on O(1) values.
TEST(ConvAutoencoder, MatchesTorch) {
  const json& c = golden().at("conv_autoencoder");
  models::ConvAutoencoder ae(c.at("latent_dim"), c.at("width"));
  ae.load_state_dict(load(c.at("state")));
  Tensor y = ae.forward(from_json(c.at("input")));
  EXPECT_EQ(y.shape(), (Shape{1, 1, 28, 28}));
  expect_close(y, c.at("output"), 1e-5, 1e-6, "output");
  (y * from_json(c.at("grad_output"))).sum().backward();
  for (auto& [k, p] : ae.named_parameters()) expect_close(p.grad(), c.at("grads").at(k), 1e-5, 1e-5, "gradient of " + k);
}

TEST(VAE, StateDictKeysAndShapesMatchTorch) {
  models::VAE vae;
  EXPECT_EQ(key_shapes(vae.state_dict()), key_shapes(golden().at("vae_keys")));
}

// The example's encode / reparameterize / decode / loss with the same noise, and the loss's
// parameter gradients. The loss sums 48 BCE terms and the KL term: 1e-5 relative.
TEST(VAE, LossAndGradientsMatchTorch) {
  const json& c = golden().at("vae");
  models::VAE vae(c.at("latent_dim"), c.at("hidden"), c.at("input"));
  vae.load_state_dict(load(c.at("state")));
  Tensor x = from_json(c.at("x"));
  auto [mu, logvar] = vae.encode(x);
  expect_close(mu, c.at("mu"), 1e-5, 1e-6, "mu");
  expect_close(logvar, c.at("logvar"), 1e-5, 1e-6, "logvar");
  Tensor recon = vae.decode(models::VAE::reparameterize(mu, logvar, from_json(c.at("eps"))));
  expect_close(recon, c.at("recon"), 1e-5, 1e-6, "recon");
  Tensor loss = models::vae_loss(recon, x, mu, logvar);
  EXPECT_NEAR(loss.item(), c.at("loss").get<double>(), 1e-5 * std::abs(c.at("loss").get<double>()));
  EXPECT_NEAR(models::vae_kl_divergence(mu, logvar).item(), c.at("kl").get<double>(), 1e-5);
  loss.backward();
  for (auto& [k, p] : vae.named_parameters()) expect_close(p.grad(), c.at("grads").at(k), 1e-5, 1e-5, "gradient of " + k);
}

// Float64 central differences of the whole loss (encode, reparameterize with fixed noise, decode,
// BCE + KL) against backward, over every parameter.
TEST(VAE, LossGradientsMatchFiniteDifferences) {
  const json& c = golden().at("vae");
  models::VAE vae(c.at("latent_dim"), c.at("hidden"), c.at("input"));
  vae.load_state_dict(load(c.at("state")));
  vae.to(kFloat64);
  Tensor x = from_json(c.at("x")).to(kFloat64), eps = from_json(c.at("eps")).to(kFloat64);
  auto objective = [&] {
    auto [mu, logvar] = vae.encode(x);
    return models::vae_loss(vae.decode(models::VAE::reparameterize(mu, logvar, eps)), x, mu, logvar);
  };
  objective().backward();
  NoGradGuard ng;
  for (auto& [k, p] : vae.named_parameters()) {
    Tensor analytic = p.grad().contiguous().view({-1}), flat = p.view({-1});
    double worst = 0;
    for (int64_t i = 0; i < p.numel(); ++i) {
      double orig = flat[i].item();
      flat[i].fill_(orig + 1e-6);
      double fp = objective().item();
      flat[i].fill_(orig - 1e-6);
      double fm = objective().item();
      flat[i].fill_(orig);
      double numeric = (fp - fm) / 2e-6;
      worst = std::max(worst, std::abs(analytic[i].item() - numeric) / (1.0 + std::abs(numeric)));
    }
    EXPECT_LT(worst, 1e-6) << "gradient of " << k;
  }
}

TEST(VAE, ReparameterizationIsSeededAndStandardNormal) {
  Tensor mu = zeros({2000, 5}), logvar = zeros({2000, 5});
  Generator g1(42), g2(42), g3(43);
  Tensor a = models::VAE::reparameterize(mu, logvar, &g1);
  Tensor b = models::VAE::reparameterize(mu, logvar, &g2);
  Tensor c = models::VAE::reparameterize(mu, logvar, &g3);
  EXPECT_TRUE(ember::equal(a, b));
  EXPECT_FALSE(ember::equal(a, c));
  // 10,000 draws: mean within 5 standard errors of 0, std within 5 of 1.
  EXPECT_LT(std::abs(mean(a).item()), 5.0 / 100);
  EXPECT_LT(std::abs(ember::std(a).item() - 1), 5.0 / std::sqrt(2.0 * 10000));
  // mu + eps * exp(logvar / 2): shifting mu and logvar moves and scales the same draws.
  Generator g4(42);
  Tensor d = models::VAE::reparameterize(full({2000, 5}, 3.0), full({2000, 5}, std::log(4.0)), &g4);
  EXPECT_TRUE(allclose(d, a * 2.0 + 3.0, 1e-6, 1e-6));
  // The forward pass draws from the given generator too.
  models::VAE vae(2, 4, 6);
  Generator g5(7), g6(7);
  Tensor x = rand({3, 6});
  EXPECT_TRUE(ember::equal(vae.forward(x, &g5).recon, vae.forward(x, &g6).recon));
}

TEST(Autoencoders, BadInputNamesTheModelAndShapes) {
  models::ConvAutoencoder ae(8, 4);
  EXPECT_EMBER_ERROR(ae.forward(zeros({2, 1, 32, 32})), "ConvAutoencoder", "(N, 1, 28, 28)", "[2, 1, 32, 32]");
  EXPECT_EMBER_ERROR(ae.forward(zeros({2, 784})), "ConvAutoencoder", "[2, 784]");
  EXPECT_EMBER_ERROR(ae.decode(zeros({2, 7})), "ConvAutoencoder", "(N, 8)", "latent_dim", "[2, 7]");
  EXPECT_EMBER_ERROR(models::ConvAutoencoder(0), "ConvAutoencoder", "latent_dim must be positive", "0");
  EXPECT_EMBER_ERROR(models::ConvAutoencoder(4, -1), "ConvAutoencoder", "width must be positive", "-1");
  models::VAE vae(3, 5, 12);
  EXPECT_EMBER_ERROR(vae.forward(zeros({2, 13}), nullptr), "VAE", "12 values", "[2, 13]");
  EXPECT_EMBER_ERROR(vae.decode(zeros({2, 4})), "VAE", "(N, 3)", "[2, 4]");
  EXPECT_EMBER_ERROR(models::VAE(0), "VAE", "must be positive");
  EXPECT_EMBER_ERROR(models::VAE::reparameterize(zeros({2, 3}), zeros({2, 4}), nullptr), "reparameterize", "[2, 3]",
                     "[2, 4]");
  EXPECT_EMBER_ERROR(models::vae_loss(full({2, 12}, 0.5), full({2, 10}, 0.5), zeros({2, 3}), zeros({2, 3})),
                     "vae_loss", "[2, 12]", "[2, 10]");
  EXPECT_EMBER_ERROR(models::vae_kl_divergence(zeros({2, 3}), zeros({3, 2})), "vae_loss", "[2, 3]", "[3, 2]");
  EXPECT_EMBER_ERROR(vae(zeros({2, 12})), "VAE", "no single-tensor forward");
}

}  // namespace
}  // namespace ember::test
