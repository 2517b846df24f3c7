// Dtypes: promotion (promote_types, result_type, op output dtypes) and conversions (float16 and
// bfloat16 rounding, int <-> float, bool) against PyTorch's values in tests/golden/dtype/*.json
// (regenerate with tests/golden/gen_dtype.py).
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <fstream>
#include <limits>

#include "core/op_helpers.h"
#include "op_registry.h"

using namespace ember;
using json = nlohmann::json;

namespace {

json load(const char* file) {
  std::ifstream f(std::string(EMBER_GOLDEN_DIR) + "/dtype/" + file);
  EXPECT_TRUE(f.good()) << "missing golden file dtype/" << file;
  return f ? json::parse(f) : json::object();
}

DType parse(const std::string& s) {
  for (DType d : {kBool, kInt32, kInt64, kFloat16, kBFloat16, kFloat32, kFloat64})
    if (s == dtype_name(d)) return d;
  throw Error("unknown dtype " + s);
}

double number(const json& v) {
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_string()) {
    auto s = v.get<std::string>();
    return s == "nan" ? std::numeric_limits<double>::quiet_NaN() : s == "inf" ? INFINITY : -INFINITY;
  }
  return v.get<double>();
}

Tensor filled(DType d, const Shape& shape) { return ones(shape, d); }

bool is_nan16(uint16_t bits, int mantissa_bits) {
  uint16_t exp_mask = static_cast<uint16_t>((0x7fff >> mantissa_bits) << mantissa_bits);
  return (bits & exp_mask) == exp_mask && (bits & ((1u << mantissa_bits) - 1)) != 0;
}

}  // namespace

TEST(DType, PromoteTypesMatchesPyTorch) {
  json j = load("promotion.json");
  int checked = 0;
  for (auto& [a, row] : j.at("promote_types").items())
    for (auto& [b, r] : row.items()) {
      EXPECT_STREQ(dtype_name(promote_types(parse(a), parse(b))), r.get<std::string>().c_str()) << a << " with " << b;
      ++checked;
    }
  EXPECT_EQ(checked, 49);
}

TEST(DType, ResultTypeOfTensorsMatchesPyTorch) {
  json j = load("promotion.json");
  for (auto& c : j.at("result_type")) {
    DType a = parse(c.at("a")), b = parse(c.at("b"));
    Tensor ta = filled(a, c.at("a_dim").get<int>() ? Shape{2} : Shape{});
    Tensor tb = filled(b, c.at("b_dim").get<int>() ? Shape{2} : Shape{});
    EXPECT_STREQ(dtype_name(result_type(ta, tb)), c.at("result").get<std::string>().c_str())
        << c.at("a") << " (dim " << c.at("a_dim") << ") with " << c.at("b") << " (dim " << c.at("b_dim") << ")";
  }
  for (auto& c : j.at("scalar_result_type")) {
    DType a = parse(c.at("a"));
    Tensor ta = filled(a, c.at("a_dim").get<int>() ? Shape{2} : Shape{});
    std::string kind = c.at("scalar");
    Scalar s = kind == "bool" ? Scalar(true) : kind == "int" ? Scalar(2) : Scalar(2.5);
    EXPECT_STREQ(dtype_name(result_type(ta, detail::wrap_scalar(s))), c.at("result").get<std::string>().c_str())
        << c.at("a") << " (dim " << c.at("a_dim") << ") with a " << kind << " scalar";
  }
}

