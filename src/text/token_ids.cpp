// Token-id tensors and byte descriptions for tokenizer errors.
#include "text/token_ids.h"

#include <cstdio>
#include <cstring>

#include "ember/ops.h"

namespace ember::text::detail {

Tensor ids_to_tensor(const std::vector<int64_t>& ids) {
  Tensor out = empty({static_cast<int64_t>(ids.size())}, kInt64);  // (N,)
  if (!ids.empty()) std::memcpy(out.raw_data(), ids.data(), ids.size() * sizeof(int64_t));
  return out;
}

std::vector<int64_t> tensor_to_ids(const Tensor& ids, const char* op) {
  EMBER_CHECK(ids.defined(), op, "the token ids tensor is undefined");
  EMBER_CHECK(is_integral(ids.dtype()), op, "token ids must be an int64 or int32 tensor, got ", dtype_name(ids.dtype()),
              "; convert with .to(ember::kInt64)");
  EMBER_CHECK(ids.dim() <= 1, op, "token ids must be a 1-D tensor, got shape ", shape_str(ids.shape()),
              "; decode one sequence at a time (select a row of a batch)");
  return ids.to_vector<int64_t>();
}

namespace {

// Length of the valid UTF-8 sequence starting at text[pos], or 0.
size_t utf8_sequence_length(std::string_view text, size_t pos) {
  const auto b0 = static_cast<unsigned char>(text[pos]);
  size_t len = b0 >= 0xF0 && b0 <= 0xF4 ? 4 : b0 >= 0xE0 ? 3 : b0 >= 0xC2 && b0 <= 0xDF ? 2 : 0;
  if (len == 0 || pos + len > text.size()) return 0;
  for (size_t k = 1; k < len; ++k)
    if ((static_cast<unsigned char>(text[pos + k]) & 0xC0) != 0x80) return 0;
  return len;
}

}  // namespace

std::string describe_byte(std::string_view text, size_t pos) {
  const auto b = static_cast<unsigned char>(text[pos]);
  if (b >= 0x20 && b < 0x7F) return std::string("'") + static_cast<char>(b) + "'";
  char hex[8];
  std::snprintf(hex, sizeof(hex), "\\x%02X", b);
  std::string out = hex;
  if (b >= 0x80) {
    // Walk back to the lead byte (at most 3 continuation bytes) and show the whole character.
    size_t start = pos;
    while (start > 0 && pos - start < 3 && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) --start;
    if (size_t len = utf8_sequence_length(text, start); len != 0 && pos < start + len)
      out += " (in the UTF-8 character '" + std::string(text.substr(start, len)) + "')";
  }
  return out;
}


}  // namespace ember::text::detail
