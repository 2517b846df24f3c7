#pragma once
// Matrix products on the CPU. Float32/float64 go to a BLAS; integer types use a plain loop.
#include <cstdint>

namespace ember::cpu {

// Which library serves a float32 product. Auto: this CPU's default (default_gemm_lib). OneDNN is
// also the choice of callers with thin, mid-sized products (im2col convolution), where its sgemm
// beats OpenBLAS everywhere (bench/README.md). BF16: autocast's bf16 product (gemm_bf16.h).
enum class GemmLib { Auto, OpenBLAS, OneDNN, BF16 };

// The float32 library on this machine: EMBER_GEMM=openblas|onednn when set, else oneDNN's sgemm
// on CPUs with AVX-512 (OpenBLAS 0.3.21 runs AVX2 kernels there: half the machine) and OpenBLAS
// on AVX2-only CPUs, where it is the faster one on large products (bench/peak.cpp measures both).
GemmLib default_gemm_lib();
const char* gemm_lib_name(GemmLib lib);

// What a product requested with `hint` runs on, read on the calling thread: BF16 while autocast is
// enabled there, else the hint (Auto: default_gemm_lib()). Kernels that multiply inside OpenMP
// regions resolve before entering them: autocast's state is per thread.
GemmLib resolve_gemm(GemmLib hint = GemmLib::Auto);

// Row-major C(M, N) = alpha * op(A)(M, K) @ op(B)(K, N) + beta * C (beta = 0: C is not read).
// Float32 goes to resolve_gemm(lib) (float64: always OpenBLAS); outside an OpenMP parallel region
// the library threads internally. Inside one, float32 goes to oneDNN's sgemm, which runs single-threaded there:
// OpenBLAS's pthread pool must not be entered from several threads at once, so this is what lets
// callers parallelize over a batch of independent products (bmm, per-sample convolution).
template <typename T>
void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t lda,
          const T* B, int64_t ldb, T beta, T* C, int64_t ldc, GemmLib lib = GemmLib::Auto);

// How a strided (rows, cols) matrix is handed to a BLAS without a copy: row-major with leading
// dimension ld, or (trans) the transpose of a row-major (cols, rows) matrix. ok = false when
// neither holds (then the caller copies it to contiguous memory).
struct MatLayout {
  bool ok = false;
  bool trans = false;
  int64_t ld = 1;
};
MatLayout mat_layout(int64_t rows, int64_t cols, int64_t row_stride, int64_t col_stride);

// Throws when v does not fit BLAS's int arguments.
void check_blas_size(int64_t v, const char* what);

}  // namespace ember::cpu
