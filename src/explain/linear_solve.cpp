#include "explain/linear_solve.h"

#include <climits>

#include "ember/error.h"

// LAPACK (Fortran ABI) from OpenBLAS, which Ember links.
extern "C" void dgesv_(const int* n, const int* nrhs, double* a, const int* lda, int* ipiv, double* b, const int* ldb,
                       int* info);

namespace ember::explain::detail {

std::vector<double> solve_linear(std::vector<double> a, std::vector<double> b, int64_t k, const char* op,
                                 const char* why) {
  EMBER_CHECK(k > 0 && k < INT_MAX / k, op, "cannot solve a system of ", k, " unknowns");
  const int n = static_cast<int>(k), one = 1;
  std::vector<int> ipiv(static_cast<size_t>(k));
  int info = 0;
  // dgesv reads column-major storage: transpose the row-major a in place first.
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = i + 1; j < k; ++j) std::swap(a[i * k + j], a[j * k + i]);
  dgesv_(&n, &one, a.data(), &n, ipiv.data(), b.data(), &n, &info);
  EMBER_CHECK(info == 0, op, why);
  return b;
}

}  // namespace ember::explain::detail
