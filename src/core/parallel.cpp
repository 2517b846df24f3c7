#include "ember/parallel.h"

#include <omp.h>

#include <cstdlib>
#include <string>

#include "ember/error.h"

extern "C" void openblas_set_num_threads(int);

namespace ember {

namespace {
int initial_threads() {
  if (const char* env = std::getenv("EMBER_NUM_THREADS")) {
    char* end = nullptr;
    long n = std::strtol(env, &end, 10);
    if (end != env && *end == '\0' && n > 0) return static_cast<int>(n);
    throw Error(std::string("EMBER_NUM_THREADS: expected a positive integer, got '") + env + "'");
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

void set_num_threads(int n) {
  EMBER_CHECK(n > 0, "set_num_threads", "expected a positive thread count, got ", n);
  thread_count() = n;
  omp_set_num_threads(n);
  openblas_set_num_threads(n);
}

int get_num_threads() { return thread_count(); }

}  // namespace ember
