#pragma once
// Where datasets live on disk.
#include <string>

namespace ember::data {

// The data directory: `explicit_root` when non-empty, else $EMBER_DATA, else the first existing
// `../shared/data` seen from the current directory or the executable's directory or one of
// their parents. Throws ember::Error listing what was tried and how to set it.
std::string resolve_data_root(const std::string& explicit_root = "");

}  // namespace ember::data
