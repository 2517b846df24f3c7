#pragma once
// Shared by the models that load Hugging Face checkpoints (GPT-2, BERT): key-name helpers and a
// strict load that converts half-precision weights and names the file in its errors.
#include <string>

#include "ember/nn/module.h"

namespace ember::models {

inline bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}
inline std::string strip_prefix(const std::string& s, const std::string& prefix) {
  return s.rfind(prefix, 0) == 0 ? s.substr(prefix.size()) : s;
}

// load_state_dict(strict) after converting float16/bfloat16/float64 entries to the model's
// float32; errors name `path`.
void load_hf_state(nn::Module& model, nn::NamedTensors state, const std::string& path);

}  // namespace ember::models
