#pragma once
// Where every recipe writes its files: the checkpoint directory and the paths inside it.
#include <string>

namespace ember::recipes::detail {

// `explicit_path` when given, else <dir>/<name> when dir is given, else "".
std::string output_path(const std::string& explicit_path, const std::string& dir, const std::string& name);
// Creates the checkpoint directory (and parents) when dir is given; an error names
// --checkpoint-dir and the reason.
void make_checkpoint_dir(const std::string& dir);

}  // namespace ember::recipes::detail
