// GEMM dispatch: float32 to oneDNN's sgemm or OpenBLAS by the CPU (oneDNN inside parallel regions),
// or to bf16 under autocast; float64 to OpenBLAS; a plain loop for integers.
#include "backend/cpu/gemm.h"

#include "backend/cpu/gemm_bf16.h"

#include <cblas.h>
#include <oneapi/dnnl/dnnl.h>
#include <omp.h>

#include <climits>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "core/op_helpers.h"
#include "ember/autocast.h"
#include "ember/parallel.h"

namespace ember::cpu {

namespace {

// C = alpha * op(A) @ op(B) + beta * C, rows [r0, r1) of C, for any element type. The inner
// loop runs along a row of B (contiguous unless trans_b) so the compiler vectorizes it.
template <typename T>
void gemm_loop(bool ta, bool tb, int64_t r0, int64_t r1, int64_t N, int64_t K, T alpha, const T* A, int64_t lda,
               const T* B, int64_t ldb, T beta, T* C, int64_t ldc) {
  for (int64_t i = r0; i < r1; ++i) {
    T* c = C + i * ldc;
    if (beta == T(0)) {
      for (int64_t j = 0; j < N; ++j) c[j] = T(0);
    } else if (beta != T(1)) {
      for (int64_t j = 0; j < N; ++j) c[j] *= beta;
    }
    for (int64_t k = 0; k < K; ++k) {
      T aik = alpha * (ta ? A[k * lda + i] : A[i * lda + k]);
      if (tb) {
        for (int64_t j = 0; j < N; ++j) c[j] += aik * B[j * ldb + k];
      } else {
        const T* b = B + k * ldb;
        for (int64_t j = 0; j < N; ++j) c[j] += aik * b[j];
      }
    }
  }
}

// C = beta * C for the K = 0 case, which BLAS implementations treat inconsistently.
template <typename T>
void scale_rows(int64_t M, int64_t N, T beta, T* C, int64_t ldc) {
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j) C[i * ldc + j] = beta == T(0) ? T(0) : C[i * ldc + j] * beta;
}

}  // namespace

GemmLib default_gemm_lib() {
  static const GemmLib lib = [] {
    if (const char* env = std::getenv("EMBER_GEMM"); env && *env) {
      if (std::strcmp(env, "openblas") == 0) return GemmLib::OpenBLAS;
      if (std::strcmp(env, "onednn") == 0) return GemmLib::OneDNN;
      throw Error(detail::str_cat("EMBER_GEMM=", env, " is not a float32 GEMM library; use openblas or onednn"));
    }
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") ? GemmLib::OneDNN : GemmLib::OpenBLAS;
  }();
  return lib;
}

const char* gemm_lib_name(GemmLib lib) {
  switch (lib) {
    case GemmLib::Auto: return gemm_lib_name(default_gemm_lib());
    case GemmLib::OpenBLAS: return "OpenBLAS sgemm";
    case GemmLib::OneDNN: return "oneDNN sgemm";
    case GemmLib::BF16: return bf16_gemm_native() ? "oneDNN bf16 matmul" : "bf16 emulated on float32 sgemm";
  }
  return "?";
}

GemmLib resolve_gemm(GemmLib hint) {
  if (hint == GemmLib::BF16 || is_autocast_enabled()) return GemmLib::BF16;
  return hint == GemmLib::Auto ? default_gemm_lib() : hint;
}

void check_blas_size(int64_t v, const char* what) {
  EMBER_CHECK(v <= INT_MAX, "gemm", what, " = ", v, " exceeds the BLAS limit of ", INT_MAX,
              "; split the product into smaller pieces");
}

template <typename T>
void gemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t lda, const T* B,
          int64_t ldb, T beta, T* C, int64_t ldc, GemmLib lib) {
  if (M == 0 || N == 0) return;
  if (K == 0) return scale_rows(M, N, beta, C, ldc);
  if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
    bool nested = omp_in_parallel();
    if constexpr (std::is_same_v<T, float>) {
      // Inside a parallel region the caller resolved (this thread's autocast state is not its own).
      if (!nested || lib == GemmLib::Auto) lib = nested ? default_gemm_lib() : resolve_gemm(lib);
      if (lib == GemmLib::BF16) return gemm_bf16(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
      if (nested || lib == GemmLib::OneDNN) {
        dnnl_status_t st = dnnl_sgemm(ta ? 'T' : 'N', tb ? 'T' : 'N', M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
        if (st != dnnl_success) gemm_loop(ta, tb, 0, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
        return;
      }
    } else if (nested) {
      // No single-threaded float64 BLAS entry is safe here; only used for small test inputs.
      return gemm_loop(ta, tb, 0, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    }
    for (auto [v, what] : {std::pair{M, "M"}, {N, "N"}, {K, "K"}, {lda, "lda"}, {ldb, "ldb"}, {ldc, "ldc"}})
      check_blas_size(v, what);
    auto opa = ta ? CblasTrans : CblasNoTrans, opb = tb ? CblasTrans : CblasNoTrans;
    if constexpr (std::is_same_v<T, float>)
      cblas_sgemm(CblasRowMajor, opa, opb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    else
      cblas_dgemm(CblasRowMajor, opa, opb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  } else {
    int nt = get_num_threads();
    bool par = !omp_in_parallel() && nt > 1 && M > 1 && M * N * K >= (int64_t{1} << 17);
#pragma omp parallel num_threads(nt) if (par)
    {
      int t = omp_get_thread_num(), n = omp_get_num_threads();
      gemm_loop(ta, tb, M * t / n, M * (t + 1) / n, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    }
  }
}

template void gemm<float>(bool, bool, int64_t, int64_t, int64_t, float, const float*, int64_t, const float*, int64_t,
                          float, float*, int64_t, GemmLib);
template void gemm<double>(bool, bool, int64_t, int64_t, int64_t, double, const double*, int64_t, const double*,
                           int64_t, double, double*, int64_t, GemmLib);
template void gemm<int32_t>(bool, bool, int64_t, int64_t, int64_t, int32_t, const int32_t*, int64_t, const int32_t*,
                            int64_t, int32_t, int32_t*, int64_t, GemmLib);
template void gemm<int64_t>(bool, bool, int64_t, int64_t, int64_t, int64_t, const int64_t*, int64_t, const int64_t*,
                            int64_t, int64_t, int64_t*, int64_t, GemmLib);

MatLayout mat_layout(int64_t rows, int64_t cols, int64_t rs, int64_t cs) {
  // A size-1 dim's stride is irrelevant; BLAS only needs ld >= the other extent.
  if ((cols <= 1 || cs == 1) && (rows <= 1 || rs >= std::max<int64_t>(1, cols)))
    return {true, false, rows <= 1 ? std::max<int64_t>(1, cols) : rs};
  if ((rows <= 1 || rs == 1) && (cols <= 1 || cs >= std::max<int64_t>(1, rows)))
    return {true, true, cols <= 1 ? std::max<int64_t>(1, rows) : cs};
  return {};
}

}  // namespace ember::cpu
