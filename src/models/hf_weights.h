#pragma once
// The weights of a Hugging Face model folder: model.safetensors, or the shard files that
// model.safetensors.index.json's weight_map lists. Each tensor keeps the file it came from, so
// later errors (a shape that disagrees with config.json) can name it.
#include <string>
#include <vector>

#include "ember/tensor.h"

namespace ember::models::hf {

struct CheckpointEntry {
  std::string key;   // as spelled in the file ("bert.embeddings.word_embeddings.weight")
  Tensor value;      // as stored (float16 stays float16)
  std::string file;  // the safetensors file holding it
};

struct Checkpoint {
  std::vector<CheckpointEntry> entries;  // file order; shards in name order
  std::string source;                    // "<dir>/model.safetensors" or "<dir>/model.safetensors.index.json"
  int64_t num_values() const;            // elements over all entries
};

// Throws ember::Error (naming `op`, the folder and what it looked for) when the folder holds
// neither file, a shard name leaves the folder, the index lists a key its shard lacks, a key
// appears twice, or a file is not valid safetensors (io::load_safetensors's checks).
Checkpoint read_hf_checkpoint(const std::string& dir, const char* op);

}  // namespace ember::models::hf
