// ONNX export: the graph of small models (ops, names, dynamic dims), the outermost-op rule of the
// tracer, and the errors for unmapped ops, bad paths and options. Numerical agreement with ONNX
// Runtime is tested from Python (tests/python/test_onnx_export.py).
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "ember/ember.h"
#include "ember/nn/layers.h"
#include "ember/nn/packed_sequence.h"
#include "ember/nn/rnn.h"
#include "ember/onnx/export.h"
#include "ember/ops/trace.h"
#include "onnx/recorder.h"
#include "temp_dir.h"

namespace ember {
namespace {

::onnx::ModelProto read_model(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  ::onnx::ModelProto m;
  EXPECT_TRUE(m.ParseFromIstream(&in)) << path;
  return m;
}

std::multiset<std::string> op_types(const ::onnx::ModelProto& m) {
  std::multiset<std::string> s;
  for (const auto& n : m.graph().node()) s.insert(n.op_type());
  return s;
}

struct SmallCnn : nn::Module {
  std::shared_ptr<nn::Conv2d> conv = register_module("conv", std::make_shared<nn::Conv2d>(1, 4, 3, 1, 1));
  std::shared_ptr<nn::Linear> fc = register_module("fc", std::make_shared<nn::Linear>(4 * 4 * 4, 3));
  Tensor forward(const Tensor& x) override {
    Tensor h = max_pool2d(relu(conv->forward(x)), {2, 2}, {2, 2});  // (N, 1, 8, 8) -> (N, 4, 4, 4)
    return log_softmax(fc->forward(h.flatten(1)), 1);                // -> (N, 3)
  }
};

struct CumsumModel : nn::Module {
  std::shared_ptr<nn::Linear> fc = register_module("fc", std::make_shared<nn::Linear>(4, 4));
  Tensor forward(const Tensor& x) override { return cumsum(fc->forward(x), 1); }
};

TEST(OnnxExport, SmallCnnGraphHasTheLayersAndDynamicBatch) {
  test::TempDir dir;
  SmallCnn m;
  onnx::ExportOptions o;
  o.input_names = {"image"};
  o.output_names = {"log_probs"};
  o.dynamic_axes = {{"image", {{0, "batch"}}}};
  onnx::ExportSummary s = onnx::export_model(m, {rand({2, 1, 8, 8})}, dir.file("cnn.onnx"), o);
  EXPECT_EQ(s.opset, 17);
  ASSERT_EQ(s.inputs.size(), 1u);
  EXPECT_EQ(s.inputs[0].dims, (std::vector<std::string>{"batch", "1", "8", "8"}));
  EXPECT_EQ(s.outputs[0].dims, (std::vector<std::string>{"batch", "3"}));
  ::onnx::ModelProto model = read_model(dir.file("cnn.onnx"));
  EXPECT_EQ(model.opset_import(0).version(), 17);
  auto ops = op_types(model);
  for (const char* op : {"Conv", "Relu", "MaxPool", "Reshape", "Gemm", "LogSoftmax"}) EXPECT_EQ(ops.count(op), 1u) << op;
  std::set<std::string> inits;
  for (const auto& t : model.graph().initializer()) inits.insert(t.name());
  for (const char* p : {"conv.weight", "conv.bias", "fc.weight", "fc.bias"}) EXPECT_TRUE(inits.count(p)) << p;
  EXPECT_EQ(model.graph().input(0).type().tensor_type().shape().dim(0).dim_param(), "batch");
  EXPECT_TRUE(m.is_training());  // the module's mode is restored
}

TEST(OnnxExport, OnlyTheOutermostOpRecords) {
  // linear calls addmm inside; the trace holds linear alone.
  Tensor x = rand({2, 3}), w = rand({4, 3}), b = rand({4});
  onnx::detail::Recorder rec({x});
  {
    NoGradGuard ng;
    trace::TraceGuard g(&rec);
    linear(x, w, b);
  }
  ASSERT_EQ(rec.ops.size(), 1u);
  EXPECT_EQ(rec.ops[0].kind, "linear");
  EXPECT_FALSE(trace::tracing());
}

TEST(OnnxExport, UnmappedOpIsNamed) {
  test::TempDir dir;
  CumsumModel m;
  try {
    onnx::export_model(m, {rand({2, 4})}, dir.file("m.onnx"));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("op 'cumsum' has no ONNX mapping"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(dir.file("m.onnx")));
  EXPECT_FALSE(trace::tracing());  // the tracer is gone after the error
}

TEST(OnnxExport, BadPathAndOptionsAreNamed) {
  SmallCnn m;
  Tensor x = rand({1, 1, 8, 8});
  EXPECT_THROW(
      {
        try {
          onnx::export_model(m, {x}, "/nonexistent-ember-dir/m.onnx");
        } catch (const Error& e) {
          EXPECT_NE(std::string(e.what()).find("cannot write '/nonexistent-ember-dir/m.onnx'"), std::string::npos);
          throw;
        }
      },
      Error);
  test::TempDir dir;
  onnx::ExportOptions o;
  o.opset_version = 13;
  EXPECT_THROW(onnx::export_model(m, {x}, dir.file("m.onnx"), o), Error);
  o = {};
  o.dynamic_axes = {{"nope", {{0, "batch"}}}};
  EXPECT_THROW(onnx::export_model(m, {x}, dir.file("m.onnx"), o), Error);
  EXPECT_THROW(onnx::export_model(m, {x}, dir.path()), Error);  // a folder
}

TEST(OnnxExport, LstmForwardPaddedMatchesPackedSequences) {
  Generator g(3);
  nn::LSTM lstm(5, 6, 2, true, /*batch_first=*/true, 0.0, /*bidirectional=*/true, &g);
  Tensor x = randn({3, 4, 5}, {}, &g);
  Tensor lengths = tensor(std::vector<int64_t>{4, 2, 3}, {3});
  NoGradGuard ng;
  nn::RNNBase::Result r = lstm.forward_padded(x, lengths);
  auto packed = nn::pack_padded_sequence(x, lengths, true, false);
  auto ref = lstm.forward(packed);
  Tensor y = nn::pad_packed_sequence(ref.output, true, 0.0, 4).first;
  EXPECT_TRUE(allclose(r.output, y, 0, 0));
  EXPECT_TRUE(allclose(r.h_n, ref.h_n, 0, 0));
  EXPECT_TRUE(allclose(r.c_n, ref.c_n, 0, 0));
  EXPECT_EQ(r.output.shape(), (Shape{3, 4, 12}));
}

TEST(OnnxExport, LstmExportsAsOnnxLstmNodes) {
  test::TempDir dir;
  struct M : nn::Module {
    std::shared_ptr<nn::LSTM> lstm = register_module("lstm", std::make_shared<nn::LSTM>(3, 4, 2, true, true));
    Tensor forward(const Tensor& x) override {
      Tensor lengths = full({x.size(0)}, x.size(1), kInt64);
      return lstm->forward_padded(x, lengths).h_n;
    }
  } m;
  onnx::export_model(m, {rand({2, 5, 3})}, dir.file("lstm.onnx"));
  EXPECT_EQ(op_types(read_model(dir.file("lstm.onnx"))).count("LSTM"), 2u);  // one node per layer
}

}  // namespace
}  // namespace ember
