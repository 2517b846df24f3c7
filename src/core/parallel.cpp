#include "ember/parallel.h"

#include <omp.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <string>

#include "ember/error.h"

extern "C" void openblas_set_num_threads(int);

namespace ember {

namespace {
std::string thread_range() {
  return "[1, " + std::to_string(max_num_threads()) + "] (" + std::to_string(kMaxThreadsPerCore) + " per core, " +
         std::to_string(num_cores()) + " cores here)";
}

int initial_threads() {
  if (const char* env = std::getenv("EMBER_NUM_THREADS")) {
    char* end = nullptr;
    errno = 0;
    long n = std::strtol(env, &end, 10);
    if (end != env && *end == '\0' && errno == 0 && n > 0 && n <= max_num_threads()) return static_cast<int>(n);
    throw Error(std::string("EMBER_NUM_THREADS: expected a positive integer, got '") + env + "'; the range is " +
                thread_range());
  }
  return omp_get_num_procs();
}

int& thread_count() {
  static int n = [] {
    int t = initial_threads();
    omp_set_num_threads(t);
    openblas_set_num_threads(t);
    return t;
  }();
  return n;
}
}  // namespace

int num_cores() { return omp_get_num_procs(); }

int max_num_threads() { return std::min(kMaxThreadsPerCore * std::max(num_cores(), 1), kMaxThreads); }

void set_num_threads(int n) {
  EMBER_CHECK(n > 0 && n <= max_num_threads(), "set_num_threads", "expected a thread count in ", thread_range(),
              ", got ", n);
  thread_count() = n;
  omp_set_num_threads(n);
  openblas_set_num_threads(n);
}

int get_num_threads() { return thread_count(); }

}  // namespace ember
