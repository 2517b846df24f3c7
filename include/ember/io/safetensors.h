#pragma once
// Checkpoints in the safetensors format (https://github.com/huggingface/safetensors):
//   8 bytes: little-endian u64 N | N bytes: JSON header | raw little-endian tensor data.
// The header maps each tensor name to {"dtype": "F32"|"F64"|"I32"|"I64"|"BOOL"|"F16"|"BF16",
// "shape": [...], "data_offsets": [begin, end]} (offsets relative to the data section) and may
// hold "__metadata__": {string: string}.
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "ember/tensor.h"

namespace ember::io {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

struct SafetensorsFile {
  NamedTensors tensors;  // in the order of their data in the file (the order they were saved in)
  std::map<std::string, std::string> metadata;
  // The tensor called `name`; throws ember::Error naming the missing key.
  const Tensor& at(const std::string& name) const;
  bool contains(const std::string& name) const;
};

// Writes `tensors` (names unique and not "__metadata__"; non-contiguous tensors are written in
// logical order) atomically: the data goes to "<path>.tmp.<pid>" in the same directory, is fsynced
// and renamed over `path`, and the directory is fsynced. A failed save throws ember::Error and
// leaves any previous file at `path` untouched.
void save_safetensors(const std::string& path, const NamedTensors& tensors,
                      const std::map<std::string, std::string>& metadata = {});

// Reads and validates a whole file: header length against the file size, JSON syntax, dtype
// names, shapes, offsets (in range, matching shape * itemsize, covering the data section without
// overlaps or gaps, as the format requires) and BOOL bytes. Errors name the file and the key.
SafetensorsFile load_safetensors(const std::string& path);

}  // namespace ember::io
