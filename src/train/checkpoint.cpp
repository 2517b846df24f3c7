#include "ember/train/checkpoint.h"

#include <charconv>

#include "ember/distributed/context.h"
#include "ember/distributed/zero.h"
#include "ember/io/safetensors.h"

namespace ember::train {

int64_t Checkpoint::epoch() const {
  auto it = metadata.find("epoch");
  if (it == metadata.end()) return 0;
  // Not std::stoll: its std::invalid_argument said only "stoll" (issue 19; fuzz_checkpoint calls this).
  const std::string& v = it->second;
  int64_t n = -1;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  EMBER_CHECK(ec == std::errc() && end == v.data() + v.size() && n >= 0, "Checkpoint::epoch", "metadata 'epoch' is '",
              v, "', not a count of epochs (a non-negative integer); the checkpoint is damaged or was not written "
              "by ember train");
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
  if (auto* zero = dynamic_cast<distributed::ZeroRedundancyOptimizer*>(optimizer)) zero->consolidate_state_dict();
  if (dist.is_main()) save_checkpoint(path, model, optimizer, metadata);
  if (dist.size() > 1) dist.barrier();
}

}  // namespace ember::train
