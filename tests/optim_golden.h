#pragma once
// Loading tests/golden/optim/optim.json (written by tests/golden/optim/gen_optim.py) and building
// Ember optimizers from its case descriptions.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <memory>

#include "ember/ember.h"

namespace ember::test {

inline const nlohmann::json& optim_golden() {
  static const nlohmann::json j = [] {
    std::ifstream f(std::string(EMBER_GOLDEN_DIR) + "/optim/optim.json");
    if (!f) throw Error("optim golden file missing; run /usr/bin/python3 tests/golden/optim/gen_optim.py");
    return nlohmann::json::parse(f);
  }();
  return j;
}

// {"shape": [...], "data": [...]} -> tensor of `dt`.
inline Tensor golden_tensor(const nlohmann::json& j, DType dt = kFloat32) {
  Shape shape = j.at("shape").get<Shape>();
  Tensor t = tensor(j.at("data").get<std::vector<double>>()).to(dt);
  return t.reshape(shape);
}

// Elementwise |got - want| <= atol + rtol * |want|, reporting the first mismatch.
inline void expect_close(const Tensor& got, const nlohmann::json& want, double rtol, double atol, const std::string& what) {
  ASSERT_EQ(got.shape(), want.at("shape").get<Shape>()) << what;
  auto g = got.to_vector<double>();
  auto w = want.at("data").get<std::vector<double>>();
  for (size_t i = 0; i < g.size(); ++i)
    ASSERT_LE(std::abs(g[i] - w[i]), atol + rtol * std::abs(w[i]))
        << what << " at flat index " << i << ": Ember " << g[i] << ", PyTorch " << w[i];
}

// Options object for optimizer `kind` with the JSON's values set by name (flags as bools).
inline std::unique_ptr<optim::OptimizerOptions> make_options(const std::string& kind, const nlohmann::json& o) {
  std::unique_ptr<optim::OptimizerOptions> opts;
  if (kind == "GD") opts = std::make_unique<optim::GDOptions>();
  else if (kind == "SGD") opts = std::make_unique<optim::SGDOptions>();
  else if (kind == "Adam") opts = std::make_unique<optim::AdamOptions>();
  else if (kind == "AdamW") opts = std::make_unique<optim::AdamWOptions>();
  else if (kind == "RMSprop") opts = std::make_unique<optim::RMSpropOptions>();
  else if (kind == "Adagrad") opts = std::make_unique<optim::AdagradOptions>();
  else throw Error("unknown optimizer " + kind);
  for (auto& [k, v] : o.items())
    if (!opts->set(k, v.is_boolean() ? (v.get<bool>() ? 1.0 : 0.0) : v.get<double>())) throw Error("unknown option " + k);
  return opts;
}

inline std::unique_ptr<optim::Optimizer> make_optimizer(const std::string& kind, std::vector<optim::ParamGroup> groups,
                                                        const optim::OptimizerOptions& d) {
  using namespace optim;
  if (kind == "GD") return std::make_unique<GD>(std::move(groups), dynamic_cast<const GDOptions&>(d));
  if (kind == "SGD") return std::make_unique<SGD>(std::move(groups), dynamic_cast<const SGDOptions&>(d));
  if (kind == "Adam") return std::make_unique<Adam>(std::move(groups), dynamic_cast<const AdamOptions&>(d));
  if (kind == "AdamW") return std::make_unique<AdamW>(std::move(groups), dynamic_cast<const AdamWOptions&>(d));
  if (kind == "RMSprop") return std::make_unique<RMSprop>(std::move(groups), dynamic_cast<const RMSpropOptions&>(d));
  if (kind == "Adagrad") return std::make_unique<Adagrad>(std::move(groups), dynamic_cast<const AdagradOptions&>(d));
  throw Error("unknown optimizer " + kind);
}

// The param groups a case describes ("groups": null means one group holding every parameter).
inline std::vector<optim::ParamGroup> make_groups(const nlohmann::json& c, const std::vector<Tensor>& params) {
  std::vector<optim::ParamGroup> groups;
  if (c.at("groups").is_null()) {
    groups.emplace_back(params);
    return groups;
  }
  const std::string kind = c.at("optimizer");
  for (auto& g : c.at("groups")) {
    std::vector<Tensor> ps;
    for (auto& i : g.at("params")) ps.push_back(params[i.get<size_t>()]);
    if (g.contains("options")) groups.emplace_back(ps, *make_options(kind, g.at("options")));
    else groups.emplace_back(ps);
  }
  return groups;
}

}  // namespace ember::test
