#pragma once
// Shared by the process-group backends: argument checks and the MPI backend's factory.
#include <memory>
#include <string>

#include "ember/distributed/process_group.h"

namespace ember::distributed::detail {

// Defined, contiguous, and not a grad-requiring leaf (collectives write in place).
void check_tensor(const Tensor& t, const char* op, const char* what);
// float32/float64/int32/int64; Avg only for floating tensors.
void check_reducible(const Tensor& t, ReduceOp op, const char* name);
void check_root(int root, int size, const char* op);
// big.numel() == size * small.numel() and equal dtypes.
void check_gather_shapes(const Tensor& big, const Tensor& small, int size, const char* op, const char* big_name);
// EMBER_DIST_TIMEOUT in seconds, default 1800.
double timeout_from_env();

// Loads libember_mpi.so, initializes MPI and returns the group of MPI_COMM_WORLD.
std::shared_ptr<ProcessGroup> create_mpi_process_group();
// The plugin's path when one is found (not loaded), else "". 
std::string mpi_plugin_description();

}  // namespace ember::distributed::detail
