#pragma once
// The two implementations behind scaled_dot_product_attention, exposed for the tests that hold the
// fused kernel to the composite and for bench/. Both expect arguments already checked.
#include <memory>
#include <optional>
#include <vector>

#include "ember/random.h"
#include "ember/tensor.h"

namespace ember::detail {

// softmax(q @ k^T * scale + mask) @ v from matmul, softmax and dropout (any dtype, mask, broadcast).
Tensor sdpa_composite(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& attn_mask, double dropout_p,
                      bool is_causal, double scale, Generator* gen);

// Whether the fused float32 kernel takes these arguments: no attn_mask, identical batch dims, rows
// with unit column stride, no empty dims.
bool sdpa_fused_supported(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& attn_mask);

// Visible keys per (*) matrix of the broadcast batch.
using KeyLengths = std::shared_ptr<const std::vector<int64_t>>;

// When a bool attn_mask only hides each matrix's trailing keys, the same for every query (BERT's
// padding mask, (B, 1, 1, S) of true...true false...false), the number of visible keys per matrix
// of `batch`, each in [1, S]; null for any other mask (or a row with no visible key).
KeyLengths key_padding_lengths(const Tensor& mask, const Shape& batch, int64_t S);

// The fused kernel (backend/cpu/attention) with one autograd node. Dropout draws the same
// mask stream as the composite's dropout on the (*, L, S) weights, so both give identical masks.
// kv_len: a padding mask as key_padding_lengths gives it (null: none).
Tensor sdpa_fused(const Tensor& q, const Tensor& k, const Tensor& v, double dropout_p, bool is_causal, double scale,
                  Generator* gen, KeyLengths kv_len = nullptr);

}  // namespace ember::detail
