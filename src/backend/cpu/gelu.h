#pragma once
// GELU, exact (erf) and with the tanh approximation, over contiguous float32 buffers, vectorized
// (AVX2+FMA); a helper of unary.cpp.
//
// Why hand-written: the generic elementwise path calls glibc's scalar tanhf per element, which made
// GELU and its backward about a quarter of GPT-2 training time. With u = sqrt(2/pi) (x + 0.044715 x^3),
// 0.5 (1 + tanh(u)) = sigmoid(2u) = 1 / (1 + exp(-2u)), so one vectorized exp (vec_math.h) does it:
//   gelu(x)  = x s,                 s = 1 / (1 + exp(-2u))
//   gelu'(x) = s + x s (1 - s) 2 du/dx,  du/dx = sqrt(2/pi) (1 + 3 * 0.044715 x^2)
// Large |u| saturates correctly: exp(-2u) -> inf gives s = 0, exp(-2u) -> 0 gives s = 1.
// Tested against the float64 formula in tests/test_gpt_kernels.cpp.
//
// The exact form, gelu(x) = x Phi(x) with Phi the normal CDF, is BERT's: glibc's scalar erff in it
// took 13% of sentence-embedding time. Here Phi(x) = erfc(a)/2 for x < 0 and 1 - erfc(a)/2 for
// x >= 0, a = |x|/sqrt(2), so both tails keep their relative precision, with erfc by the Chebyshev
// fit of Numerical Recipes (erfcc: erfc(a) = t exp(-a^2 - 1.26551223 + t P(t)), t = 1/(1 + a/2),
// fractional error < 1.2e-7 for all a >= 0) and one vectorized exp. a^2 = x^2/2 is formed exactly
// (FMA remainder) and the rounding of the exponent's sum is carried into a 1 + lo factor: in the
// tail a rounded exponent of ~20 alone would cost 2e-6. Past a = 9 (|x| > 12.7) Phi is 0 or 1.
//   gelu'(x) = Phi(x) + x phi(x),  phi(x) = exp(-x^2/2) / sqrt(2 pi)
// Tested against the float64 formula in tests/test_gpt_kernels.cpp.
#include <cstdint>

namespace ember::cpu {

void gelu_tanh_forward(const float* x, float* y, int64_t n);
// gx = g * gelu'(x)
void gelu_tanh_backward(const float* g, const float* x, float* gx, int64_t n);

// Exact GELU: y = x Phi(x); gx = g * (Phi(x) + x phi(x)).
void gelu_erf_forward(const float* x, float* y, int64_t n);
void gelu_erf_backward(const float* g, const float* x, float* gx, int64_t n);

}  // namespace ember::cpu
