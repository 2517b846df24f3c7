// Fused attention forward and backward (see attention.h). Per query tile:
//   forward:  s = scale * q_t k_j^T; m' = max(m, rowmax s); p = exp(s - m'); l = l e^(m - m') + rowsum p;
//             o = o e^(m - m') + (p * keep) v_j; at the end o /= l, lse = m + log l.
//   backward: p = exp(scale * q_t k_j^T - lse); dv_j += (p * keep)^T do_t; dp = (do_t v_j^T) * keep;
//             ds = scale * p * (dp - D) with D = rowsum(do * o); dq_t += ds k_j; dk_j += ds^T q_t.
#include "backend/cpu/attention.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "backend/cpu/gemm.h"
#include "backend/cpu/gemm_bf16.h"
#include "backend/cpu/vec_math.h"
#include "core/op_helpers.h"
#include "ember/parallel.h"

namespace ember::cpu {

namespace {

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
  const int64_t* kv_len = nullptr;  // BH entries in [1, S]: keys past them are masked; null: none
  GemmLib lib = GemmLib::OneDNN;    // resolved on the calling thread: bf16 under autocast
};


constexpr int64_t kTileQ = 64;   // query rows per tile
constexpr int64_t kTileK = 256;  // keys per tile: the whole row at GPT-size contexts

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

// One head's q, k, v or d(out) for the tile products: its float32 rows, or under autocast their
// bf16 copy, made once per head so that every tile reuses it instead of rounding it again.
struct HeadMat {
  const void* data = nullptr;
  bool bf16 = false;
  int64_t ld = 0;
  GemmOperand rows_from(int64_t r) const {
    return bf16 ? GemmOperand{static_cast<const uint16_t*>(data) + r * ld, true, ld}
                : GemmOperand{static_cast<const float*>(data) + r * ld, false, ld};
  }
};
HeadMat head_mat(const AttnProblem& p, const float* base, int64_t rows, int64_t cols, int64_t ld,
                 std::vector<uint16_t>& buf) {
  if (p.lib != GemmLib::BF16) return {base, false, ld};
  buf.resize(static_cast<size_t>(rows * cols));
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) buf[r * cols + c] = BFloat16(base[r * ld + c]).bits;
  return {buf.data(), true, cols};
}
GemmOperand tile(const float* t, int64_t ld) { return {t, false, ld}; }  // a float32 scratch tile

// Per-thread bf16 copies of the current head's operands (empty unless autocast).
struct HeadBufs {
  std::vector<uint16_t> q, k, v, gout;
};

// C = alpha * op(A) @ op(B) + beta * C, single-threaded inside the heads loop (oneDNN's sgemm, or
// bf16 under autocast).
void tile_gemm(const AttnProblem& p, bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, GemmOperand A,
               GemmOperand B, float beta, float* C, int64_t ldc) {
  if (p.lib == GemmLib::BF16) return gemm_bf16(ta, tb, M, N, K, alpha, A, B, beta, C, ldc);
  gemm<float>(ta, tb, M, N, K, alpha, static_cast<const float*>(A.data), A.ld, static_cast<const float*>(B.data),
              B.ld, beta, C, ldc, p.lib);
}

// Row helpers, vectorized by hand (AVX2) because the compiler keeps float reductions in order.
float row_max(const float* x, int64_t n) {
  int64_t c = 0;
  float mx = kNegInf;
#if EMBER_HAVE_AVX2
  if (n >= 16) {
    __m256 m0 = _mm256_set1_ps(kNegInf), m1 = m0;
    for (; c + 16 <= n; c += 16) {
      m0 = _mm256_max_ps(m0, _mm256_loadu_ps(x + c));
      m1 = _mm256_max_ps(m1, _mm256_loadu_ps(x + c + 8));
    }
    mx = vec::hmax8(_mm256_max_ps(m0, m1));
  }
#endif
  for (; c < n; ++c) mx = std::max(mx, x[c]);
  return mx;
}

