// Creation ops: golden values (tests/golden/creation.json via the op registry, compared exactly),
// options, from_blob ownership, tensor(), and the errors each factory raises.
#include <gtest/gtest.h>

#include "op_registry.h"

using namespace ember;
using json = nlohmann::json;

namespace {

Scalar scalar_of(const json& v) {
  if (v.is_boolean()) return Scalar(v.get<bool>());
  if (v.is_number_integer()) return Scalar(v.get<long>());
  return Scalar(v.get<double>());
}

DType dtype_or(const json& kw, DType def) {
  if (!kw.contains("dtype")) return def;
  std::string s = kw.at("dtype");
  for (DType d : {kBool, kInt32, kInt64, kFloat32, kFloat64})
    if (s == dtype_name(d)) return d;
  throw Error("unknown dtype " + s);
}

using In = const std::vector<Tensor>&;
EMBER_REGISTER_OP("arange", [](In, const json& kw) {
  const json& a = kw.at("args");
  if (kw.contains("dtype")) {
    Scalar start = a.size() > 1 ? scalar_of(a[0]) : Scalar(0);
    Scalar end = a.size() > 1 ? scalar_of(a[1]) : scalar_of(a[0]);
    Scalar step = a.size() > 2 ? scalar_of(a[2]) : Scalar(1);
    return arange(start, end, step, dtype_or(kw, kFloat32));
  }
  if (a.size() == 1) return arange(scalar_of(a[0]));
  return arange(scalar_of(a[0]), scalar_of(a[1]), a.size() > 2 ? scalar_of(a[2]) : Scalar(1));
});
EMBER_REGISTER_OP("linspace", [](In, const json& kw) {
  return linspace(kw.at("start").get<double>(), kw.at("end").get<double>(), kw.at("steps").get<int64_t>(),
                  dtype_or(kw, kFloat32));
});
EMBER_REGISTER_OP("eye", [](In, const json& kw) {
  std::optional<int64_t> m;
  if (kw.contains("m")) m = kw.at("m").get<int64_t>();
  return eye(kw.at("n").get<int64_t>(), m, dtype_or(kw, kFloat32));
});
EMBER_REGISTER_OP("full", [](In, const json& kw) {
  return full(kw.at("shape").get<Shape>(), scalar_of(kw.at("value")), dtype_or(kw, kFloat32));
});
EMBER_REGISTER_OP("zeros", [](In, const json& kw) { return zeros(kw.at("shape").get<Shape>(), dtype_or(kw, kFloat32)); });
EMBER_REGISTER_OP("ones", [](In, const json& kw) { return ones(kw.at("shape").get<Shape>(), dtype_or(kw, kFloat32)); });

}  // namespace

TEST(Creation, OptionsAndLikes) {
  Tensor a = zeros({2, 3}, TensorOptions(kFloat64).with_requires_grad());
  EXPECT_EQ(a.dtype(), kFloat64);
  EXPECT_TRUE(a.requires_grad());
  EXPECT_TRUE(a.is_leaf());
  EXPECT_TRUE(a.is_contiguous());
  Tensor b = full_like(a, 2.5);
  EXPECT_EQ(b.shape(), a.shape());
  EXPECT_EQ(b.dtype(), kFloat64);
  EXPECT_FALSE(b.requires_grad()) << "*_like copies shape and dtype, not requires_grad";
  EXPECT_EQ(ones_like(a).to_vector<double>(), std::vector<double>(6, 1.0));
  EXPECT_EQ(zeros_like(b).to_vector<double>(), std::vector<double>(6, 0.0));
  EXPECT_EQ(empty_like(b).shape(), (Shape{2, 3}));
  EXPECT_EQ(empty({0}).numel(), 0);
  EXPECT_EQ(scalar_tensor(3).dim(), 0);
  EXPECT_EQ(scalar_tensor(3, kInt64).item<int64_t>(), 3);
  EXPECT_EQ(full({2}, 1e10, kInt64).to_vector<int64_t>(), (std::vector<int64_t>{10000000000, 10000000000}));
  EXPECT_EQ(rand({2, 3}).shape(), (Shape{2, 3}));
  EXPECT_EQ(randn({4}, kFloat64).dtype(), kFloat64);
  EXPECT_EQ(randint(0, 5, {7}, kInt32).dtype(), kInt32);
  EXPECT_EQ(rand_like(b).dtype(), kFloat64);
  EXPECT_EQ(randn_like(b).shape(), b.shape());
}

TEST(Creation, TensorFromValues) {
  Tensor t = tensor({1, 2, 3, 4, 5, 6}, {2, 3});
  EXPECT_EQ(t.shape(), (Shape{2, 3}));
  EXPECT_EQ(t.dtype(), kFloat32);
  EXPECT_FLOAT_EQ(t[1][2].item<float>(), 6.f);
  EXPECT_EQ(tensor(std::vector<int64_t>{1, -2}).dtype(), kInt64);
  EXPECT_EQ(tensor(std::vector<int32_t>{1, -2}).dtype(), kInt32);
  EXPECT_EQ(tensor(std::vector<double>{0.5}).dtype(), kFloat64);
  Tensor c = tensor(std::vector<double>{1.7, -2.7}, {2}, kInt64);
  EXPECT_EQ(c.dtype(), kInt64);
  EXPECT_EQ(c.to_vector<int64_t>(), (std::vector<int64_t>{1, -2}));
  Tensor g = tensor(std::vector<float>{1, 2}, {2}, TensorOptions(kFloat32).with_requires_grad());
  EXPECT_TRUE(g.requires_grad());
  // The values are copied: changing the source vector later does not change the tensor.
  std::vector<float> src{1, 2};
  Tensor s = tensor(src);
  src[0] = 9;
  EXPECT_EQ(s.to_vector<float>()[0], 1.f);
}

