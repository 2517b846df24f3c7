#pragma once
// Matrix products on the CPU. Float32/float64 go to a BLAS; integer types use a plain loop.
#include <cstdint>

namespace ember::cpu {

// Which library serves a float32 product outside parallel regions. OpenBLAS is faster on large
// square-ish products (matmul); oneDNN's sgemm on the thin, mid-sized ones of im2col convolution
// (measured on this project's machine: see bench/README.md).
enum class GemmLib { OpenBLAS, OneDNN };

// Row-major C(M, N) = alpha * op(A)(M, K) @ op(B)(K, N) + beta * C (beta = 0: C is not read).
// Outside an OpenMP parallel region float32/float64 go to `lib` (float64: always OpenBLAS), which
// threads internally. Inside one, float32 goes to oneDNN's sgemm, which runs single-threaded there:
// OpenBLAS's pthread pool must not be entered from several threads at once, so this is what lets
// callers parallelize over a batch of independent products (bmm, per-sample convolution).
template <typename T>
void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t lda,
          const T* B, int64_t ldb, T beta, T* C, int64_t ldc, GemmLib lib = GemmLib::OpenBLAS);

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
