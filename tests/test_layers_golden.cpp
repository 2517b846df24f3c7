// nn layers against torch.nn modules (tests/golden/layers/layers.json, written by
// tests/golden/gen_layers.py): Ember builds each module from the same constructor arguments, must
// have torch's state_dict key names and shapes, loads torch's state_dict and must reproduce the
// outputs, the input and parameter gradients and the updated buffers. Every case is also checked
// by float64 finite differences, and torch's default initializations statistically.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <set>

#include "ember/nn/layers.h"
#include "op_registry.h"

namespace ember::test {
namespace {

using nlohmann::json;

const json& layers_golden() {
  static const json j = [] {
    std::ifstream f(std::string(EMBER_GOLDEN_DIR) + "/layers/layers.json");
    if (!f) throw Error("layers golden file missing; run /usr/bin/python3 tests/golden/gen_layers.py");
    return json::parse(f);
  }();
  return j;
}

// Builds the Ember module for a spec {"type", "args"} written with torch's argument names. An
// argument the builder does not use fails the test, so a case can never silently test defaults.
std::shared_ptr<nn::Module> build(const json& spec) {
  const std::string type = spec.at("type");
  if (type == "Sequential") {
    auto seq = std::make_shared<nn::Sequential>();
    for (auto& c : spec.at("children")) seq->push_back(build(c));
    return seq;
  }
  const json args = spec.value("args", json::object());
  std::set<std::string> used;
  auto has = [&](const char* k) {
    used.insert(k);
    return args.contains(k);
  };
  auto i = [&](const char* k, int64_t d) { return has(k) ? args.at(k).get<int64_t>() : d; };
  auto f = [&](const char* k, double d) { return has(k) ? args.at(k).get<double>() : d; };
  auto b = [&](const char* k, bool d) { return has(k) ? args.at(k).get<bool>() : d; };
  auto shape = [&](const char* k, Shape d) {
    if (!has(k)) return d;
    const json& v = args.at(k);
    return v.is_array() ? v.get<Shape>() : Shape{v.get<int64_t>()};
  };
  auto pair = [&](const char* k, int64_t d) {
    nn::Pair p(d);
    if (has(k)) p.v = args.at(k).is_array() ? args.at(k).get<Shape>() : Shape{args.at(k).get<int64_t>(), args.at(k).get<int64_t>()};
    return p;
  };
  std::shared_ptr<nn::Module> m;
  if (type == "Linear") {
    m = std::make_shared<nn::Linear>(i("in_features", 0), i("out_features", 0), b("bias", true));
  } else if (type == "Conv1d") {
    m = std::make_shared<nn::Conv1d>(i("in_channels", 0), i("out_channels", 0), i("kernel_size", 0), i("stride", 1),
                                     i("padding", 0), i("dilation", 1), i("groups", 1), b("bias", true));
  } else if (type == "Conv2d") {
    m = std::make_shared<nn::Conv2d>(i("in_channels", 0), i("out_channels", 0), pair("kernel_size", 0),
                                     pair("stride", 1), pair("padding", 0), pair("dilation", 1), i("groups", 1),
                                     b("bias", true));
  } else if (type == "ConvTranspose2d") {
    m = std::make_shared<nn::ConvTranspose2d>(i("in_channels", 0), i("out_channels", 0), pair("kernel_size", 0),
                                              pair("stride", 1), pair("padding", 0), pair("output_padding", 0),
                                              i("groups", 1), b("bias", true), pair("dilation", 1));
  } else if (type == "MaxPool2d") {
    nn::Pair k = pair("kernel_size", 0);
    std::optional<nn::Pair> s;
    if (args.contains("stride")) s = pair("stride", 0);
    m = std::make_shared<nn::MaxPool2d>(k, s, pair("padding", 0), pair("dilation", 1), b("ceil_mode", false));
  } else if (type == "AvgPool2d") {
    nn::Pair k = pair("kernel_size", 0);
    std::optional<nn::Pair> s;
    if (args.contains("stride")) s = pair("stride", 0);
    m = std::make_shared<nn::AvgPool2d>(k, s, pair("padding", 0), b("ceil_mode", false),
                                        b("count_include_pad", true));
  } else if (type == "AdaptiveAvgPool2d") {
    m = std::make_shared<nn::AdaptiveAvgPool2d>(pair("output_size", 0));
  } else if (type == "BatchNorm1d") {
    m = std::make_shared<nn::BatchNorm1d>(i("num_features", 0), f("eps", 1e-5), f("momentum", 0.1),
                                          b("affine", true), b("track_running_stats", true));
  } else if (type == "BatchNorm2d") {
    m = std::make_shared<nn::BatchNorm2d>(i("num_features", 0), f("eps", 1e-5), f("momentum", 0.1),
                                          b("affine", true), b("track_running_stats", true));
  } else if (type == "LayerNorm") {
    m = std::make_shared<nn::LayerNorm>(shape("normalized_shape", {}), f("eps", 1e-5), b("elementwise_affine", true));
  } else if (type == "Embedding") {
    std::optional<int64_t> pad;
    if (has("padding_idx")) pad = args.at("padding_idx").get<int64_t>();
    m = std::make_shared<nn::Embedding>(i("num_embeddings", 0), i("embedding_dim", 0), pad);
  } else if (type == "Dropout") {
    m = std::make_shared<nn::Dropout>(f("p", 0.5));
  } else if (type == "Flatten") {
    m = std::make_shared<nn::Flatten>(i("start_dim", 1), i("end_dim", -1));
  } else if (type == "Unflatten") {
    m = std::make_shared<nn::Unflatten>(i("dim", 0), shape("unflattened_size", {}));
  } else if (type == "Identity") {
    m = std::make_shared<nn::Identity>();
  } else if (type == "ReLU") {
    m = std::make_shared<nn::ReLU>();
  } else if (type == "LeakyReLU") {
    m = std::make_shared<nn::LeakyReLU>(f("negative_slope", 0.01));
  } else if (type == "GELU") {
    m = std::make_shared<nn::GELU>(has("approximate") ? args.at("approximate").get<std::string>() : "none");
  } else if (type == "Tanh") {
    m = std::make_shared<nn::Tanh>();
  } else if (type == "Sigmoid") {
    m = std::make_shared<nn::Sigmoid>();
  } else if (type == "SiLU") {
    m = std::make_shared<nn::SiLU>();
  } else if (type == "Softmax") {
    m = std::make_shared<nn::Softmax>(i("dim", 0));
  } else if (type == "LogSoftmax") {
    m = std::make_shared<nn::LogSoftmax>(i("dim", 0));
  } else {
    throw Error("layers golden: no builder for module type " + type);
  }
  for (auto& [k, v] : args.items())
    if (!used.count(k)) throw Error("layers golden: " + type + " builder ignores argument '" + k + "'");
  return m;
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

nn::NamedTensors state_from_json(const json& c) {
  nn::NamedTensors sd;
  for (auto& k : c.at("state_order")) sd.emplace_back(k.get<std::string>(), from_json(c.at("state").at(k.get<std::string>())));
  return sd;
}

void expect_close(const Tensor& got, const json& want, double rtol, double atol, const std::string& what) {
  Tensor w = from_json(want);
  ASSERT_EQ(got.shape(), w.shape()) << what << ": shape";
  ASSERT_EQ(got.dtype(), w.dtype()) << what << ": dtype";
  auto g = got.to_vector<double>(), e = w.to_vector<double>();
  for (size_t k = 0; k < g.size(); ++k)
    ASSERT_LE(std::abs(g[k] - e[k]), atol + rtol * std::abs(e[k]))
        << what << " at flat index " << k << ": Ember " << g[k] << ", PyTorch " << e[k];
}

struct LayerCase {
  json j;
};
void PrintTo(const LayerCase& c, std::ostream* os) { *os << c.j.at("name").get<std::string>(); }

std::vector<LayerCase> layer_cases() {
  std::vector<LayerCase> out;
  for (auto& c : layers_golden().at("cases")) out.push_back({c});
  return out;
}

class LayerGolden : public ::testing::TestWithParam<LayerCase> {};

TEST_P(LayerGolden, StateDictKeysAndShapesMatchTorch) {
  const json& c = GetParam().j;
  auto m = build(c.at("spec"));
  EXPECT_EQ(key_shapes(m->state_dict()), key_shapes(c.at("keys")));
}

// Forward passes with torch's state_dict loaded: outputs, input gradients, parameter gradients
// (accumulated over the passes) and the state afterwards (running statistics, batch count).
// Inputs are given contiguous, then as strided views with the same values.
TEST_P(LayerGolden, MatchesTorch) {
  const json& c = GetParam().j;
  double rtol = c.at("rtol"), atol = c.at("atol");
  for (bool noncontig : {false, true}) {
    std::string tag = std::string(noncontig ? "non-contiguous " : "") + c.at("name").get<std::string>();
    auto m = build(c.at("spec"));
    m->load_state_dict(state_from_json(c));
    m->train(c.at("train").get<bool>());
    for (size_t s = 0; s < c.at("steps").size(); ++s) {
      const json& step = c.at("steps")[s];
      std::string st = tag + " step " + std::to_string(s);
      Tensor x = from_json(step.at("input"), noncontig);
      if (x.is_floating_point()) x.requires_grad_();
      Tensor y = m->forward(x);
      expect_close(y, step.at("output"), rtol, atol, st + " output");
      y.backward(from_json(step.at("grad_output")));
      if (!step.at("input_grad").is_null()) {
        ASSERT_TRUE(x.grad().defined()) << st << ": the input got no gradient";
        expect_close(x.grad(), step.at("input_grad"), rtol, atol, st + " input gradient");
      }
    }
    auto params = m->named_parameters();
    ASSERT_EQ(params.size(), c.at("param_grads").size()) << tag;
    for (auto& [k, p] : params) {
      ASSERT_TRUE(c.at("param_grads").contains(k)) << tag << ": torch has no parameter " << k;
      ASSERT_TRUE(p.grad().defined()) << tag << ": " << k << " got no gradient";
      expect_close(p.grad(), c.at("param_grads").at(k), rtol, atol, tag + " gradient of " + k);
    }
    auto after = m->state_dict();
    ASSERT_EQ(after.size(), c.at("after").size()) << tag;
    for (auto& [k, v] : after) expect_close(v, c.at("after").at(k), rtol, atol, tag + " state " + k + " afterwards");
  }
}

// Central differences in float64 (the module converted with to(kFloat64)) of
// sum(forward(x) * grad_output) against backward's gradients of the input and every parameter.
// An Embedding's padding row gets no gradient by definition: it must be zero instead.
TEST_P(LayerGolden, FiniteDifferences) {
  const json& c = GetParam().j;
  const json& step = c.at("steps")[0];
  auto m = build(c.at("spec"));
  m->load_state_dict(state_from_json(c));
  m->train(c.at("train").get<bool>());
  m->to(kFloat64);
  Tensor x = from_json(step.at("input"));
  if (x.is_floating_point()) x = x.to(kFloat64).requires_grad_();
  Tensor go = from_json(step.at("grad_output")).to(kFloat64);
  m->forward(x).backward(go);
  std::vector<std::pair<std::string, Tensor>> wrt;
  if (x.is_floating_point()) wrt.emplace_back("input", x);
  for (auto& p : m->named_parameters()) wrt.push_back(p);
  ASSERT_FALSE(wrt.empty());
  int64_t pad_row = -1;
  if (c.at("spec").at("type") == "Embedding" && c.at("spec").at("args").contains("padding_idx")) {
    int64_t n = c.at("spec").at("args").at("num_embeddings");
    pad_row = (c.at("spec").at("args").at("padding_idx").get<int64_t>() + n) % n;
  }
  const double eps = 1e-6;
  auto objective = [&] { return (m->forward(x) * go).sum().item(); };
  NoGradGuard ng;
  for (auto& [name, t] : wrt) {
    ASSERT_EQ(t.dtype(), kFloat64) << name;
    ASSERT_TRUE(t.grad().defined()) << name << " got no gradient";
    Tensor analytic = t.grad().contiguous();
    Tensor flat = t.view({-1});
    double worst = 0;
    for (int64_t k = 0; k < t.numel(); ++k) {
      if (pad_row >= 0 && name == "weight" && k / t.size(1) == pad_row) {
        EXPECT_EQ(analytic.view({-1})[k].item(), 0.0) << "the padding row got a gradient";
        continue;
      }
      double orig = flat[k].item();
      flat[k].fill_(orig + eps);
      double fp = objective();
      flat[k].fill_(orig - eps);
      double fm = objective();
      flat[k].fill_(orig);
      double numeric = (fp - fm) / (2 * eps);
      worst = std::max(worst, std::abs(analytic.view({-1})[k].item() - numeric) / (1.0 + std::abs(numeric)));
    }
    EXPECT_LT(worst, 1e-6) << c.at("name").get<std::string>() << ": gradient of " << name;
  }
}

std::string case_name(const ::testing::TestParamInfo<LayerCase>& info) { return info.param.j.at("name"); }

INSTANTIATE_TEST_SUITE_P(Layers, LayerGolden, ::testing::ValuesIn(layer_cases()), case_name);

// ---- default initializations ----

class LayerInit : public ::testing::TestWithParam<LayerCase> {};

// Each parameter is drawn from the distribution torch's reset_parameters uses (the JSON gives the
// distribution; the generator checked torch's own sample against it). Bounds are hard limits;
// moments must sit within 5 standard errors, which a correct sampler misses with probability
// ~1e-6 (and with a fixed seed the outcome is fixed).
TEST_P(LayerInit, DefaultInitializationFollowsTorch) {
  const json& c = GetParam().j;
  manual_seed(7);
  auto m = build(c.at("spec"));
  ASSERT_EQ(key_shapes(m->state_dict()), key_shapes(c.at("keys")));
  for (auto& [k, t] : m->state_dict()) {
    ASSERT_TRUE(c.at("params").contains(k)) << k;
    const json& d = c.at("params").at(k);
    const std::string dist = d.at("dist");
    Tensor v = t.to(kFloat64);
    double n = static_cast<double>(v.numel());
    if (dist == "uniform") {
      double bound = d.at("bound");
      EXPECT_LE(amax(abs(v)).item(), bound) << k;
      // The largest |value| of n uniform draws falls below bound * (1 - 10/n) with probability e^-10.
      if (n >= 100) {
        EXPECT_GE(amax(abs(v)).item(), bound * (1 - 10 / n)) << k;
      }
      EXPECT_LT(std::abs(mean(v).item()), 5 * bound / std::sqrt(3 * n)) << k;
      double second = mean(v * v).item();  // E[U^2] = b^2/3, Var[U^2] = 4 b^4 / 45
      EXPECT_LT(std::abs(second - bound * bound / 3), 5 * bound * bound * std::sqrt(4.0 / 45.0 / n)) << k;
    } else if (dist == "normal") {
      Tensor rows = v;
      if (!d.at("zero_row").is_null()) {
        int64_t z = d.at("zero_row");
        EXPECT_EQ(amax(abs(v.select(0, z))).item(), 0.0) << k << ": the padding row must start at zero";
        rows = cat({v.narrow(0, 0, z), v.narrow(0, z + 1, v.size(0) - z - 1)});
      }
      double rn = static_cast<double>(rows.numel());
      EXPECT_LT(std::abs(mean(rows).item() - d.at("mean").get<double>()), 5 * d.at("std").get<double>() / std::sqrt(rn))
          << k;
      EXPECT_LT(std::abs(ember::std(rows).item() / d.at("std").get<double>() - 1), 5 / std::sqrt(2 * rn)) << k;
    } else {
      ASSERT_EQ(dist, "constant");
      double want = d.at("value");
      EXPECT_EQ(amin(v).item(), want) << k;
      EXPECT_EQ(amax(v).item(), want) << k;
      EXPECT_EQ(t.dtype(), k.ends_with("num_batches_tracked") ? kInt64 : kFloat32) << k;
    }
  }
}

std::vector<LayerCase> init_cases() {
  std::vector<LayerCase> out;
  for (auto& c : layers_golden().at("init")) out.push_back({c});
  return out;
}

INSTANTIATE_TEST_SUITE_P(Layers, LayerInit, ::testing::ValuesIn(init_cases()), case_name);

// ---- bad input: an ember::Error naming the layer (or the op it runs) and the shapes ----

TEST(LayerErrors, BadInputNamesTheLayerAndShapes) {
  EXPECT_EMBER_ERROR(nn::Linear(4, 3).forward(zeros({2, 5})), "Linear", "last dim 4", "[2, 5]");
  EXPECT_EMBER_ERROR(nn::Conv1d(2, 3, 3).forward(zeros({2, 3, 6})), "Conv1d(2, 3", "C = 2 (in_channels)", "[2, 3, 6]");
  EXPECT_EMBER_ERROR(nn::Conv2d(2, 3, 3).forward(zeros({1, 3, 5, 5})), "Conv2d(2, 3", "C = 2", "[1, 3, 5, 5]");
  EXPECT_EMBER_ERROR(nn::Conv2d(2, 3, 3).forward(zeros({2, 5})), "Conv2d(2, 3", "(N, C, H, W)", "[2, 5]");
  EXPECT_EMBER_ERROR(nn::Conv2d(2, 3, 3).forward(zeros({1, 2, 2, 2})), "conv2d", "kernel size 3x3", "[1, 2, 2, 2]",
                     "more padding");
  EXPECT_EMBER_ERROR(nn::ConvTranspose2d(2, 3, 3).forward(zeros({1, 3, 4, 4})), "ConvTranspose2d(2, 3", "C = 2",
                     "[1, 3, 4, 4]");
  EXPECT_EMBER_ERROR(nn::MaxPool2d(2).forward(zeros({1, 1, 1, 1})), "max_pool2d", "[1, 1, 1, 1]");
  EXPECT_EMBER_ERROR(nn::MaxPool2d(2).forward(zeros({4})), "max_pool2d", "(N, C, H, W)", "[4]");
  EXPECT_EMBER_ERROR(nn::AvgPool2d(3, std::nullopt, 2).forward(zeros({1, 1, 4, 4})), "avg_pool2d", "padding [2, 2]",
                     "half of the kernel size");
  EXPECT_EMBER_ERROR(nn::AdaptiveAvgPool2d(2).forward(zeros({4, 4})), "adaptive_avg_pool2d", "[4, 4]");
  EXPECT_EMBER_ERROR(nn::BatchNorm2d(3).forward(zeros({2, 4, 3, 3})), "BatchNorm2d(3", "3 channels (num_features)",
                     "[2, 4, 3, 3]");
  EXPECT_EMBER_ERROR(nn::BatchNorm2d(3).forward(zeros({2, 3, 3})), "BatchNorm2d(3", "(N, C, H, W)", "[2, 3, 3]");
  EXPECT_EMBER_ERROR(nn::BatchNorm1d(3).forward(zeros({2, 3, 4, 4})), "BatchNorm1d(3", "(N, C, L)", "[2, 3, 4, 4]");
  EXPECT_EMBER_ERROR(nn::BatchNorm1d(3).forward(zeros({1, 3})), "batch_norm", "more than 1 value per channel", "[1, 3]");
  EXPECT_EMBER_ERROR(nn::LayerNorm(5).forward(zeros({2, 4})), "layer_norm", "[5]", "[2, 4]");
  EXPECT_EMBER_ERROR(nn::Embedding(5, 3).forward(tensor(std::vector<int64_t>{1, 5})), "embedding", "index 5",
                     "[5, 3]");
  EXPECT_EMBER_ERROR(nn::Embedding(5, 3).forward(zeros({2})), "embedding", "int64", "float32");
  EXPECT_EMBER_ERROR(nn::Softmax(2).forward(zeros({2, 3})), "softmax", "dimension 2", "[-2, 1]");
  EXPECT_EMBER_ERROR(nn::LogSoftmax(-3).forward(zeros({2, 3})), "log_softmax", "dimension -3");
  EXPECT_EMBER_ERROR(nn::Flatten(2, 5).forward(zeros({2, 3})), "flatten", "dimension 2");
  EXPECT_EMBER_ERROR(nn::Unflatten(1, {2, 4}).forward(zeros({2, 6})), "unflatten", "[2, 4]", "[2, 6]");
  EXPECT_EMBER_ERROR(nn::GELU("fast").forward(zeros({2, 3})), "gelu", "'fast'", "'none' or 'tanh'");
  EXPECT_EMBER_ERROR(nn::Dropout(0.5).forward(zeros({2, 3}, kInt64)), "dropout", "int64");
  EXPECT_EMBER_ERROR(nn::Linear(4, 3).forward(zeros({2, 4}, kFloat64)), "linear", "float64", "float32", ".to()");
  nn::Sequential seq{std::make_shared<nn::Linear>(4, 3), std::make_shared<nn::Linear>(4, 3)};
  EXPECT_EMBER_ERROR(seq.forward(zeros({2, 4})), "Linear", "last dim 4", "[2, 3]");
}

TEST(LayerErrors, BadConstructorArgumentsNameTheLayer) {
  EXPECT_EMBER_ERROR(nn::Linear(-1, 3), "Linear", "non-negative", "-1");
  EXPECT_EMBER_ERROR(nn::Conv1d(2, 3, 0), "Conv1d", "kernel_size must be positive", "[0]");
  EXPECT_EMBER_ERROR(nn::Conv1d(2, 3, 3, 1, -1), "Conv1d", "padding must be non-negative", "[-1]");
  EXPECT_EMBER_ERROR(nn::Conv2d(0, 3, 3), "Conv2d", "in_channels must be positive", "0");
  EXPECT_EMBER_ERROR(nn::Conv2d(2, 3, 0), "Conv2d", "kernel_size must be positive", "[0, 0]");
  EXPECT_EMBER_ERROR(nn::Conv2d(2, 3, 3, 0), "Conv2d", "stride must be positive", "[0, 0]");
  EXPECT_EMBER_ERROR(nn::Conv2d(2, 3, {3, 3, 3}), "Conv2d", "kernel_size must be an int or a pair", "[3, 3, 3]");
  EXPECT_EMBER_ERROR(nn::Conv2d(2, 3, 3, 1, 0, {1, 0}), "Conv2d", "dilation must be positive", "[1, 0]");
  EXPECT_EMBER_ERROR(nn::ConvTranspose2d(2, 3, 3, 1, 0, 1), "ConvTranspose2d", "output_padding [1, 1]",
                     "stride [1, 1]", "dilation [1, 1]");
  EXPECT_EMBER_ERROR(nn::ConvTranspose2d(4, 3, 3, 1, 0, 0, 2), "ConvTranspose2d", "divisible by groups (2)");
  EXPECT_EMBER_ERROR(nn::MaxPool2d(0), "MaxPool2d", "kernel_size must be positive");
  EXPECT_EMBER_ERROR(nn::MaxPool2d(2, nn::Pair(0)), "MaxPool2d", "stride must be positive");
  EXPECT_EMBER_ERROR(nn::AvgPool2d(2, std::nullopt, -1), "AvgPool2d", "padding must be non-negative", "[-1, -1]");
  EXPECT_EMBER_ERROR(nn::BatchNorm2d(0), "BatchNorm2d", "num_features must be positive", "0");
  EXPECT_EMBER_ERROR(nn::BatchNorm1d(-2), "BatchNorm1d", "num_features must be positive", "-2");
  EXPECT_EMBER_ERROR(nn::LayerNorm(Shape{}), "LayerNorm", "at least one trailing dim");
  EXPECT_EMBER_ERROR(nn::LayerNorm(Shape{3, 0}), "LayerNorm", "positive", "[3, 0]");
  EXPECT_EMBER_ERROR(nn::Embedding(5, -1), "Embedding", "embedding_dim must be positive", "-1");
  EXPECT_EMBER_ERROR(nn::Embedding(0, 3), "Embedding", "num_embeddings must be positive", "0");
  EXPECT_EMBER_ERROR(nn::Embedding(5, 3, -6), "Embedding", "padding_idx -6", "num_embeddings (5)");
  EXPECT_EMBER_ERROR(nn::Dropout(-0.1), "Dropout", "between 0 and 1", "-0.1");
  EXPECT_EMBER_ERROR(nn::Unflatten(1, {-1, -1}), "Unflatten", "at most one size may be -1", "[-1, -1]");
  EXPECT_EMBER_ERROR(nn::Unflatten(1, {0, 3}), "Unflatten", "positive sizes", "[0, 3]");
}

// ---- Module::to ----

TEST(ModuleTo, ConvertsParametersGradsAndFloatBuffersInPlace) {
  manual_seed(3);
  nn::Sequential seq{std::make_shared<nn::Linear>(3, 2), std::make_shared<nn::BatchNorm1d>(2)};
  auto lin = std::dynamic_pointer_cast<nn::Linear>(seq[0]);
  Tensor w32 = lin->weight.clone();
  seq.forward(randn({4, 3})).sum().backward();
  Tensor handle = lin->weight;  // another handle to the same parameter
  seq.to(kFloat64);
  EXPECT_EQ(handle.dtype(), kFloat64);  // same TensorImpl: every handle sees the conversion
  EXPECT_TRUE(handle.is_same(seq.named_parameters()[0].second));
  EXPECT_TRUE(handle.requires_grad());
  EXPECT_TRUE(handle.is_leaf());
  EXPECT_EQ(handle.grad().dtype(), kFloat64);
  EXPECT_TRUE(ember::equal(handle.to(kFloat32), w32));
  auto buffers = seq.named_buffers();
  ASSERT_EQ(buffers.size(), 3u);
  EXPECT_EQ(buffers[0].second.dtype(), kFloat64);  // running_mean
  EXPECT_EQ(buffers[2].second.dtype(), kInt64);    // num_batches_tracked stays an integer
  Tensor y = seq.forward(randn({4, 3}).to(kFloat64));
  EXPECT_EQ(y.dtype(), kFloat64);
  y.sum().backward();
  EXPECT_EQ(handle.grad().dtype(), kFloat64);
  seq.to(kFloat32);
  EXPECT_EQ(handle.dtype(), kFloat32);
  EXPECT_EMBER_ERROR(seq.to(kInt64), "Sequential.to", "floating-point", "int64");
}

}  // namespace
}  // namespace ember::test