TEST(Creation, RandomValuesAreInRange) {
  manual_seed(1);
  auto u = rand({10000}).to_vector<float>();
  float lo = 1, hi = 0;
  double mean = 0;
  for (float v : u) lo = std::min(lo, v), hi = std::max(hi, v), mean += v;
  EXPECT_GE(lo, 0.f);
  EXPECT_LT(hi, 1.f);
  EXPECT_NEAR(mean / u.size(), 0.5, 0.02);
  auto n = randn({20000}, kFloat64).to_vector<double>();
  double m = 0, sq = 0;
  for (double v : n) m += v, sq += v * v;
  m /= n.size();
  EXPECT_NEAR(m, 0.0, 0.03);
  EXPECT_NEAR(sq / n.size() - m * m, 1.0, 0.05);
  auto r = randint(-3, 4, {5000}).to_vector<int64_t>();
  std::vector<int> counts(7, 0);
  for (auto v : r) {
    ASSERT_GE(v, -3);
    ASSERT_LT(v, 4);
    ++counts[v + 3];
  }
  for (int c : counts) EXPECT_GT(c, 550) << "each of the 7 values should appear about 714 times";
  auto p = randperm(50).to_vector<int64_t>();
  std::vector<int64_t> sorted = p;
  std::sort(sorted.begin(), sorted.end());
  for (int64_t i = 0; i < 50; ++i) EXPECT_EQ(sorted[i], i);
  EXPECT_NE(p, sorted) << "a random permutation of 50 is not the identity";
  EXPECT_EQ(randperm(0).numel(), 0);
  EXPECT_EQ(randperm(1).to_vector<int64_t>(), (std::vector<int64_t>{0}));
  auto bern = bernoulli(tensor({0.0, 1.0, 0.0, 1.0})).to_vector<float>();
  EXPECT_EQ(bern, (std::vector<float>{0, 1, 0, 1}));
}

TEST(Creation, FromBlobWrapsWithoutCopyingAndCallsTheDeleterOnce) {
  std::vector<float> buf{1, 2, 3, 4, 5, 6};
  int deleted = 0;
  {
    Tensor t = from_blob(buf.data(), {2, 3}, kFloat32, [&](void* p) {
      EXPECT_EQ(p, buf.data());
      ++deleted;
    });
    EXPECT_EQ(t.raw_data(), buf.data());
    Tensor v = t.t();
    t = Tensor();
    EXPECT_EQ(deleted, 0) << "a view keeps the blob alive";
    {
      NoGradGuard ng;
      v.mul_(2.0);
    }
    EXPECT_EQ(buf[1], 4.f) << "writes go to the caller's buffer";
  }
  EXPECT_EQ(deleted, 1);
  Tensor no_deleter = from_blob(buf.data(), {6}, kFloat32);
  EXPECT_EQ(no_deleter.to_vector<float>()[5], 12.f);
  EXPECT_EQ(from_blob(nullptr, {0, 2}, kFloat32).numel(), 0);
}

TEST(CreationErrors, NameTheOpAndTheBadValue) {
  EXPECT_EMBER_ERROR(zeros({2, -1}), "negative dimension", "[2, -1]");
  EXPECT_EMBER_ERROR(full({-3}, 1.0), "negative dimension", "[-3]");
  EXPECT_EMBER_ERROR(arange(0, 5, 0), "arange", "step must be nonzero");
  EXPECT_EMBER_ERROR(arange(5, 0, 1), "arange", "upper bound", "lower bound", "step sign");
  EXPECT_EMBER_ERROR(arange(0, 5, -1), "arange", "step sign");
  EXPECT_EMBER_ERROR(arange(0, 5, 1, kBool), "arange", "bool");
  EXPECT_EMBER_ERROR(linspace(0, 1, -1), "linspace", "non-negative", "-1");
  EXPECT_EMBER_ERROR(eye(-1), "eye", "non-negative", "-1");
  EXPECT_EMBER_ERROR(eye(2, -3), "eye", "-3");
  EXPECT_EMBER_ERROR(rand({2}, kInt64), "rand", "int64");
  EXPECT_EMBER_ERROR(randn({2}, kInt32), "randn", "int32");
  EXPECT_EMBER_ERROR(randint(3, 3, {2}), "randint", "low (3)", "high (3)");
  EXPECT_EMBER_ERROR(randint(0, 3, {2}, kBool), "randint", "bool");
  EXPECT_EMBER_ERROR(randperm(-2), "randperm", "-2");
  EXPECT_EMBER_ERROR(bernoulli(ones({2}, kInt64)), "bernoulli", "int64");
  EXPECT_EMBER_ERROR(tensor({1, 2, 3}, {2, 2}), "tensor", "3 values", "[2, 2]");
  EXPECT_EMBER_ERROR(from_blob(nullptr, {2}, kFloat32), "from_blob", "null");
  EXPECT_EMBER_ERROR(zeros({2}, TensorOptions(kInt64).with_requires_grad()), "requires_grad_", "floating-point");
}
