#pragma once
// Reading whole text files (corpora such as TinyShakespeare's input.txt).
#include <string>

namespace ember::data {

// The file's bytes. Throws ember::Error naming the file when it is missing, a directory,
// unreadable or empty.
std::string read_text_file(const std::string& path);

}  // namespace ember::data
