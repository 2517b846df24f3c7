#pragma once
// GPT-2's vocabulary files (OpenAI's encoder.json + vocab.bpe, Hugging Face's vocab.json +
// merges.txt: the same formats) read into byte-level BPE tables. Errors name the file, what is
// wrong with it, and come from `op`.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "text/bpe_merges.h"

namespace ember::text::detail {

struct ByteBpeTables {
  std::vector<std::string> id_to_bytes;  // the bytes each token stands for
  std::array<int32_t, 256> byte_id{};    // the token of each single byte
  BpeMerges merges;
  int64_t eot = -1;                      // "<|endoftext|>"
};

ByteBpeTables load_gpt2_files(const std::string& encoder_json_path, const std::string& vocab_bpe_path,
                              const char* op);

}  // namespace ember::text::detail
