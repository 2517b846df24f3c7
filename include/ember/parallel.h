#pragma once
// Thread count for Ember's OpenMP kernels and its BLAS. Defaults to EMBER_NUM_THREADS when set,
// else the number of cores.
#include <cstdint>

namespace ember {
void set_num_threads(int n);
int get_num_threads();
}  // namespace ember
