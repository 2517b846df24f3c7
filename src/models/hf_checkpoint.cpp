#include "models/hf_checkpoint.h"

namespace ember::models {

void load_hf_state(nn::Module& model, nn::NamedTensors state, const std::string& path) {
  for (auto& [k, v] : state)
    if (v.is_floating_point() && v.dtype() != DType::Float32) v = v.to(DType::Float32);
  try {
    model.load_state_dict(state, /*strict=*/true);
  } catch (const Error& e) {
    throw Error("load_safetensors: '" + path + "': " + e.what());
  }
}

}  // namespace ember::models
