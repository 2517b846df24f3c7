#pragma once
// bfloat16 matrix products with float32 accumulation: the GEMM behind autocast (see autocast.h).
#include <cstdint>

namespace ember::cpu {

// Row-major C(M, N) = alpha * bf16(op(A)) @ bf16(op(B)) + beta * C, accumulated in float32; A and B
// are float32 and rounded to bfloat16 (nearest even) on the way in. Safe inside OpenMP regions
// (single-threaded there).
void gemm_bf16(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
               int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc);

// True when this CPU multiplies bf16 natively (AVX512_BF16 or AMX) through oneDNN; otherwise
// gemm_bf16 emulates: the same rounded operands, multiplied in float32.
bool bf16_gemm_native();

// An operand that may already be bf16 (autocast's saved copies: bits used as they are) or float32
// (rounded on the way in); ld in elements of its own type.
struct GemmOperand {
  const void* data;
  bool bf16;
  int64_t ld;
};
void gemm_bf16(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, GemmOperand A, GemmOperand B,
               float beta, float* C, int64_t ldc);

// gemm_bf16's path on CPUs without native bf16, callable anywhere (tests hold it to the same
// reference as the native one).
void gemm_bf16_emulated(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, GemmOperand A,
                        GemmOperand B, float beta, float* C, int64_t ldc);

}  // namespace ember::cpu
