#pragma once
// Helpers for whole-model tests (GPT, BERT): golden files from tests/golden/models, comparisons,
// and finite differences through a model converted to float64.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <functional>
#include <string>

#include "ember/ember.h"
#include "ember/nn/module.h"

namespace ember::test {

inline std::string model_golden(const std::string& file) { return std::string(EMBER_GOLDEN_DIR) + "/models/" + file; }

inline nlohmann::json read_json(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw Error("cannot open " + path);
  return nlohmann::json::parse(f);
}

// {"shape": [...], "data": [...]} -> a tensor of dtype dt.
inline Tensor json_tensor(const nlohmann::json& j, DType dt) {
  Shape shape = j.at("shape").get<Shape>();
  Tensor t = tensor(j.at("data").get<std::vector<double>>(), shape).to(dt);
  return t;
}

// max |got - want| / (atol + rtol |want|) <= 1, reported with the worst element.
inline void expect_close(const Tensor& got, const Tensor& want, double rtol, double atol, const std::string& what) {
  ASSERT_TRUE(got.defined()) << what << ": undefined";
  ASSERT_EQ(got.shape(), want.shape()) << what;
  auto g = got.to(kFloat64).contiguous().to_vector<double>();
  auto w = want.to(kFloat64).contiguous().to_vector<double>();
  double worst = 0;
  size_t at = 0;
  for (size_t i = 0; i < g.size(); ++i) {
    double r = std::abs(g[i] - w[i]) / (atol + rtol * std::abs(w[i]));
    if (!(r <= worst)) worst = r, at = i;
  }
  EXPECT_LE(worst, 1.0) << what << ": element " << at << " is " << g[at] << ", expected " << w[at];
}

// Converts every parameter of `m` to float64 in place (as torch's module.double()): the
// tensors keep their identity, so the module's own handles see the new dtype.
inline void to_float64(nn::Module& m) {
  for (auto& [name, p] : m.named_parameters()) {
    Tensor d = p.detach().to(kFloat64).contiguous();
    TensorImpl& impl = p.impl();
    impl.storage = d.impl().storage;
    impl.dtype = kFloat64;
    impl.strides = d.strides();
    impl.offset = 0;
  }
}

// Central differences of the scalar loss() against the autograd gradients of `m`'s parameters
// (float64), at up to `per_param` elements of each parameter spread over it. Returns the worst
// |analytic - numeric| / (1 + |numeric|).
inline double model_gradcheck(nn::Module& m, const std::function<Tensor()>& loss, int per_param = 3,
                              double eps = 1e-6) {
  m.zero_grad();
  loss().backward();
  double worst = 0;
  NoGradGuard ng;
  for (auto& [name, p] : m.named_parameters()) {
    Tensor g = p.grad().defined() ? p.grad().contiguous() : zeros_like(p);
    double* x = p.data_ptr<double>();
    const double* gp = g.data_ptr<double>();
    const int64_t n = p.numel();
    for (int k = 0; k < per_param; ++k) {
      const int64_t i = n == 1 ? 0 : (k * (n - 1)) / std::max(1, per_param - 1);
      const double orig = x[i];
      x[i] = orig + eps;
      const double up = loss().item();
      x[i] = orig - eps;
      const double down = loss().item();
      x[i] = orig;
      const double numeric = (up - down) / (2 * eps);
      const double err = std::abs(gp[i] - numeric) / (1 + std::abs(numeric));
      if (err > worst) worst = err;
      EXPECT_LE(err, 1e-6) << name << "[" << i << "]: autograd " << gp[i] << ", finite differences " << numeric;
    }
  }
  return worst;
}

}  // namespace ember::test
