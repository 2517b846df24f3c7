#pragma once
// Training checkpoints in safetensors: the model's state_dict under "model.", the optimizer's
// state under "optimizer.", and string metadata (epoch, RNG state, recipe, config). Saved
// atomically; loading checks every key and shape before changing anything.
#include <map>
#include <string>

#include "ember/nn/module.h"
#include "ember/optim/optimizer.h"

namespace ember::distributed { class Context; }

namespace ember::train {

struct Checkpoint {
  std::map<std::string, std::string> metadata;
  int64_t epoch() const;  // metadata "epoch" (epochs completed)
};

void save_checkpoint(const std::string& path, const nn::Module& model, const optim::Optimizer* optimizer,
                     const std::map<std::string, std::string>& metadata);
// Data-parallel: every rank calls it. Gathers a ZeroRedundancyOptimizer's shards (a collective),
// then rank 0 writes the checkpoint (atomically: a crash never leaves a torn file) and the others
// wait, so a checkpoint exists on return.
void save_checkpoint(const distributed::Context& dist, const std::string& path, const nn::Module& model,
                     optim::Optimizer* optimizer, const std::map<std::string, std::string>& metadata);
// Restores model (and optimizer when given) from `path`; `expected_recipe` (if non-empty) must
// match the checkpoint's "recipe" metadata. Errors name the file and the key.
Checkpoint load_checkpoint(const std::string& path, nn::Module& model, optim::Optimizer* optimizer,
                           const std::string& expected_recipe = "");

// Hex encoding for binary metadata such as RNG state.
std::string to_hex(const std::vector<uint8_t>& bytes);
std::vector<uint8_t> from_hex(const std::string& hex, const std::string& what);

}  // namespace ember::train
