// Printing: Ember's operator<< / to_string against PyTorch's repr for every case in
// tests/golden/print/cases.json (regenerate with tests/golden/gen_print.py).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <sstream>

#include "ember/ember.h"

using namespace ember;
using json = nlohmann::json;

namespace {

DType dtype_from(const std::string& s) {
  static const std::map<std::string, DType> m{{"float32", kFloat32}, {"float64", kFloat64}, {"float16", kFloat16},
                                              {"bfloat16", kBFloat16}, {"int32", kInt32}, {"int64", kInt64},
                                              {"bool", kBool}};
  return m.at(s);
}

double number(const json& v) {
  if (v.is_string()) {
    auto s = v.get<std::string>();
    if (s == "nan") return std::numeric_limits<double>::quiet_NaN();
    return s == "inf" ? INFINITY : -INFINITY;
  }
  if (v.is_boolean()) return v.get<bool>() ? 1.0 : 0.0;
  return v.get<double>();
}

Tensor build(const json& c) {
  Shape shape = c.at("shape").get<Shape>();
  DType dt = dtype_from(c.at("dtype"));
  Tensor t;
  if (dt == kInt64 || dt == kInt32) {
    std::vector<int64_t> v;
    for (auto& x : c.at("data")) v.push_back(x.get<int64_t>());
    t = tensor(v, {static_cast<int64_t>(v.size())}).to(dt);
  } else {
    std::vector<double> v;
    for (auto& x : c.at("data")) v.push_back(number(x));
    t = tensor(v, {static_cast<int64_t>(v.size())}).to(dt);
  }
  t = t.reshape(shape);
  if (c.at("requires_grad").get<bool>()) t.requires_grad_();
  return t;
}

// The same ops as OPS in gen_print.py.
const std::map<std::string, std::function<Tensor(const Tensor&)>>& ops() {
  static const std::map<std::string, std::function<Tensor(const Tensor&)>> m{
      {"add_scalar", [](const Tensor& x) { return x + 1; }},
      {"mul", [](const Tensor& x) { return x * x; }},
      {"sum", [](const Tensor& x) { return x.sum(); }},
      {"mean", [](const Tensor& x) { return x.mean(); }},
      {"exp", [](const Tensor& x) { return x.exp(); }},
      {"neg", [](const Tensor& x) { return -x; }},
      {"tanh", [](const Tensor& x) { return x.tanh(); }},
      {"relu", [](const Tensor& x) { return x.relu(); }},
      {"view", [](const Tensor& x) { return x.view({-1}); }},
      {"permute", [](const Tensor& x) { return x.permute({1, 0}); }},
      {"unsqueeze", [](const Tensor& x) { return x.unsqueeze(0); }},
      {"expand", [](const Tensor& x) { return x.unsqueeze(0).expand({2, x.size(0), x.size(1)}); }},
      {"clone", [](const Tensor& x) { return x.clone(); }},
      {"select", [](const Tensor& x) { return x[1]; }},
      {"transpose", [](const Tensor& x) { return x.transpose(0, 1); }},
      {"slice_step", [](const Tensor& x) { return x.slice(1, 0, x.size(1), 2); }},
  };
  return m;
}

std::vector<json> load_cases() {
  std::ifstream f(std::string(EMBER_GOLDEN_DIR) + "/print/cases.json");
  if (!f) return {};
  auto j = json::parse(f);
  return j.at("cases").get<std::vector<json>>();
}

class PrintGolden : public ::testing::TestWithParam<json> {};

TEST_P(PrintGolden, MatchesPyTorchRepr) {
  const json& c = GetParam();
  Tensor t = build(c);
  std::string op = c.at("op");
  if (!op.empty()) {
    ASSERT_TRUE(ops().count(op)) << "op " << op << " missing from the test's table";
    t = ops().at(op)(t);
  }
  EXPECT_EQ(to_string(t), c.at("repr").get<std::string>());
  std::ostringstream os;
  os << t;
  EXPECT_EQ(os.str(), to_string(t));
}

INSTANTIATE_TEST_SUITE_P(Print, PrintGolden, ::testing::ValuesIn(load_cases()),
                         [](const ::testing::TestParamInfo<json>& info) { return info.param.at("name").get<std::string>(); });

TEST(Print, GoldenFileIsPresent) { EXPECT_GT(load_cases().size(), 50u); }

TEST(Print, UndefinedTensorDoesNotThrow) { EXPECT_EQ(to_string(Tensor()), "tensor(undefined)"); }

TEST(Print, HugeTensorPrintsOnlyEdges) {
  // 4M elements: printing must not materialise them (and must stay quick).
  Tensor t = zeros({2000, 2000});
  std::string s = to_string(t);
  EXPECT_EQ(s.substr(0, 40), "tensor([[0., 0., 0.,  ..., 0., 0., 0.],\n");
  EXPECT_LT(s.size(), 400u);
}

TEST(Print, RetainGradKeepsNodeName) {
  Tensor x = ones({2}).requires_grad_();
  Tensor y = x * 2.0;
  y.retain_grad();
  EXPECT_EQ(to_string(y), "tensor([2., 2.], grad_fn=<MulBackward0>)");
}

}  // namespace
