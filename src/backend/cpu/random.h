#pragma once
// Random fills from one Generator stream in element order, so a seed fixes the values whatever
// the thread count (Kernels::uniform ... bits_to_mask); out contiguous.
#include "ember/random.h"
#include "ember/tensor.h"

namespace ember::cpu {

void uniform(const Tensor& out, Generator& gen);
void normal(const Tensor& out, Generator& gen);
void randint(const Tensor& out, int64_t low, int64_t high, Generator& gen);
void shuffle(const Tensor& out, Generator& gen);
void bernoulli(const Tensor& out, const Tensor& probs, Generator& gen);
// Each 64-bit draw decides two elements from its two 32-bit halves.
void dropout(const Tensor& out, const Tensor& mask, const Tensor& x, double p, Generator& gen);
void dropout_bits(const Tensor& bits, int64_t n, double p, Generator& gen);
void bits_to_mask(const Tensor& z, const Tensor& bits, float keep_scale);

}  // namespace ember::cpu
