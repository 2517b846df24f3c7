#pragma once
// Range checks for every numeric flag. CLI11 2.1 converts with strtoll/strtoull/strtold and
// keeps the saturated result (--seed 99999999999999999999999 became 18446744073709551615, and
// --epochs 99999999999999999999 became 9223372036854775807), reads "010" as octal 8 and "-1" as
// 2^64-1 for unsigned flags. These validators reject all of that with the flag's range.
#include <CLI/CLI.hpp>

namespace ember::cli {

// Adds the range check to every integer and floating-point option of `app` and its subcommands
// (call it once every option is defined).
void add_number_range_checks(CLI::App& app);

}  // namespace ember::cli