// x = exp(x - shift) in place; returns the sum of the results when `sum`.
template <bool sum>
float exp_shifted(float* x, int64_t n, float shift) {
  int64_t c = 0;
  float total = 0.0f;
#if EMBER_HAVE_AVX2
  const __m256 sv = _mm256_set1_ps(shift);
  __m256 s0 = _mm256_setzero_ps(), s1 = s0;
  for (; c + 16 <= n; c += 16) {
    __m256 a = vec::exp8(_mm256_sub_ps(_mm256_loadu_ps(x + c), sv));
    __m256 b = vec::exp8(_mm256_sub_ps(_mm256_loadu_ps(x + c + 8), sv));
    _mm256_storeu_ps(x + c, a);
    _mm256_storeu_ps(x + c + 8, b);
    if constexpr (sum) s0 = _mm256_add_ps(s0, a), s1 = _mm256_add_ps(s1, b);
  }
  if constexpr (sum) total = vec::hsum8(_mm256_add_ps(s0, s1));
#endif
  for (; c < n; ++c) {
    x[c] = vec::exp_scalar(x[c] - shift);
    if constexpr (sum) total += x[c];
  }
  return total;
}

float dot(const float* a, const float* b, int64_t n) {
  int64_t c = 0;
  float total = 0.0f;
#if EMBER_HAVE_AVX2
  __m256 s0 = _mm256_setzero_ps(), s1 = s0;
  for (; c + 16 <= n; c += 16) {
    s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + c), _mm256_loadu_ps(b + c), s0);
    s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + c + 8), _mm256_loadu_ps(b + c + 8), s1);
  }
  total = vec::hsum8(_mm256_add_ps(s0, s1));
#endif
  for (; c < n; ++c) total += a[c] * b[c];
  return total;
}

// Keys visible to query rows [i0, i0 + nr) of matrix bh: all S (or the first kv_len[bh]), and
// j <= i under the causal mask. Masked keys past the end add nothing, so the loops stop there.
int64_t key_end(const AttnProblem& p, int64_t bh, int64_t i0, int64_t nr) {
  const int64_t end = p.kv_len ? p.kv_len[bh] : p.S;
  return p.causal ? std::min(end, i0 + nr) : end;
}

// Sets s[r, c] = -inf where key j0 + c lies after query i0 + r (only on tiles crossing the diagonal).
void mask_causal(float* s, int64_t nr, int64_t nc, int64_t i0, int64_t j0) {
  for (int64_t r = 0; r < nr; ++r) {
    int64_t first = std::max<int64_t>(0, i0 + r + 1 - j0);  // first masked column
    for (int64_t c = first; c < nc; ++c) s[r * nc + c] = kNegInf;
  }
}

// x[c] *= keep_scale where the keep bit of column c is set, else *= 0: a multiplication, as the
// composite's x * mask (so inf/NaN propagate the same way), and branch-free.
void apply_keep(float* x, int64_t nc, const uint64_t* bits, int64_t bit0, float keep_scale) {
  for (int64_t c = 0; c < nc; ++c) {
    const int64_t b = bit0 + c;
    x[c] *= static_cast<float>((bits[b >> 6] >> (b & 63)) & 1) * keep_scale;
  }
}