TEST(DType, BinaryOpsComputeInThePromotedType) {
  json j = load("promotion.json");
  const DType compute[] = {kBool, kInt32, kInt64, kFloat32, kFloat64};
  for (DType a : compute)
    for (DType b : compute) {
      std::string want = j.at("promote_types").at(dtype_name(a)).at(dtype_name(b));
      Tensor x = ones({2}, a), y = ones({3, 1}, b);
      EXPECT_STREQ(dtype_name((x * y).dtype()), want.c_str()) << dtype_name(a) << " * " << dtype_name(b);
      EXPECT_STREQ(dtype_name(ember::maximum(x, y).dtype()), want.c_str());
      EXPECT_EQ((x * y).shape(), (Shape{3, 2}));
    }
  // Scalars and 0-dim tensors do not widen a dimensioned tensor of the same kind.
  EXPECT_EQ((ones({2}, kInt32) * 3).dtype(), kInt32);
  EXPECT_EQ((ones({2}, kInt32) * 2.5).dtype(), kFloat32);
  EXPECT_EQ((ones({2}) * 2.5).dtype(), kFloat32);
  EXPECT_EQ((ones({2}) + ones({}, kFloat64)).dtype(), kFloat32);
  EXPECT_EQ((ones({2}, kInt64) + ones({}, kFloat64)).dtype(), kFloat64);
  EXPECT_EQ((ones({2}, kBool) + 1).dtype(), kInt64);
  EXPECT_EQ((ones({2}, kInt64) / ones({2}, kInt64)).dtype(), kFloat32) << "true division";
}

TEST(DType, HalfAndBFloat16RoundingMatchesPyTorch) {
  json j = load("conversion.json").at("halves");
  auto in = j.at("float32_bits").get<std::vector<uint32_t>>();
  auto h = j.at("float16_bits").get<std::vector<uint16_t>>();
  auto hb = j.at("float16_back_bits").get<std::vector<uint32_t>>();
  auto b = j.at("bfloat16_bits").get<std::vector<uint16_t>>();
  auto bb = j.at("bfloat16_back_bits").get<std::vector<uint32_t>>();
  ASSERT_GT(in.size(), 200u);
  std::vector<float> values;
  for (size_t i = 0; i < in.size(); ++i) {
    float f = std::bit_cast<float>(in[i]);
    values.push_back(f);
    Half hv(f);
    BFloat16 bv(f);
    if (std::isnan(f)) {
      // NaN payload/sign may differ; it must stay a NaN.
      EXPECT_TRUE(is_nan16(hv.bits, 10)) << std::hex << hv.bits;
      EXPECT_TRUE(is_nan16(bv.bits, 7)) << std::hex << bv.bits;
      EXPECT_TRUE(std::isnan(static_cast<float>(hv)));
      EXPECT_TRUE(std::isnan(static_cast<float>(bv)));
      continue;
    }
    EXPECT_EQ(hv.bits, h[i]) << "float16 of " << f << " (float32 bits 0x" << std::hex << in[i] << ")";
    EXPECT_EQ(bv.bits, b[i]) << "bfloat16 of " << f << " (float32 bits 0x" << std::hex << in[i] << ")";
    EXPECT_EQ(std::bit_cast<uint32_t>(static_cast<float>(hv)), hb[i]) << "float16 back to float32 of " << f;
    EXPECT_EQ(std::bit_cast<uint32_t>(static_cast<float>(bv)), bb[i]) << "bfloat16 back to float32 of " << f;
  }
  // The tensor path (Tensor::to) gives the same bits.
  Tensor t = tensor(values);
  Tensor th = t.to(kFloat16), tb = t.to(kBFloat16);
  for (size_t i = 0; i < values.size(); ++i) {
    if (std::isnan(values[i])) continue;
    EXPECT_EQ(th.data_ptr<Half>()[i].bits, h[i]);
    EXPECT_EQ(tb.data_ptr<BFloat16>()[i].bits, b[i]);
  }
  auto back = th.to(kFloat32).to_vector<float>();
  for (size_t i = 0; i < values.size(); ++i)
    if (!std::isnan(values[i])) EXPECT_EQ(std::bit_cast<uint32_t>(back[i]), hb[i]);
}

