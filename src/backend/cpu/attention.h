#pragma once
// Fused scaled-dot-product attention for float32 (flash-attention style; Kernels::attention): per
// (batch, head), query tiles of kTileQ rows walk over key tiles of kTileK columns with an online
// softmax, so only a (kTileQ, kTileK) block of scores exists at a time. A padding mask
// (AttnArgs::kv_len) ends each matrix's key loop at its last visible key. The forward saves the
// logsumexp of each query row; the backward recomputes the probabilities from it. Heads run in parallel (one thread owns a
// head, so every gradient is written by one thread in a fixed order: bit-identical for a given
// thread count); the tile products are single-threaded GEMMs (backend/cpu/gemm.h, oneDNN inside
// the parallel region).
#include "backend/kernel_args.h"

namespace ember::cpu {

using backend::AttnArgs;

// q (*, L, E), k (*, S, E), v (*, S, Ev): unit column stride, rows at least a row apart, any
// batch strides. out (*, L, Ev) in any such row layout (GPT writes (B, L, H, Ev), so merging the
// heads back is a view); lse (*, L) contiguous. keep_bits: dropout's keep decisions, bit
// (bh * L + i) * S + j set = kept (scaled by keep_scale), or undefined.
void attention(const Tensor& out, const Tensor& lse, const Tensor& q, const Tensor& k, const Tensor& v,
               const Tensor& keep_bits, const AttnArgs& a);
// From gout (*, L, Ev) and the forward's out and lse: gq (*, L, E), gk (*, S, E), gv (*, S, Ev).
void attention_backward(const Tensor& gq, const Tensor& gk, const Tensor& gv, const Tensor& q, const Tensor& k,
                        const Tensor& v, const Tensor& out, const Tensor& lse, const Tensor& gout,
                        const Tensor& keep_bits, const AttnArgs& a);

}  // namespace ember::cpu
