#pragma once
// Thread count for Ember's OpenMP kernels and its BLAS. Defaults to EMBER_NUM_THREADS when set,
// else the number of cores.
#include <cstdint>

namespace ember {
// Throws ember::Error for n < 1 or n > max_num_threads().
void set_num_threads(int n);
int get_num_threads();
// Cores this process may run on (OpenMP's count, which honours CPU affinity).
int num_cores();
// The most threads set_num_threads and EMBER_NUM_THREADS accept: kMaxThreadsPerCore per core, at
// most kMaxThreads. More only adds contention; thousands crash or stall the OpenMP runtime.
inline constexpr int kMaxThreadsPerCore = 4;
inline constexpr int kMaxThreads = 1024;
int max_num_threads();
}  // namespace ember
