#include "ember/train/checkpoint.h"

#include <charconv>

#include "ember/distributed/context.h"
#include "ember/distributed/zero.h"
#include "ember/io/safetensors.h"
#include "ember/ops.h"

namespace ember::train {

namespace {
// The first tensor holding a NaN or infinity, or null: a diverged run's weights are never
// written over a good checkpoint, nor evaluated as if they were a model.
const std::pair<std::string, Tensor>* first_nonfinite(const io::NamedTensors& ts) {
  for (auto& kv : ts)
    if (!all_finite(kv.second)) return &kv;
  return nullptr;
}
[[noreturn]] void refuse_save(const std::string& path, const std::string& key) {
  EMBER_FAIL("save_checkpoint", "refusing to write '", path, "': tensor '", key,
             "' holds NaN or infinite values (the training diverged), so the previous checkpoint is kept; "
             "lower the learning rate or clip gradients, and resume from the kept checkpoint");
}
}  // namespace

int64_t Checkpoint::epoch() const {
  auto it = metadata.find("epoch");
  if (it == metadata.end()) return 0;
  const std::string& v = it->second;
  int64_t n = -1;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  EMBER_CHECK(ec == std::errc() && end == v.data() + v.size() && n >= 0, "checkpoint",
              "the 'epoch' entry '", v, "' is not a count of epochs");
  return n;
}

std::string to_hex(const std::vector<uint8_t>& bytes) {
  static const char* d = "0123456789abcdef";
  std::string s;
  s.reserve(bytes.size() * 2);
  for (uint8_t b : bytes) s += d[b >> 4], s += d[b & 15];
  return s;
}

std::vector<uint8_t> from_hex(const std::string& hex, const std::string& what) {
  EMBER_CHECK(hex.size() % 2 == 0, "checkpoint", what, " is not valid hex (odd length)");
  auto val = [&](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    EMBER_FAIL("checkpoint", what, " is not valid hex (character '", c, "')");
  };
  std::vector<uint8_t> out(hex.size() / 2);
  for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<uint8_t>(val(hex[2 * i]) * 16 + val(hex[2 * i + 1]));
  return out;
}

void save_checkpoint(const std::string& path, const nn::Module& model, const optim::Optimizer* optimizer,
                     const std::map<std::string, std::string>& metadata) {
  io::NamedTensors all;
  for (auto& [k, v] : model.state_dict()) all.emplace_back("model." + k, v);
  if (optimizer)
    for (auto& kv : optim::flatten_state_dict(optimizer->state_dict(), "optimizer.")) all.push_back(kv);
  if (auto* bad = first_nonfinite(all)) refuse_save(path, bad->first);
  io::save_safetensors(path, all, metadata);
}

Checkpoint load_checkpoint(const std::string& path, nn::Module& model, optim::Optimizer* optimizer,
                           const std::string& expected_recipe) {
  io::SafetensorsFile f = io::load_safetensors(path);
  if (!expected_recipe.empty()) {
    auto it = f.metadata.find("recipe");
    EMBER_CHECK(it != f.metadata.end() && it->second == expected_recipe, "load_checkpoint", "'", path,
                "' is a checkpoint of recipe '", it == f.metadata.end() ? std::string("(none)") : it->second,
                "', not '", expected_recipe, "'");
  }
  io::NamedTensors used;  // the model's tensors, and the optimizer's when it is restored too
  for (auto& kv : f.tensors)
    if (kv.first.rfind("model.", 0) == 0 || (optimizer && kv.first.rfind("optimizer.", 0) == 0)) used.push_back(kv);
  if (auto* bad = first_nonfinite(used))
    EMBER_FAIL("load_checkpoint", "'", path, "': tensor '", bad->first,
               "' holds NaN or infinite values (saved from a diverged run?); use an earlier checkpoint or retrain");
  nn::NamedTensors model_state;
  for (auto& [k, v] : f.tensors)
    if (k.rfind("model.", 0) == 0) model_state.emplace_back(k.substr(6), v);
  try {
    model.load_state_dict(model_state);
    if (optimizer) optimizer->load_state_dict(optim::unflatten_state_dict(f.tensors, "optimizer."));
  } catch (const Error& e) {
    throw Error("load_checkpoint: '" + path + "': " + e.what());
  }
  return Checkpoint{f.metadata};
}

void save_checkpoint(const distributed::Context& dist, const std::string& path, const nn::Module& model,
                     optim::Optimizer* optimizer, const std::map<std::string, std::string>& metadata) {
  // Every rank checks the (replicated) weights, so that all of them stop together on bad ones.
  for (auto& [k, v] : model.state_dict())
    if (!all_finite(v)) refuse_save(path, "model." + k);
  if (auto* zero = dynamic_cast<distributed::ZeroRedundancyOptimizer*>(optimizer)) zero->consolidate_state_dict();
  if (dist.is_main()) save_checkpoint(path, model, optimizer, metadata);
  if (dist.size() > 1) dist.barrier();
}

}  // namespace ember::train
