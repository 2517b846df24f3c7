#pragma once
// The tiny CNN of tests/golden/explain/gen_captum.py, built from Ember's layers, and helpers for
// the attribution tests.
#include <algorithm>
#include <cmath>
#include <string>

#include "ember/ember.h"
#include "ember/explain/attribution.h"
#include "ember/nn/conv.h"
#include "ember/nn/linear.h"
#include "model_test_util.h"

namespace ember::test {

inline std::string explain_golden() { return std::string(EMBER_GOLDEN_DIR) + "/explain/captum.json"; }

// (N, 1, 8, 8) -> (N, 3) logits, PyTorch's names: conv.*, fc1.*, fc2.*.
struct TinyCNN : nn::Module {
  std::shared_ptr<nn::Conv2d> conv = register_module("conv", std::make_shared<nn::Conv2d>(1, 4, 3));
  std::shared_ptr<nn::Linear> fc1 = register_module("fc1", std::make_shared<nn::Linear>(36, 10));
  std::shared_ptr<nn::Linear> fc2 = register_module("fc2", std::make_shared<nn::Linear>(10, 3));
  Tensor forward(const Tensor& x) override {
    Tensor h = relu(conv->forward(x));                     // (N, 4, 6, 6)
    h = max_pool2d(h, {2, 2}, {2, 2}).flatten(1);          // (N, 36)
    return fc2->forward(tanh(fc1->forward(h)));            // (N, 3)
  }
};

// The model with the golden file's weights.
inline std::shared_ptr<TinyCNN> golden_tiny_cnn(const nlohmann::json& g) {
  auto m = std::make_shared<TinyCNN>();
  nn::NamedTensors state;
  for (auto& [k, v] : g.at("weights").items()) state.emplace_back(k, json_tensor(v, kFloat32));
  m->load_state_dict(state);
  m->eval();
  return m;
}

// The golden MLP of gen_shap.py and gen_lime.py, (N, 10) -> Linear(10, 16), tanh, Linear(16, 3),
// with PyTorch's Sequential names 0.* and 2.*; loaded from the file's "weights".
struct GoldenMlp {
  std::shared_ptr<nn::Linear> l0 = std::make_shared<nn::Linear>(10, 16), l2 = std::make_shared<nn::Linear>(16, 3);
  explicit GoldenMlp(const nlohmann::json& g) {
    NoGradGuard ng;
    auto& w = g.at("weights");
    l0->weight.copy_(json_tensor(w.at("0.weight"), kFloat32));
    l0->bias.copy_(json_tensor(w.at("0.bias"), kFloat32));
    l2->weight.copy_(json_tensor(w.at("2.weight"), kFloat32));
    l2->bias.copy_(json_tensor(w.at("2.bias"), kFloat32));
  }
  explain::Forward forward() const {
    return [l0 = l0, l2 = l2](const Tensor& x) { return l2->forward(tanh(l0->forward(x))); };
  }
};

inline explain::Forward forward_of(const std::shared_ptr<TinyCNN>& m) {
  return [m](const Tensor& x) { return m->forward(x); };
}

// max |got - want| / max |want|: the error relative to the attributions' scale.
inline double relative_error(const Tensor& got, const Tensor& want) {
  auto g = got.to(kFloat64).contiguous().to_vector<double>();
  auto w = want.to(kFloat64).contiguous().to_vector<double>();
  double diff = 0, scale = 0;
  for (size_t i = 0; i < g.size() && i < w.size(); ++i) {
    diff = std::max(diff, std::abs(g[i] - w[i]));
    scale = std::max(scale, std::abs(w[i]));
  }
  return diff / scale;
}

}  // namespace ember::test
