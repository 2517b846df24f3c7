// safetensors: round trips, a file written by an independent Python writer, C++ output checked by
// that Python reader, atomic writes under failure, and validation of damaged files.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "op_registry.h"

using namespace ember;
namespace fs = std::filesystem;

namespace {

const std::string kRefDir = std::string(EMBER_GOLDEN_DIR) + "/safetensors";

// A fresh directory per test, removed afterwards.
class Safetensors : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("ember_st_" + std::to_string(::getpid()) + "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  // Names of the files in the directory (to spot leftover temporaries).
  std::vector<std::string> files() const {
    std::vector<std::string> out;
    for (auto& e : fs::directory_iterator(dir_)) out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
  }
  fs::path dir_;
};

bool bit_equal(const Tensor& a, const Tensor& b) {
  if (a.shape() != b.shape() || a.dtype() != b.dtype()) return false;
  Tensor x = a.contiguous(), y = b.contiguous();
  return std::memcmp(x.raw_data(), y.raw_data(), x.numel() * x.element_size()) == 0;
}

// Writes a file with a raw header text and data bytes.
void write_raw(const std::string& p, const std::string& header, const std::string& data, int64_t declared_len = -1) {
  std::ofstream f(p, std::ios::binary);
  uint64_t n = declared_len >= 0 ? static_cast<uint64_t>(declared_len) : header.size();
  f.write(reinterpret_cast<const char*>(&n), 8);
  f << header << data;
}

io::NamedTensors sample() {
  Generator gen(3);
  return {{"w", randn({3, 4}, {}, &gen)},
          {"w_t", randn({4, 3}, {}, &gen).t()},  // non-contiguous: written in logical order
          {"d", randn({5}, kFloat64, &gen)},
          {"i32", tensor(std::vector<int32_t>{1, -2, 3})},
          {"i64", arange(6).reshape({2, 3})},
          {"mask", gt(randn({4}, {}, &gen), 0.0)},
          {"h", randn({3}, {}, &gen).to(kFloat16)},
          {"bf", randn({2, 2}, {}, &gen).to(kBFloat16)},
          {"scalar", scalar_tensor(2.5)},
          {"empty", zeros({0, 4})},
          {"another_empty", zeros({0}, kInt64)}};  // same offset as "empty": order must still hold
}

TEST_F(Safetensors, RoundTripsEveryDtypeInOrder) {
  auto in = sample();
  io::save_safetensors(path("a.safetensors"), in, {{"epoch", "3"}, {"framework", "ember"}});
  io::SafetensorsFile f = io::load_safetensors(path("a.safetensors"));
  ASSERT_EQ(f.tensors.size(), in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    EXPECT_EQ(f.tensors[i].first, in[i].first);
    EXPECT_TRUE(bit_equal(f.tensors[i].second, in[i].second)) << in[i].first;
    EXPECT_TRUE(f.tensors[i].second.is_contiguous());
  }
  EXPECT_EQ(f.metadata, (std::map<std::string, std::string>{{"epoch", "3"}, {"framework", "ember"}}));
  EXPECT_TRUE(f.contains("w_t"));
  EXPECT_EMBER_ERROR(f.at("nope"), "nope");
  EXPECT_EQ(files(), std::vector<std::string>{"a.safetensors"});  // no temporaries left behind
  // The data section starts 8-byte aligned.
  uint64_t n = 0;
  std::ifstream(path("a.safetensors"), std::ios::binary).read(reinterpret_cast<char*>(&n), 8);
  EXPECT_EQ(n % 8, 0u);
}

TEST_F(Safetensors, ReadsFileWrittenByPythonReference) {
  io::SafetensorsFile f = io::load_safetensors(kRefDir + "/reference.safetensors");
  std::vector<std::string> names;
  for (auto& [n, t] : f.tensors) names.push_back(n);
  // Data order, not the (alphabetical) header order.
  EXPECT_EQ(names, (std::vector<std::string>{"weight", "bias", "ids", "counts", "mask", "half", "bf", "scalar", "empty"}));
  EXPECT_EQ(f.metadata.at("format"), "pt");
  EXPECT_EQ(f.at("weight").shape(), (Shape{2, 3}));
  EXPECT_EQ(f.at("weight").to_vector<float>(), (std::vector<float>{0.5f, -1.25f, 3.f, 0.001f, -0.f, 65504.f}));
  EXPECT_TRUE(std::signbit(f.at("weight").to_vector<float>()[4]));
  EXPECT_EQ(f.at("bias").to_vector<double>(), (std::vector<double>{1.0 / 3.0, -2.5, 1e300}));
  EXPECT_EQ(f.at("ids").to_vector<int64_t>(), (std::vector<int64_t>{0, -1, int64_t{1} << 40, -(int64_t{1} << 62)}));
  EXPECT_EQ(f.at("counts").to_vector<int32_t>(), (std::vector<int32_t>{1, -2, INT32_MAX, INT32_MIN}));
  EXPECT_EQ(f.at("mask").to_vector<bool>(), (std::vector<bool>{true, false, true, true, false}));
  EXPECT_EQ(f.at("half").dtype(), kFloat16);
  EXPECT_EQ(f.at("half").to(kFloat32).to_vector<float>(), (std::vector<float>{1.5f, -0.0999755859375f, 65504.f}));
  EXPECT_EQ(f.at("bf").dtype(), kBFloat16);
  EXPECT_EQ(f.at("bf").to(kFloat32).to_vector<float>(), (std::vector<float>{1.f, -3.140625f}));
  EXPECT_EQ(f.at("scalar").dim(), 0);
  EXPECT_EQ(f.at("scalar").item<float>(), 7.25f);
  EXPECT_EQ(f.at("empty").shape(), (Shape{0, 3}));
}

TEST_F(Safetensors, PythonReaderAcceptsEmberOutput) {
  // Debian's interpreter starts fastest; any python3 on PATH will do (the checker needs only the stdlib).
  const std::string py = fs::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
  if (std::system((py + " -c pass >/dev/null 2>&1").c_str()) != 0) GTEST_SKIP() << "python3 is not available";
  io::SafetensorsFile ref = io::load_safetensors(kRefDir + "/reference.safetensors");
  io::save_safetensors(path("ember.safetensors"), ref.tensors, ref.metadata);
  std::string cmd = py + " '" + kRefDir + "/safetensors_ref.py' check '" + path("ember.safetensors") + "' '" + kRefDir +
                    "/reference.safetensors' > '" + path("log.txt") + "' 2>&1";
  int rc = std::system(cmd.c_str());
  std::ifstream log(path("log.txt"));
  std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  EXPECT_EQ(rc, 0) << text;
}

TEST_F(Safetensors, OverwriteReplacesFile) {
  io::save_safetensors(path("c.safetensors"), {{"a", ones({2})}});
  io::save_safetensors(path("c.safetensors"), {{"b", zeros({3})}});
  auto f = io::load_safetensors(path("c.safetensors"));
  ASSERT_EQ(f.tensors.size(), 1u);
  EXPECT_EQ(f.tensors[0].first, "b");
  EXPECT_EQ(files(), std::vector<std::string>{"c.safetensors"});
}

TEST_F(Safetensors, FailedWriteKeepsPreviousFile) {
  const std::string p = path("ckpt.safetensors");
  io::save_safetensors(p, {{"old", arange(10)}}, {{"v", "1"}});
  // Simulate a full disk: cap the process's file size so the write fails part-way through the
  // second tensor (writes past the cap fail with EFBIG once SIGXFSZ is ignored).
  rlimit old{};
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &old), 0);
  auto old_handler = signal(SIGXFSZ, SIG_IGN);
  rlimit cap = old;
  cap.rlim_cur = 64 * 1024;
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &cap), 0);
  bool threw = false;
  try {
    io::save_safetensors(p, {{"small", ones({100})}, {"big", zeros({1 << 20})}});
  } catch (const Error& e) {
    threw = true;
    EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("previous file"), std::string::npos) << e.what();
  }
  setrlimit(RLIMIT_FSIZE, &old);
  signal(SIGXFSZ, old_handler);
  EXPECT_TRUE(threw);
  auto f = io::load_safetensors(p);
  ASSERT_EQ(f.tensors.size(), 1u);
  EXPECT_EQ(f.tensors[0].first, "old");
  EXPECT_TRUE(bit_equal(f.tensors[0].second, arange(10)));
  EXPECT_EQ(f.metadata.at("v"), "1");
  EXPECT_EQ(files(), std::vector<std::string>{"ckpt.safetensors"});  // the temporary was removed
}

