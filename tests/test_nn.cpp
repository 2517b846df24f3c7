// nn::Module and layers: registration, state_dict names, loading errors, printing, initialization.
#include <gtest/gtest.h>

#include <sstream>

#include "ember/models/mnist_cnn.h"
#include "ember/nn/init.h"
#include "ember/nn/layers.h"
#include "op_registry.h"

using namespace ember;

namespace {
std::vector<std::string> keys(const nn::NamedTensors& v) {
  std::vector<std::string> k;
  for (auto& [n, t] : v) k.push_back(n);
  return k;
}
}  // namespace

TEST(Module, SeedNetHasPyTorchKeyNames) {
  models::MnistCNN net;
  EXPECT_EQ(keys(net.state_dict()), (std::vector<std::string>{"conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias",
                                                             "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"}));
  EXPECT_EQ(net.num_parameters(), 320 + 18496 + 1179776 + 1290);
  for (auto& p : net.parameters()) EXPECT_TRUE(p.requires_grad());
}

TEST(Module, SeedNetForwardShapesAndWrongFlattenSize) {
  manual_seed(0);
  models::MnistCNN net;
  Tensor x = randn({2, 1, 28, 28});
  Tensor y = net.forward(x);
  EXPECT_EQ(y.shape(), (Shape{2, 10}));
  // log-probabilities: rows sum to 1 after exp
  auto s = ember::exp(y).sum({1}).to_vector<float>();
  EXPECT_NEAR(s[0], 1.0f, 1e-5);
  // The seed's 64 * 7 * 7 is wrong for 28x28 input: a clear shape error, not a crash.
  models::MnistCNN wrong(64 * 7 * 7);
  EXPECT_EMBER_ERROR(wrong.forward(randn({64, 1, 28, 28})), "view", "3136", "[64, 64, 12, 12]");
}

TEST(Module, TrainEvalPropagates) {
  auto seq = std::make_shared<nn::Sequential>(std::initializer_list<std::shared_ptr<nn::Module>>{
      std::make_shared<nn::Linear>(4, 3), std::make_shared<nn::ReLU>(), std::make_shared<nn::Dropout>(0.5)});
  seq->eval();
  for (auto& m : seq->children()) EXPECT_FALSE(m->is_training());
  seq->train();
  EXPECT_TRUE((*seq)[2]->is_training());
  EXPECT_EQ(keys(seq->state_dict()), (std::vector<std::string>{"0.weight", "0.bias"}));
}

TEST(Module, LoadStateDictRoundTripAndErrors) {
  manual_seed(1);
  nn::Linear a(3, 2), b(3, 2);
  b.load_state_dict(a.state_dict());
  EXPECT_TRUE(ember::equal(a.weight, b.weight));
  nn::Linear c(4, 2);
  EXPECT_EMBER_ERROR(c.load_state_dict(a.state_dict()), "size mismatch for weight", "[2, 3]", "[2, 4]");
  nn::NamedTensors missing = {{"weight", a.weight}};
  EXPECT_EMBER_ERROR(b.load_state_dict(missing), "missing key(s)", "\"bias\"");
  b.load_state_dict(missing, /*strict=*/false);
  nn::NamedTensors extra = a.state_dict();
  extra.emplace_back("running_mean", zeros({2}));
  EXPECT_EMBER_ERROR(b.load_state_dict(extra), "unexpected key(s)", "\"running_mean\"");
}

TEST(Module, BatchNormBuffersInStateDict) {
  nn::BatchNorm2d bn(4);
  EXPECT_EQ(keys(bn.state_dict()), (std::vector<std::string>{"weight", "bias", "running_mean", "running_var",
                                                            "num_batches_tracked"}));
  EXPECT_EQ(bn.parameters().size(), 2u);
}

TEST(Module, PrintsLikePyTorch) {
  models::MnistCNN net;
  std::ostringstream os;
  os << net;
  std::string s = os.str();
  EXPECT_NE(s.find("Net(\n  (conv1): Conv2d(1, 32, kernel_size=(3, 3), stride=(1, 1))"), std::string::npos) << s;
  EXPECT_NE(s.find("(fc2): Linear(in_features=128, out_features=10, bias=True)"), std::string::npos) << s;
  EXPECT_NE(s.find("Total parameters: 1199882"), std::string::npos) << s;
}

TEST(Module, DuplicateAndBadNamesRejected) {
  nn::Module m;
  m.register_parameter("w", zeros({2}));
  EXPECT_EMBER_ERROR(m.register_parameter("w", zeros({2})), "already exists");
  EXPECT_EMBER_ERROR(m.register_buffer("a.b", zeros({2})), "contain no '.'");
}

TEST(Init, DefaultLinearInitMatchesPyTorchBounds) {
  manual_seed(0);
  nn::Linear l(100, 50);
  double bound = 1.0 / std::sqrt(100.0);
  auto w = l.weight.to_vector<float>();
  float lo = *std::min_element(w.begin(), w.end()), hi = *std::max_element(w.begin(), w.end());
  EXPECT_GE(lo, -bound);
  EXPECT_LE(hi, bound);
  EXPECT_LT(lo, -0.9 * bound);  // spans the range
  EXPECT_GT(hi, 0.9 * bound);
}

TEST(Init, KaimingNormalStd) {
  manual_seed(0);
  Tensor w = empty({256, 512});
  nn::init::kaiming_normal_(w, 0.0, "fan_in", "relu");
  double sd = ember::std(w).item();
  EXPECT_NEAR(sd, std::sqrt(2.0 / 512), 0.002);
  EXPECT_EMBER_ERROR(nn::init::kaiming_normal_(w, 0.0, "fan_middle"), "fan_in");
  Tensor v = empty({3});
  EXPECT_EMBER_ERROR(nn::init::xavier_uniform_(v), "fewer than 2 dims");
}

TEST(Layers, ConstructorErrors) {
  EXPECT_EMBER_ERROR(nn::Conv2d(3, 4, 3, 1, 0, 1, 2), "divisible by groups");
  EXPECT_EMBER_ERROR(nn::Dropout(1.5), "between 0 and 1");
  EXPECT_EMBER_ERROR(nn::Embedding(10, 4, 10), "padding_idx");
  nn::Linear l(3, 2);
  EXPECT_EMBER_ERROR(l.forward(zeros({4, 5})), "Linear", "[4, 5]", "in_features");
}
