// The `ember` command line's argument parsing only: the input, split at NUL bytes, is argv after
// "ember"; the apps are parsed (flags, validators, help and usage errors) and no command runs.
#include <sstream>

#include "cli_app.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::string> args = {"ember"};
  std::string cur;
  for (size_t i = 0; i < size; ++i) {
    if (data[i] == 0) {
      args.push_back(cur), cur.clear();
      if (args.size() > 64) return 0;  // argv lengths are not what this harness looks at
    } else {
      cur += static_cast<char>(data[i]);
    }
  }
  if (!cur.empty() || size == 0) args.push_back(cur);
  std::vector<const char*> argv;
  for (auto& a : args) argv.push_back(a.c_str());
  argv.push_back(nullptr);
  const int argc = static_cast<int>(args.size());

  // One set of apps for the whole run, as building them per input cost 100 times the parse: CLI11
  // clears the previous parse's results when parse() is called again.
  static ember::cli::Cli cli;
  if (!ember::cli::unknown_recipe_error(cli, argc, argv.data()).empty()) return 0;
  try {
    cli.app.parse(argc, argv.data());
  } catch (const CLI::ParseError& e) {
    std::ostringstream out, err;
    (void)cli.app.exit(e, out, err);  // formats the usage error or the help, as `ember` prints it
  }
  return 0;
}
