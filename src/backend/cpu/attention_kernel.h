#pragma once
// Fused scaled-dot-product attention for float32 (flash-attention style): per (batch, head), query
// tiles of kTileQ rows walk over key tiles of kTileK columns with an online softmax, so only a
// (kTileQ, kTileK) block of scores exists at a time. The forward saves the logsumexp of each query
// row; the backward recomputes the probabilities from it. Heads run in parallel (one thread owns a
// head, so every gradient is written by one thread in a fixed order: bit-identical for a given
// thread count); the tile products are single-threaded GEMMs (backend/cpu/gemm.h, oneDNN inside
// the parallel region).
#include <cstdint>
#include <vector>

namespace ember::cpu {

// One operand of shape (BH, rows, cols): matrix b starts at data + offset[b], rows are ld apart,
// columns are contiguous.
struct AttnOperand {
  const float* data = nullptr;
  const int64_t* offset = nullptr;  // BH entries
  int64_t ld = 0;
};

// A written operand, laid out the same way.
struct AttnResult {
  float* data = nullptr;
  const int64_t* offset = nullptr;  // BH entries
  int64_t ld = 0;
};

struct AttnProblem {
  int64_t BH = 0, L = 0, S = 0, E = 0, Ev = 0;  // q (BH, L, E), k (BH, S, E), v (BH, S, Ev)
  float scale = 1.0f;
  bool causal = false;  // query i sees keys j <= i (top-left aligned)
  // Dropout on the probabilities: bit (bh * L + i) * S + j of keep_bits set = kept (scaled by
  // keep_scale); null = no dropout.
  const uint64_t* keep_bits = nullptr;
  float keep_scale = 1.0f;
};

// out (BH, L, Ev) in any row layout (GPT writes (B, L, H, Ev), so that merging the heads back is
// a view) and lse (BH, L) contiguous.
void attention_forward(const AttnProblem& p, AttnOperand q, AttnOperand k, AttnOperand v, AttnResult out, float* lse);

// From gout (BH, L, Ev) and the forward's out and lse: gq (BH, L, E), gk (BH, S, E), gv (BH, S, Ev).
void attention_backward(const AttnProblem& p, AttnOperand q, AttnOperand k, AttnOperand v, AttnOperand out,
                        const float* lse, AttnOperand gout, AttnResult gq, AttnResult gk, AttnResult gv);

}  // namespace ember::cpu
