#pragma once
// Reading whole text files (corpora such as TinyShakespeare's input.txt).
#include <string>

namespace ember::data {

// The file's bytes, which must be UTF-8 (as Python's open(path).read() decodes them). Throws
// ember::Error naming the file when it is missing, a directory, unreadable, empty or not valid
// UTF-8 (with the byte offset of the first bad sequence).
std::string read_text_file(const std::string& path);

}  // namespace ember::data
