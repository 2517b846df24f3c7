#include "number_flags.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string>

#include "command.h"
#include "ember/parallel.h"

namespace ember::cli {

namespace {

// Integers are decimal: from_chars reports a value outside T instead of saturating, and a
// leading zero stays decimal ("010" is 10, as in Python, not octal 8).
template <typename T>
std::string check_integer(std::string& v) {
  const std::string range = "must be a whole number in [" + std::to_string(std::numeric_limits<T>::min()) + ", " +
                            std::to_string(std::numeric_limits<T>::max()) + "]";
  const char* b = v.data() + (v.size() > 1 && v[0] == '+' ? 1 : 0);
  const char* e = v.data() + v.size();
  T n{};
  auto [p, ec] = std::from_chars(b, e, n);
  if (ec == std::errc::result_out_of_range) return v + " is out of range: " + range;
  if (ec != std::errc() || p != e) {
    if (std::is_unsigned_v<T> && !v.empty() && v[0] == '-') return v + " is out of range: " + range;
    return "expected a whole number, got '" + v + "'";
  }
  v = std::to_string(n);  // what CLI11 converts next: canonical decimal
  return "";
}

std::string check_floating(std::string& v) {
  char* end = nullptr;
  errno = 0;
  const double d = std::strtod(v.c_str(), &end);
  // ERANGE with an infinite result is an overflow, with 0 an underflow of a non-zero number
  // (ERANGE with a subnormal result keeps its value).
  if (end != v.c_str() && *end == '\0' && errno == ERANGE && (std::isinf(d) || d == 0))
    return v + " is out of range: a double holds magnitudes from about 2.2e-308 to 1.8e308";
  return "";
}

void add_checks(CLI::App& app) {
  for (CLI::Option* o : app.get_options()) {
    const std::string type = o->get_type_name();
    auto is = [&](const std::string& t) { return type == t || type.rfind(t + ":", 0) == 0; };
    if (is("INT"))
      o->check(CLI::Validator(check_integer<int64_t>, ""));
    else if (is("UINT"))
      o->check(CLI::Validator(check_integer<uint64_t>, ""));
    else if (is("FLOAT"))
      o->check(CLI::Validator(check_floating, ""));
  }
  for (CLI::App* sub : app.get_subcommands({})) add_checks(*sub);
}

}  // namespace

void add_number_range_checks(CLI::App& app) { add_checks(app); }

namespace {
std::string thread_count_check(std::string& v, int least) {
  const std::string err = check_integer<int64_t>(v);
  if (!err.empty() && err.rfind("expected", 0) == 0) return err;
  const long long n = err.empty() ? std::strtoll(v.c_str(), nullptr, 10) : -1;  // out of int64: out of range
  const int most = max_num_threads();
  if (!err.empty() || n < least || n > most)
    return "must be in [" + std::to_string(least) + ", " + std::to_string(most) + "] (" +
           std::to_string(kMaxThreadsPerCore) + " per core, " + std::to_string(num_cores()) + " cores here), got " + v;
  return "";
}

}  // namespace

// --threads: more threads than cores only adds contention; thousands crash or stall the OpenMP
// runtime (--threads 100000 segfaulted in GOMP_parallel, 1000 hung for a minute).
const CLI::Validator kThreads([](std::string& v) { return thread_count_check(v, 1); }, "POSITIVE");
const CLI::Validator kWorkers([](std::string& v) { return thread_count_check(v, 0); }, "NON-NEGATIVE");

}  // namespace ember::cli
