#pragma once
// Batch assembly shared by DataLoader and the public collate().
#include <vector>

#include "ember/data/dataloader.h"

namespace ember::data::detail {

// Stacks the examples; `indices` (same length, or empty) are the dataset indices named in errors.
Batch collate_indexed(const std::vector<Example>& examples, const std::vector<int64_t>& indices);

}  // namespace ember::data::detail
