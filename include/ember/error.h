#pragma once
// ember::Error: the one exception type Ember throws for bad input. Messages name the op,
// the offending shapes/values and, where possible, what would fix the call.
#include <sstream>
#include <stdexcept>
#include <string>

namespace ember {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& msg) : std::runtime_error(msg) {}
};

namespace detail {
template <typename... Args>
std::string str_cat(const Args&... args) {
  std::ostringstream os;
  (os << ... << args);
  return os.str();
}
}  // namespace detail

}  // namespace ember

// EMBER_CHECK(cond, "op", parts...): throws ember::Error("op: parts...") when cond is false.
#define EMBER_CHECK(cond, op, ...)                                                   \
  do {                                                                              \
    if (!(cond)) [[unlikely]]                                                       \
      throw ::ember::Error(::ember::detail::str_cat(op, ": ", __VA_ARGS__));        \
  } while (0)

#define EMBER_FAIL(op, ...) throw ::ember::Error(::ember::detail::str_cat(op, ": ", __VA_ARGS__))