void forward_head(const AttnProblem& p, int64_t bh, const AttnOperand& q, const AttnOperand& k, const AttnOperand& v,
                  const AttnResult& out, float* lse, std::vector<float>& s, std::vector<float>& m, std::vector<float>& l,
                  HeadBufs& hb) {
  const int64_t L = p.L, S = p.S, E = p.E, Ev = p.Ev;
  const HeadMat Q = head_mat(p, q.data + q.offset[bh], L, E, q.ld, hb.q);
  const HeadMat K = head_mat(p, k.data + k.offset[bh], S, E, k.ld, hb.k);
  const HeadMat V = head_mat(p, v.data + v.offset[bh], S, Ev, v.ld, hb.v);
  for (int64_t i0 = 0; i0 < L; i0 += kTileQ) {
    const int64_t nr = std::min(kTileQ, L - i0);
    float* ot = out.data + out.offset[bh] + i0 * out.ld;  // (nr, Ev) accumulator, rows out.ld apart
    for (int64_t r = 0; r < nr; ++r) std::fill(ot + r * out.ld, ot + r * out.ld + Ev, 0.0f);
    std::fill(m.begin(), m.begin() + nr, kNegInf);
    std::fill(l.begin(), l.begin() + nr, 0.0f);
    const int64_t kend = key_end(p, bh, i0, nr);
    for (int64_t j0 = 0; j0 < kend; j0 += kTileK) {
      const int64_t nc = std::min(kTileK, kend - j0);
      float* st = s.data();
      tile_gemm(p, false, true, nr, nc, E, p.scale, Q.rows_from(i0), K.rows_from(j0), 0.0f, st, nc);  // (nr, nc)
      if (p.causal && j0 + nc > i0 + 1) mask_causal(st, nr, nc, i0, j0);
      for (int64_t r = 0; r < nr; ++r) {
        float* row = st + r * nc;
        const float mnew = std::max(m[r], row_max(row, nc));
        if (mnew == kNegInf) {  // every key so far masked: contributes nothing yet
          std::fill(row, row + nc, 0.0f);
          continue;
        }
        const float sum = exp_shifted<true>(row, nc, mnew);
        const float corr = m[r] == kNegInf ? 0.0f : std::exp(m[r] - mnew);
        if (corr != 1.0f) {
          float* orow = ot + r * out.ld;
          for (int64_t e = 0; e < Ev; ++e) orow[e] *= corr;
        }
        l[r] = l[r] * corr + sum;
        m[r] = mnew;
        if (p.keep_bits) apply_keep(row, nc, p.keep_bits, ((bh * L) + i0 + r) * S + j0, p.keep_scale);
      }
      tile_gemm(p, false, false, nr, Ev, nc, 1.0f, tile(st, nc), V.rows_from(j0), 1.0f, ot, out.ld);  // (nr, nc) @ (nc, Ev)
    }
    for (int64_t r = 0; r < nr; ++r) {
      const float inv = 1.0f / l[r];
      float* orow = ot + r * out.ld;
      for (int64_t e = 0; e < Ev; ++e) orow[e] *= inv;
      lse[bh * L + i0 + r] = m[r] + std::log(l[r]);
    }
  }
}

