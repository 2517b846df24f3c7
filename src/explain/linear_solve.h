#pragma once
// Small dense linear systems for the surrogate fits (KernelSHAP, LIME): LAPACK's dgesv, which
// OpenBLAS ships.
#include <cstdint>
#include <vector>

namespace ember::explain::detail {

// Solves the k x k system a x = b (a row-major). Throws ember::Error from `op` with `why` when a
// is singular.
std::vector<double> solve_linear(std::vector<double> a, std::vector<double> b, int64_t k, const char* op,
                                 const char* why);

}  // namespace ember::explain::detail