TEST_F(Safetensors, SaveErrors) {
  const std::string p = path("e.safetensors");
  EXPECT_EMBER_ERROR(io::save_safetensors(path("missing/dir/x.safetensors"), {{"a", ones({1})}}), "save_safetensors",
                     "missing/dir/x.safetensors", "directory");
  EXPECT_EMBER_ERROR(io::save_safetensors(p, {{"a", ones({1})}, {"a", ones({2})}}), "save_safetensors", "'a'", "twice");
  EXPECT_EMBER_ERROR(io::save_safetensors(p, {{"__metadata__", ones({1})}}), "save_safetensors", "__metadata__");
  EXPECT_EMBER_ERROR(io::save_safetensors(p, {{"", ones({1})}}), "save_safetensors", "empty name");
  EXPECT_EMBER_ERROR(io::save_safetensors(p, {{"a", ones({1})}, {"u", Tensor()}}), "save_safetensors", "'u'", "undefined");
  EXPECT_TRUE(files().empty());  // bad input is caught before any file is created
}

TEST_F(Safetensors, LoadRejectsDamagedFiles) {
  const std::string p = path("bad.safetensors");
  auto expect_bad = [&](const std::string& header, const std::string& data, std::vector<const char*> frags,
                        int64_t declared = -1) {
    write_raw(p, header, data, declared);
    try {
      io::load_safetensors(p);
      ADD_FAILURE() << "accepted header " << header;
    } catch (const Error& e) {
      std::string msg = e.what();
      EXPECT_NE(msg.find(p), std::string::npos) << msg;
      for (auto* f : frags) EXPECT_NE(msg.find(f), std::string::npos) << "missing '" << f << "' in: " << msg;
    }
  };
  const std::string eight(8, '\0');
  expect_bad(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", eight, {"header length", "does not fit"}, 4096);
  expect_bad(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]})", eight, {"not valid JSON"});
  expect_bad(R"([1,2])", "", {"JSON object"});
  expect_bad(R"({"a":{"dtype":"F8","shape":[2],"data_offsets":[0,2]}})", std::string(2, '\0'), {"'a'", "F8"});
  expect_bad(R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", eight, {"'a'", "non-negative"});
  expect_bad(R"({"a":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}})", eight, {"'a'", "shape"});
  expect_bad(R"({"a":{"dtype":"F32","data_offsets":[0,8]}})", eight, {"'a'", "shape"});
  expect_bad(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,16]}})", eight, {"'a'", "outside the data section"});
  expect_bad(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", eight, {"'a'", "data_offsets"});
  expect_bad(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", eight, {"'a'", "needs 12"});
  expect_bad(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
             eight, {"'b'", "overlaps"});
  expect_bad(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", eight, {"'a'", "gaps"});
  expect_bad(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", eight, {"trailing bytes"});
  expect_bad(R"({"__metadata__":{"k":3},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", eight, {"'k'", "string"});
  expect_bad(R"({"m":{"dtype":"BOOL","shape":[2],"data_offsets":[0,2]}})", std::string("\x01\x02", 2), {"'m'", "BOOL"});
  expect_bad(R"({"a":{"dtype":"I64","shape":[4611686018427387904,4],"data_offsets":[0,8]}})", eight, {"'a'", "too large"});
  {
    std::ofstream(p, std::ios::binary) << "abc";
    EXPECT_EMBER_ERROR(io::load_safetensors(p), "load_safetensors", "bad.safetensors", "3 bytes");
  }
  EXPECT_EMBER_ERROR(io::load_safetensors(path("none.safetensors")), "load_safetensors", "none.safetensors", "cannot open");
  EXPECT_EMBER_ERROR(io::load_safetensors(dir_.string()), "load_safetensors", "not a regular file");
  // Valid edge case: only metadata and no tensors.
  write_raw(p, R"({"__metadata__":{"k":"v"}})", "");
  auto f = io::load_safetensors(p);
  EXPECT_TRUE(f.tensors.empty());
  EXPECT_EQ(f.metadata.at("k"), "v");
}

}  // namespace