void backward_head(const AttnProblem& p, int64_t bh, const AttnOperand& q, const AttnOperand& k,
                   const AttnOperand& v, const AttnOperand& out, const float* lse, const AttnOperand& gout,
                   const AttnResult& gq, const AttnResult& gk, const AttnResult& gv, std::vector<float>& s,
                   std::vector<float>& pz, std::vector<float>& dp, std::vector<float>& D, HeadBufs& hb) {
  const int64_t L = p.L, S = p.S, E = p.E, Ev = p.Ev;
  const HeadMat Q = head_mat(p, q.data + q.offset[bh], L, E, q.ld, hb.q);
  const HeadMat K = head_mat(p, k.data + k.offset[bh], S, E, k.ld, hb.k);
  const HeadMat V = head_mat(p, v.data + v.offset[bh], S, Ev, v.ld, hb.v);
  const HeadMat GO = head_mat(p, gout.data + gout.offset[bh], L, Ev, gout.ld, hb.gout);
  float* gkb = gk.data + gk.offset[bh];
  float* gvb = gv.data + gv.offset[bh];
  for (int64_t r = 0; r < S; ++r) {
    std::fill(gkb + r * gk.ld, gkb + r * gk.ld + E, 0.0f);
    std::fill(gvb + r * gv.ld, gvb + r * gv.ld + Ev, 0.0f);
  }
  for (int64_t i0 = 0; i0 < L; i0 += kTileQ) {
    const int64_t nr = std::min(kTileQ, L - i0);
    const float* got = gout.data + gout.offset[bh] + i0 * gout.ld;
    const float* ot = out.data + out.offset[bh] + i0 * out.ld;
    const float* lt = lse + bh * L + i0;
    float* gqt = gq.data + gq.offset[bh] + i0 * gq.ld;
    for (int64_t r = 0; r < nr; ++r) std::fill(gqt + r * gq.ld, gqt + r * gq.ld + E, 0.0f);
    for (int64_t r = 0; r < nr; ++r) D[r] = dot(got + r * gout.ld, ot + r * out.ld, Ev);  // D = rowsum(do * o)
    const int64_t kend = key_end(p, bh, i0, nr);
    for (int64_t j0 = 0; j0 < kend; j0 += kTileK) {
      const int64_t nc = std::min(kTileK, kend - j0);
      float* st = s.data();
      tile_gemm(p, false, true, nr, nc, E, p.scale, Q.rows_from(i0), K.rows_from(j0), 0.0f, st, nc);  // (nr, nc)
      if (p.causal && j0 + nc > i0 + 1) mask_causal(st, nr, nc, i0, j0);
      for (int64_t r = 0; r < nr; ++r) exp_shifted<false>(st + r * nc, nc, lt[r]);  // probabilities from lse
      const float* pv = st;  // the probabilities that multiplied v (after dropout)
      if (p.keep_bits) {
        std::copy(st, st + nr * nc, pz.begin());
        for (int64_t r = 0; r < nr; ++r)
          apply_keep(pz.data() + r * nc, nc, p.keep_bits, (bh * L + i0 + r) * S + j0, p.keep_scale);
        pv = pz.data();
      }
      tile_gemm(p, true, false, nc, Ev, nr, 1.0f, tile(pv, nc), GO.rows_from(i0), 1.0f, gvb + j0 * gv.ld, gv.ld);  // dv_j += pv^T do_t
      float* dpt = dp.data();
      tile_gemm(p, false, true, nr, nc, Ev, 1.0f, GO.rows_from(i0), V.rows_from(j0), 0.0f, dpt, nc);  // do_t v_j^T
      for (int64_t r = 0; r < nr; ++r) {
        float* drow = dpt + r * nc;
        if (p.keep_bits) apply_keep(drow, nc, p.keep_bits, (bh * L + i0 + r) * S + j0, p.keep_scale);
        const float* prow = st + r * nc;
        const float dr = D[r];
        for (int64_t c = 0; c < nc; ++c) drow[c] = p.scale * prow[c] * (drow[c] - dr);  // ds
      }
      tile_gemm(p, false, false, nr, E, nc, 1.0f, tile(dpt, nc), K.rows_from(j0), 1.0f, gqt, gq.ld);  // dq_t += ds k_j
      tile_gemm(p, true, false, nc, E, nr, 1.0f, tile(dpt, nc), Q.rows_from(i0), 1.0f, gkb + j0 * gk.ld, gk.ld);  // dk_j += ds^T q_t
    }
  }
}

// Threads for the heads loop: serial when the scores are fewer than ~32K (threads cost more).
int thread_count(const AttnProblem& p) {
  if (p.BH * p.L * p.S < 32768) return 1;
  return static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(get_num_threads(), p.BH)));
}

void forward_all(const AttnProblem& p, AttnOperand q, AttnOperand k, AttnOperand v, AttnResult out, float* lse) {
  const int nt = thread_count(p);
#pragma omp parallel num_threads(nt)
  {
    std::vector<float> s(kTileQ * kTileK), m(kTileQ), l(kTileQ);
    HeadBufs hb;
#pragma omp for schedule(static)
    for (int64_t bh = 0; bh < p.BH; ++bh) forward_head(p, bh, q, k, v, out, lse, s, m, l, hb);
  }
}

