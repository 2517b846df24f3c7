// Replays every case of every tests/golden/*.json file through the op registry.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "op_registry.h"

namespace ember::test {

std::map<std::string, OpFn>& op_registry() {
  static std::map<std::string, OpFn> r;
  return r;
}

namespace {
DType parse_dtype(const std::string& s) {
  if (s == "float32") return kFloat32;
  if (s == "float64") return kFloat64;
  if (s == "int32") return kInt32;
  if (s == "int64") return kInt64;
  if (s == "bool") return kBool;
  throw Error("golden: unknown dtype " + s);
}
}  // namespace

Tensor from_json(const nlohmann::json& j, bool noncontig) {
  Shape shape = j.at("shape").get<Shape>();
  DType dt = parse_dtype(j.at("dtype").get<std::string>());
  std::vector<double> data;
  for (auto& v : j.at("data")) {
    if (v.is_string()) data.push_back(std::stod(v.get<std::string>()));  // "inf", "-inf", "nan"
    else data.push_back(v.is_boolean() ? (v.get<bool>() ? 1.0 : 0.0) : v.get<double>());
  }
  Tensor t = tensor(data, shape.empty() ? Shape{} : shape).to(dt);
  if (shape.empty()) t = t.reshape({});
  if (noncontig && !shape.empty()) {
    // Same values in every other slot of a buffer twice as wide along the last dim.
    Shape wide = shape;
    wide.back() *= 2;
    Tensor buf = zeros(wide, dt);
    Tensor view = buf.slice(-1, 0, wide.back(), 2);
    view.copy_(t);
    t = view;
  }
  return t;
}

double gradcheck_error(const OpFn& fn, const std::vector<Tensor>& inputs, const nlohmann::json& kw,
                       const Tensor& grad_output, double eps) {
  std::vector<Tensor> x;
  for (auto& t : inputs) {
    Tensor c = t.is_floating_point() ? t.detach().to(kFloat64).clone() : t;
    if (t.is_floating_point() && t.requires_grad()) c.requires_grad_();
    x.push_back(c);
  }
  Tensor go = grad_output.to(kFloat64);
  Tensor out = fn(x, kw);
  out.backward(go);
  double worst = 0;
  NoGradGuard ng;
  for (auto& xi : x) {
    if (!xi.requires_grad()) continue;
    Tensor analytic = xi.grad().defined() ? xi.grad().contiguous() : zeros_like(xi);
    Tensor flat = xi.view({-1});
    for (int64_t k = 0; k < xi.numel(); ++k) {
      double orig = flat[k].item();
      flat[k].fill_(orig + eps);
      double fp = (fn(x, kw).to(kFloat64) * go).sum().item();
      flat[k].fill_(orig - eps);
      double fm = (fn(x, kw).to(kFloat64) * go).sum().item();
      flat[k].fill_(orig);
      double numeric = (fp - fm) / (2 * eps);
      double a = analytic.view({-1})[k].item();
      worst = std::max(worst, std::abs(a - numeric) / (1.0 + std::abs(numeric)));
    }
  }
  return worst;
}

namespace {

// A case is named at registration and its JSON read only when it runs: ctest starts one process
// per test, and parsing all of tests/golden (2 MB of numbers) in each of them cost about 0.2 s a
// process, most of the unit tests' run time.
struct GoldenCase {
  std::string file;  // e.g. "conv.json"
  size_t index = 0;  // in the file's "cases"
  std::string name;
  const nlohmann::json& j() const;
};

// The files' parsed JSON, each read on first use (one process runs few golden cases).
const nlohmann::json& golden_file(const std::string& file) {
  static std::map<std::string, nlohmann::json> cache;
  auto it = cache.find(file);
  if (it == cache.end()) {
    std::ifstream f(std::filesystem::path(EMBER_GOLDEN_DIR) / file);
    it = cache.emplace(file, nlohmann::json::parse(f)).first;
  }
  return it->second;
}

const nlohmann::json& GoldenCase::j() const { return golden_file(file).at("cases").at(index); }

// SAX handler that keeps only the "name" of each object in the top-level "cases" array: no
// document is built, numbers are only lexed.
struct CaseNames : nlohmann::json_sax<nlohmann::json> {
  std::vector<std::string> names;
  std::vector<char> stack;  // 'o' object, 'a' array, innermost last
  std::string top_key;      // the last key of the top-level object
  bool in_cases = false;    // inside the top-level "cases" array
  bool want_name = false;   // the next string is a case's name

