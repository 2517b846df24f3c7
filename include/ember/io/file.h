#pragma once
// Whole-file reads with errors that name the file (tokenizer vocabularies, text corpora).
#include <string>

namespace ember::io {

// Reads a whole file as bytes; errors name the file and `op`.
std::string read_file_bytes(const std::string& path, const char* op);

}  // namespace ember::io