void backward_all(const AttnProblem& p, AttnOperand q, AttnOperand k, AttnOperand v, AttnOperand out,
                        const float* lse, AttnOperand gout, AttnResult gq, AttnResult gk, AttnResult gv) {
  const int nt = thread_count(p);
#pragma omp parallel num_threads(nt)
  {
    std::vector<float> s(kTileQ * kTileK), pz(p.keep_bits ? kTileQ * kTileK : 0), dp(kTileQ * kTileK), D(kTileQ);
    HeadBufs hb;
#pragma omp for schedule(static)
    for (int64_t bh = 0; bh < p.BH; ++bh) backward_head(p, bh, q, k, v, out, lse, gout, gq, gk, gv, s, pz, dp, D, hb);
  }
}

Shape batch_of(const Tensor& t) { return Shape(t.shape().begin(), t.shape().end() - 2); }

// Row layout of a (*, rows, cols) operand: per-matrix offsets from the storage base, leading dim.
struct Layout {
  std::vector<int64_t> offset;
  int64_t ld = 0;
};

Layout layout_of(const Tensor& t) {
  const int64_t nd = t.dim(), rows = t.size(-2), cols = t.size(-1);
  Layout lay;
  lay.ld = rows == 1 ? cols : t.stride(-2);
  Shape batch = batch_of(t);
  const int64_t count = detail::shape_numel(batch);
  lay.offset.resize(count);
  Shape idx(batch.size(), 0);
  for (int64_t i = 0; i < count; ++i) {
    int64_t o = t.storage_offset();
    for (int64_t d = 0; d < nd - 2; ++d) o += idx[d] * t.strides()[d];
    lay.offset[i] = o;
    for (int64_t d = nd - 3; d >= 0; --d) {
      if (++idx[d] < batch[d]) break;
      idx[d] = 0;
    }
  }
  return lay;
}

// Offsets count from the storage base, since the views' own offsets differ.
AttnOperand operand(const Tensor& t, const Layout& lay) {
  return {static_cast<const float*>(t.impl().storage->data), lay.offset.data(), lay.ld};
}
AttnResult result(const Tensor& t, const Layout& lay) {
  return {static_cast<float*>(t.impl().storage->data), lay.offset.data(), lay.ld};
}

AttnProblem problem_of(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& keep_bits, const AttnArgs& a) {
  AttnProblem p;
  p.BH = detail::shape_numel(batch_of(q));
  p.L = q.size(-2), p.S = k.size(-2), p.E = q.size(-1), p.Ev = v.size(-1);
  p.scale = a.scale;
  p.causal = a.causal;
  p.kv_len = a.kv_len;
  p.lib = resolve_gemm(GemmLib::OneDNN);
  if (keep_bits.defined()) {
    p.keep_bits = reinterpret_cast<const uint64_t*>(keep_bits.data_ptr<int64_t>());
    p.keep_scale = a.keep_scale;
  }
  return p;
}

}  // namespace

void attention(const Tensor& out, const Tensor& lse, const Tensor& q, const Tensor& k, const Tensor& v,
               const Tensor& keep_bits, const AttnArgs& a) {
  const AttnProblem p = problem_of(q, k, v, keep_bits, a);
  const Layout lq = layout_of(q), lk = layout_of(k), lv = layout_of(v), lo = layout_of(out);
  forward_all(p, operand(q, lq), operand(k, lk), operand(v, lv), result(out, lo), lse.data_ptr<float>());
}

void attention_backward(const Tensor& gq, const Tensor& gk, const Tensor& gv, const Tensor& q, const Tensor& k,
                        const Tensor& v, const Tensor& out, const Tensor& lse, const Tensor& gout,
                        const Tensor& keep_bits, const AttnArgs& a) {
  const AttnProblem p = problem_of(q, k, v, keep_bits, a);
  const Layout lq = layout_of(q), lk = layout_of(k), lv = layout_of(v), lo = layout_of(out), lg = layout_of(gout),
               lgq = layout_of(gq), lgk = layout_of(gk), lgv = layout_of(gv);
  backward_all(p, operand(q, lq), operand(k, lk), operand(v, lv), operand(out, lo), lse.data_ptr<float>(),
               operand(gout, lg), result(gq, lgq), result(gk, lgk), result(gv, lgv));
}

}  // namespace ember::cpu