TEST(DType, HalfFromFloat64GoesThroughFloat32LikePyTorch) {
  json j = load("conversion.json").at("halves_from_float64");
  auto d = j.at("float64").get<std::vector<double>>();
  auto h = j.at("float16_bits").get<std::vector<uint16_t>>();
  auto b = j.at("bfloat16_bits").get<std::vector<uint16_t>>();
  Tensor t = tensor(d);
  Tensor th = t.to(kFloat16), tb = t.to(kBFloat16);
  for (size_t i = 0; i < d.size(); ++i) {
    EXPECT_EQ(th.data_ptr<Half>()[i].bits, h[i]) << d[i];
    EXPECT_EQ(tb.data_ptr<BFloat16>()[i].bits, b[i]) << d[i];
  }
}

TEST(DType, EverySixteenBitPatternRoundTrips) {
  for (uint32_t bits = 0; bits <= 0xffff; ++bits) {
    Half h;
    h.bits = static_cast<uint16_t>(bits);
    BFloat16 b;
    b.bits = static_cast<uint16_t>(bits);
    if (!is_nan16(h.bits, 10)) ASSERT_EQ(Half(static_cast<float>(h)).bits, h.bits) << std::hex << bits;
    if (!is_nan16(b.bits, 7)) ASSERT_EQ(BFloat16(static_cast<float>(b)).bits, b.bits) << std::hex << bits;
  }
}

TEST(DType, CastsMatchPyTorch) {
  json j = load("conversion.json");
  ASSERT_GT(j.at("casts").size(), 15u);
  for (auto& c : j.at("casts")) {
    DType from = parse(c.at("from")), to = parse(c.at("to"));
    std::string what = c.at("from").get<std::string>() + " -> " + c.at("to").get<std::string>();
    Tensor src;
    if (is_integral(from)) src = tensor(c.at("in").get<std::vector<int64_t>>()).to(from);
    else {
      std::vector<double> v;
      for (auto& x : c.at("in")) v.push_back(number(x));
      src = tensor(v).to(from);
    }
    Tensor out = src.to(to);
    ASSERT_EQ(out.dtype(), to) << what;
    if (is_integral(to)) {
      auto got = out.to_vector<int64_t>();
      auto want = c.at("out").get<std::vector<int64_t>>();
      EXPECT_EQ(got, want) << what;
    } else {
      auto got = out.to_vector<double>();
      for (size_t i = 0; i < got.size(); ++i) {
        double want = number(c.at("out")[i]);
        if (std::isnan(want)) EXPECT_TRUE(std::isnan(got[i])) << what << " at " << i;
        else EXPECT_EQ(std::bit_cast<uint64_t>(got[i]), std::bit_cast<uint64_t>(want))
            << what << " at " << i << ": got " << got[i] << ", PyTorch " << want;
      }
    }
  }
}

TEST(DType, NamesSizesAndKinds) {
  EXPECT_EQ(itemsize(kBool), 1u);
  EXPECT_EQ(itemsize(kFloat16), 2u);
  EXPECT_EQ(itemsize(kBFloat16), 2u);
  EXPECT_EQ(itemsize(kInt32), 4u);
  EXPECT_EQ(itemsize(kFloat64), 8u);
  EXPECT_STREQ(dtype_name(kBFloat16), "bfloat16");
  EXPECT_TRUE(is_floating(kFloat16));
  EXPECT_FALSE(is_floating(kInt64));
  EXPECT_TRUE(is_integral(kBool, true));
  EXPECT_FALSE(is_integral(kBool));
  EXPECT_FALSE(is_compute_dtype(kBFloat16));
}

TEST(DTypeErrors, StorageTypesAndDataPtr) {
  Tensor h = ones({2}, kFloat16);
  EXPECT_EMBER_ERROR(h * h, "mul", "float16", ".to(ember::kFloat32)");
  EXPECT_EMBER_ERROR(h.exp(), "exp", "float16");
  EXPECT_EMBER_ERROR(ones({2}).data_ptr<double>(), "data_ptr", "float32", "float64");
  EXPECT_EMBER_ERROR(ones({2}).item(), "item", "2 elements", "[2]");
  EXPECT_EQ(ones({}, kBFloat16).item(), 1.0);
  EXPECT_EQ(ones({}, kBFloat16).to(kInt64).item<int64_t>(), 1);
}
