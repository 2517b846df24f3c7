#pragma once
// Helpers shared by the tokenizers: token-id tensors and readable names for bytes in errors.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ember/tensor.h"

namespace ember::text::detail {

// (N,) int64 copy of `ids`.
Tensor ids_to_tensor(const std::vector<int64_t>& ids);
// The values of a 1-D (or 0-D) int32/int64 tensor; `op` names the caller in errors.
std::vector<int64_t> tensor_to_ids(const Tensor& ids, const char* op);

// 'a' for printable ASCII, else \xNN; for a byte inside a valid UTF-8 sequence also the whole
// character, e.g. \xC3 (in the UTF-8 character 'é').
std::string describe_byte(std::string_view text, size_t pos);

}  // namespace ember::text::detail