  bool at_case_level() const { return stack.size() == 3 && stack[0] == 'o' && stack[1] == 'a' && in_cases; }
  bool value() { want_name = false; return true; }
  bool null() override { return value(); }
  bool boolean(bool) override { return value(); }
  bool number_integer(number_integer_t) override { return value(); }
  bool number_unsigned(number_unsigned_t) override { return value(); }
  bool number_float(number_float_t, const string_t&) override { return value(); }
  bool binary(binary_t&) override { return value(); }
  bool string(string_t& v) override {
    if (want_name) names.back() = v;
    return value();
  }
  bool start_object(std::size_t) override {
    want_name = false;
    if (stack.size() == 2 && in_cases) names.emplace_back();  // a case begins
    stack.push_back('o');
    return true;
  }
  bool end_object() override {
    stack.pop_back();
    return true;
  }
  bool start_array(std::size_t) override {
    want_name = false;
    if (stack.size() == 1 && top_key == "cases") in_cases = true;
    stack.push_back('a');
    return true;
  }
  bool end_array() override {
    stack.pop_back();
    if (stack.size() == 1) in_cases = false;
    return true;
  }
  bool key(string_t& k) override {
    if (stack.size() == 1) top_key = k;
    want_name = at_case_level() && k == "name";
    return true;
  }
  bool parse_error(std::size_t pos, const std::string&, const nlohmann::detail::exception& e) override {
    throw Error("golden: cannot parse the case names: " + std::string(e.what()) + " at byte " + std::to_string(pos));
  }
};

std::vector<GoldenCase> load_cases() {
  std::vector<GoldenCase> out;
  std::vector<std::filesystem::path> files;
  for (auto& e : std::filesystem::directory_iterator(EMBER_GOLDEN_DIR))
    if (e.path().extension() == ".json") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (auto& p : files) {
    std::ifstream f(p);
    CaseNames sax;
    nlohmann::json::sax_parse(f, &sax);
    for (size_t i = 0; i < sax.names.size(); ++i) {
      if (sax.names[i].empty()) throw Error("golden: case " + std::to_string(i) + " of " + p.string() + " has no name");
      out.push_back({p.filename().string(), i, sax.names[i]});
    }
  }
  return out;
}

void expect_close(const Tensor& got, const nlohmann::json& want, double rtol, double atol, const std::string& what) {
  Tensor w = from_json(want);
  ASSERT_EQ(got.shape(), w.shape()) << what << ": shape";
  ASSERT_EQ(got.dtype(), w.dtype()) << what << ": dtype";
  auto g = got.to_vector<double>(), e = w.to_vector<double>();
  for (size_t i = 0; i < g.size(); ++i) {
    if (std::isnan(e[i])) {
      EXPECT_TRUE(std::isnan(g[i])) << what << " at " << i;
      continue;
    }
    ASSERT_LE(std::abs(g[i] - e[i]), atol + rtol * std::abs(e[i])) << what << " at flat index " << i << ": got " << g[i]
                                                                    << ", PyTorch " << e[i];
  }
}

// Names the case in failure messages (instead of GoogleTest's byte dump of the struct).
void PrintTo(const GoldenCase& c, std::ostream* os) { *os << c.file << ":" << c.name; }

class Golden : public ::testing::TestWithParam<GoldenCase> {};

TEST_P(Golden, MatchesPyTorch) {
  const auto& c = GetParam().j();
  ASSERT_EQ(c.at("name").get<std::string>(), GetParam().name);
  auto it = op_registry().find(c.at("op").get<std::string>());
  ASSERT_NE(it, op_registry().end()) << "op '" << c.at("op") << "' is not registered";
  double rtol = c.value("rtol", 1e-5), atol = c.value("atol", 1e-6);
  for (bool noncontig : {false, true}) {
    if (noncontig && !c.value("noncontig", true)) continue;
    std::string tag = std::string(noncontig ? "non-contiguous " : "") + c.at("name").get<std::string>();
    std::vector<Tensor> in;
    for (auto& spec : c.at("inputs")) {
      Tensor t = from_json(spec, noncontig);
      if (spec.value("requires_grad", false)) t.requires_grad_();
      in.push_back(t);
    }
    Tensor out = it->second(in, c.at("kwargs"));
    expect_close(out, c.at("output"), rtol, atol, tag + " output");
    if (c.contains("grads")) {
      out.backward(from_json(c.at("grad_output")));
      for (size_t k = 0; k < in.size(); ++k) {
        if (c.at("grads")[k].is_null()) continue;
        ASSERT_TRUE(in[k].grad().defined()) << tag << ": input " << k << " got no gradient";
        expect_close(in[k].grad(), c.at("grads")[k], rtol * 10, atol * 10, tag + " grad of input " + std::to_string(k));
      }
    }
  }
}

TEST_P(Golden, FiniteDifferences) {
  const auto& c = GetParam().j();
  if (!c.value("gradcheck", false) || !c.contains("grads")) GTEST_SKIP() << "no gradient for this case";
  auto it = op_registry().find(c.at("op").get<std::string>());
  ASSERT_NE(it, op_registry().end());
  std::vector<Tensor> in;
  for (auto& spec : c.at("inputs")) {
    Tensor t = from_json(spec);
    if (spec.value("requires_grad", false)) t.requires_grad_();
    in.push_back(t);
  }
  double err = gradcheck_error(it->second, in, c.at("kwargs"), from_json(c.at("grad_output")));
  EXPECT_LT(err, 1e-6) << c.at("name");
}

std::string case_name(const ::testing::TestParamInfo<GoldenCase>& info) {
  std::string s = info.param.file.substr(0, info.param.file.size() - 5) + "_" + info.param.name;
  for (auto& ch : s)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return s;
}

INSTANTIATE_TEST_SUITE_P(Ops, Golden, ::testing::ValuesIn(load_cases()), case_name);

}  // namespace
}  // namespace ember::test
