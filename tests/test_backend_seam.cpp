// The seam between ops and kernels (src/backend/backend.h): tensors know their device, the CPU
// backend serves the CPU, and on a device whose backend has an allocator but no kernels every op
// of the golden registry either fails with an ember::Error naming the op and the device, or is a
// view that needs no kernel. Nothing may abort or read device memory behind the seam's back.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>

#include "backend/backend.h"
#include "backend/cpu/copy.h"
#include "core/op_helpers.h"
#include "op_registry.h"

namespace ember::test {
namespace {

const Device kTestDevice{Device::Type::PrivateUse, 0};

// Registers `b` for Device::Type::PrivateUse while alive.
struct ScopedBackend {
  explicit ScopedBackend(const backend::Backend* b) { backend::register_backend(kTestDevice.type, b); }
  ~ScopedBackend() { backend::register_backend(kTestDevice.type, nullptr); }
};

// Host memory and no kernels at all.
const backend::Backend kNoKernels{"test", &detail::host_allocator(), {}};

// A copy of a CPU tensor on the test device, made without any kernel (its memory is host memory).
Tensor on_test_device(const Tensor& cpu) {
  Tensor c = cpu.contiguous();
  auto impl = std::make_shared<TensorImpl>();
  const size_t nbytes = static_cast<size_t>(c.numel()) * c.element_size();
  impl->storage = Storage::allocate(nbytes, kTestDevice);
  if (nbytes) std::memcpy(impl->storage->data, c.raw_data(), nbytes);
  impl->shape = c.shape();
  impl->strides = detail::contiguous_strides(c.shape());
  impl->numel = c.numel();
  impl->dtype = c.dtype();
  Tensor t(std::move(impl));
  if (cpu.requires_grad()) t.requires_grad_();
  return t;
}

bool shares_storage(const Tensor& out, const std::vector<Tensor>& in) {
  for (const Tensor& t : in)
    if (t.impl().storage == out.impl().storage) return true;
  return false;
}

// Golden op name -> the Ember op its failure names, where the two differ: the registry wraps an
// op under another name, or the op is a composite and fails at its first primitive (as MLX's
// composites fail in their primitives' eval_gpu).
const std::map<std::string, std::set<std::string>>& aliases() {
  static const std::map<std::string, std::set<std::string>> m{
      {"batch_norm_running_stats", {"batch_norm"}},
      {"binary_cross_entropy", {"amin"}},  // its check that the input is in [0, 1]
      {"binary_cross_entropy_with_logits", {"abs"}},
      {"cross_entropy", {"log_softmax"}},  // probability targets
      {"gelu_addmm", {"gelu"}},
      {"kl_div", {"ne", "sub"}},
      {"l1_loss", {"sub"}},
      {"mse_loss", {"sub"}},
      {"masked_fill", {"where"}},
      {"ones", {"full"}},
      {"scaled_dot_product_attention", {"matmul"}},  // the composite (masks)
      {"sinusoidal_positional_encoding", {"arange"}},
      {"add_alpha_kw", {"add"}},
      {"mul_scalar", {"mul"}},
      {"rsub_scalar", {"sub"}},
      {"pow_scalar", {"pow"}},
      {"square", {"pow", "mul"}},
      {"max_all", {"amax", "max"}},
      {"min_all", {"amin", "min"}},
      {"max_dim_values", {"max"}},
      {"max_dim_indices", {"max"}},
      {"min_dim_values", {"min"}},
      {"min_dim_indices", {"min"}},
      {"sum_dims", {"sum"}},
      {"mm_t", {"mm"}},
      {"bmm_t", {"bmm"}},
      {"matmul_t", {"matmul"}},
      {"matmul_method", {"matmul"}},
      {"contiguous_t", {"clone"}},
      {"reshape_t", {"clone"}},
      {"stack", {"cat"}},
      {"split", {"cat", "clone"}},  // the registry joins the pieces (views) with cat and reshape
      {"split_with_sizes", {"cat", "clone"}},
      {"chunk", {"cat", "clone"}},
      {"unbind", {"cat", "clone"}},
      // nn's recurrent modules and packed sequences: the module's name, or the copies before it
      {"rnn_module", {"RNN", "LSTM", "GRU", "clone", "to"}},
      {"rnn_cell", {"RNNCell", "LSTMCell", "GRUCell"}},
      {"pack_padded_sequence", {"to"}},
      {"pack_padded_sequence_meta", {"to"}},
      {"pad_packed_sequence", {"to"}},
  };
  return m;
}

struct Outcome {
  std::string failing_op;  // the op the message names; empty when the op succeeded as a view
  std::string message;
};

}  // namespace

TEST(BackendSeam, CpuTensorsAreOnTheCpu) {
  Tensor a = randn({3, 4}), b = ones({4});
  EXPECT_EQ(a.device(), kCPU);
  EXPECT_EQ(a.device().str(), "cpu");
  EXPECT_TRUE(a.device().is_cpu());
  Tensor c = (a + b).sum({1});
  EXPECT_EQ(c.device(), kCPU);
  EXPECT_EQ(a.t().device(), kCPU);  // views share their base's storage and device
  EXPECT_TRUE(allclose(c, a.sum({1}) + 4.0));
  EXPECT_TRUE(a.to(kCPU).is_same(a));  // already there: no copy
  EXPECT_EQ(Device(Device::Type::CUDA, 0).str(), "cuda:0");
  EXPECT_EQ(Device(Device::Type::PrivateUse, 1).str(), "privateuse:1");
  std::ostringstream os;
  os << Device(Device::Type::CUDA, 3);
  EXPECT_EQ(os.str(), "cuda:3");
  ASSERT_NE(backend::find(Device::Type::CPU), nullptr);
  EXPECT_STREQ(backend::find(Device::Type::CPU)->name, "cpu");
}

TEST(BackendSeam, NoBackendMeansNoTensors) {
  // This build has no CUDA backend: allocation itself refuses, naming the device.
  ASSERT_EQ(backend::find(Device::Type::CUDA), nullptr);
  const Device cuda(Device::Type::CUDA, 0);
  EXPECT_EMBER_ERROR(zeros({2, 3}, TensorOptions().with_device(cuda)), "zeros: no kernel for device cuda:0",
                     "Ember was built without a cuda backend");
  EXPECT_EMBER_ERROR(empty({2, 3}, TensorOptions().with_device(cuda)), "cannot allocate", "cuda:0", "no backend");
  EXPECT_EMBER_ERROR(randn({2}).to(cuda), "to: no kernel for device cuda:0");
  {
    DefaultDeviceGuard guard(cuda);
    EXPECT_EQ(default_device(), cuda);
    EXPECT_EMBER_ERROR(arange(5), "arange", "cuda:0");
  }
  EXPECT_EQ(default_device(), kCPU);
  EXPECT_EQ(arange(5).device(), kCPU);
}

TEST(BackendSeam, ABackendWithOnlyACopyKernelMovesTensors) {
  backend::Kernels k{};
  k.copy = cpu::copy;  // host memory: the CPU's copy kernel serves transfers both ways
  const backend::Backend copy_only{"test", &detail::host_allocator(), k};
  ScopedBackend registered(&copy_only);
  Tensor a = randn({2, 3});
  Tensor d = a.to(kTestDevice);
  EXPECT_EQ(d.device(), kTestDevice);
  EXPECT_EQ(d.to(kCPU).device(), kCPU);
  EXPECT_TRUE(equal(d.to(kCPU), a));
  EXPECT_EQ(d[1][2].item<double>(), a[1][2].item<double>());  // reads go through a CPU copy
  EXPECT_EMBER_ERROR(d + d, "add", "privateuse:0", "'binary'");
  EXPECT_EMBER_ERROR(d.sum(), "sum", "privateuse:0", "'sum'");
}

// Every op of the golden registry (tests/op_registry.h), on every golden case, with its inputs on
// a device that has memory but no kernels.
TEST(BackendSeam, EveryOpFailsByNameOnADeviceWithoutKernels) {
  ScopedBackend registered(&kNoKernels);
  const std::regex named(R"(^([A-Za-z_0-9]+): (no kernel for device privateuse:0: its backend 'test' has no )"
                         R"('([a-z_0-9]+)' kernel|expected all tensors on one device, got [a-z:0-9]+ and [a-z:0-9]+))");
  std::vector<std::filesystem::path> files;
  for (auto& e : std::filesystem::directory_iterator(EMBER_GOLDEN_DIR))
    if (e.path().extension() == ".json") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  std::map<std::string, std::set<std::string>> failing_ops;  // golden op -> "op(kernel)" its errors named
  std::set<std::string> views, tried;
  int cases = 0;
  for (const auto& file : files) {
    std::ifstream f(file);
    const nlohmann::json j = nlohmann::json::parse(f);
    for (const auto& c : j.at("cases")) {
      const std::string op = c.at("op").get<std::string>();
      auto it = op_registry().find(op);
      ASSERT_NE(it, op_registry().end()) << "op '" << op << "' is not registered";
      const std::string where = file.filename().string() + ":" + c.at("name").get<std::string>();
      std::vector<Tensor> in;
      for (const auto& spec : c.at("inputs")) {
        Tensor t = from_json(spec);
        if (spec.value("requires_grad", false)) t.requires_grad_();
        in.push_back(on_test_device(t));
      }
      ++cases;
      tried.insert(op);
      try {
        // Factories (no tensor inputs) create on the default device.
        std::optional<DefaultDeviceGuard> guard;
        if (in.empty()) guard.emplace(kTestDevice);
        Tensor out = it->second(in, c.at("kwargs"));
        // Success is only allowed for views: no kernel ran, the result is an input's storage.
        EXPECT_TRUE(out.defined() && shares_storage(out, in))
            << where << ": " << op << " produced new data without a kernel";
        EXPECT_EQ(out.device(), kTestDevice) << where;
        views.insert(op);
      } catch (const Error& e) {
        const std::string msg = e.what();
        std::smatch m;
        ASSERT_TRUE(std::regex_search(msg, m, named)) << where << ": unexpected message: " << msg;
        const std::string named_op = m[1];
        failing_ops[op].insert(named_op + "(" + (m[3].matched ? m[3].str() : "devices") + ")");
        const auto alias = aliases().find(op);
        EXPECT_TRUE(named_op == op || (alias != aliases().end() && alias->second.count(named_op)))
            << where << ": the error names '" << named_op << "', not the op '" << op << "': " << msg;
      }
    }
  }
  // Every registered op ran, but add_alpha_kw, which no golden file uses (add's cases cover it).
  for (const auto& [op, fn] : op_registry())
    EXPECT_TRUE(tried.count(op) || op == "add_alpha_kw") << op << " has no golden case, so it was not tried";
  // The ops that may succeed: views, and dropout in evaluation mode (the identity).
  const std::set<std::string> may_be_views{"view", "reshape", "transpose", "t", "permute", "narrow", "slice", "select",
                                           "expand", "squeeze", "squeeze_dim", "unsqueeze", "flatten", "unflatten",
                                           "chain", "reshape_t", "dropout"};
  for (const auto& op : views) EXPECT_TRUE(may_be_views.count(op)) << op << " ran without a kernel";
  std::ostringstream summary;
  for (const auto& [op, named] : failing_ops) {
    summary << "  " << op << ":";
    for (const auto& n : named) summary << " " << n;
    summary << "\n";
  }
  std::cout << cases << " golden cases of " << tried.size() << " ops; " << failing_ops.size()
            << " ops failed by name, " << views.size() << " succeeded as views only:\n"
            << summary.str();
}

}  // namespace ember::test
