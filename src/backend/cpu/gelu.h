#pragma once
// GELU with the tanh approximation over contiguous float32 buffers, vectorized (AVX2+FMA); a
// helper of unary.cpp.
//
// Why hand-written: the generic elementwise path calls glibc's scalar tanhf per element, which made
// GELU and its backward about a quarter of GPT-2 training time. With u = sqrt(2/pi) (x + 0.044715 x^3),
// 0.5 (1 + tanh(u)) = sigmoid(2u) = 1 / (1 + exp(-2u)), so one vectorized exp (vec_math.h) does it:
//   gelu(x)  = x s,                 s = 1 / (1 + exp(-2u))
//   gelu'(x) = s + x s (1 - s) 2 du/dx,  du/dx = sqrt(2/pi) (1 + 3 * 0.044715 x^2)
// Large |u| saturates correctly: exp(-2u) -> inf gives s = 0, exp(-2u) -> 0 gives s = 1.
// Tested against the float64 formula in tests/test_gpt_kernels.cpp.
#include <cstdint>

namespace ember::cpu {

void gelu_tanh_forward(const float* x, float* y, int64_t n);
// gx = g * gelu'(x)
void gelu_tanh_backward(const float* g, const float* x, float* gx, int64_t n);

}  // namespace ember::cpu
