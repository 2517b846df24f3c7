#pragma once
// The two implementations behind scaled_dot_product_attention, exposed for the tests that hold the
// fused kernel to the composite and for bench/. Both expect arguments already checked.
#include <optional>

#include "ember/random.h"
#include "ember/tensor.h"

namespace ember::detail {

// softmax(q @ k^T * scale + mask) @ v from matmul, softmax and dropout (any dtype, mask, broadcast).
Tensor sdpa_composite(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& attn_mask, double dropout_p,
                      bool is_causal, double scale, Generator* gen);

// Whether the fused float32 kernel takes these arguments: no attn_mask, identical batch dims, rows
// with unit column stride, no empty dims.
bool sdpa_fused_supported(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& attn_mask);

// The fused kernel (backend/cpu/attention) with one autograd node. Dropout draws the same
// mask stream as the composite's dropout on the (*, L, S) weights, so both give identical masks.
Tensor sdpa_fused(const Tensor& q, const Tensor& k, const Tensor& v, double dropout_p, bool is_causal, double scale,
                  Generator* gen);

}  // namespace ember::detail
