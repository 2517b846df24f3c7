// Fused RNN / LSTM / GRU layers (see rnn.h for the packed layout and the plan).
//
// Why hand-written: a recurrent layer as a graph of elementwise ops costs a dozen tensors and
// autograd nodes per time step (hundreds of steps per batch), and the gradient of W_hh as one
// small GEMM per step. Here each step is one GEMM plus one pass over the gates, and the weight
// gradients are single GEMMs over every step at once. The float32 activations use the
// vectorized exp of vec_math.h (the scalar tail uses the same arithmetic, so a row's values do not
// depend on where the vector loop ends); float64 uses the C library.
#include "backend/cpu/rnn.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <type_traits>
#include <vector>

#include "backend/cpu/gemm.h"
#include "backend/cpu/parallel_range.h"
#include "backend/cpu/vec_math.h"
#include "ember/autocast.h"
#include "core/op_helpers.h"
#include "ember/parallel.h"

namespace ember::cpu {

namespace {

using backend::rnn_aux_count;
using backend::rnn_gate_count;

template <typename T>
struct RnnLayerArgs {
  RnnCell cell;
  int64_t input_size, hidden_size, batch;  // I, H, B (= batch_sizes[0])
  const int64_t* batch_sizes;              // (steps), non-increasing, each in [1, B]
  int64_t steps;
  bool reverse;                            // process steps T-1 .. 0
  const T* x;                              // (N, I) contiguous, N = sum of batch_sizes
  const T* w_ih;                           // (G*H, I)
  const T* w_hh;                           // (G*H, H)
  const T* b_ih;                           // (G*H) or null
  const T* b_hh;                           // (G*H) or null
};

// y (N, H): the hidden state of every row; h_n, c_n (B, H): the state after each sequence's last
// step (c only for LSTM). gates (N, G*H): scratch, left holding the activated gates (for plain RNNs
// the new h). aux (N, A*H) with A = rnn_aux_count: what backward needs; null when no backward follows.
template <typename T>
void layer_forward(const RnnLayerArgs<T>& a, const T* h0, const T* c0, T* y, T* h_n, T* c_n, T* gates, T* aux);

// Elements of scratch memory layer_backward needs for N rows, B sequences, hidden size H.
inline int64_t rnn_backward_workspace(RnnCell c, int64_t N, int64_t B, int64_t H) {
  int64_t G = rnn_gate_count(c) * H;
  return N * G * (c == RnnCell::Gru ? 2 : 1) + 2 * B * H + N;
}

// Gradients of the forward above. dy (N, H), dh_n, dc_n (B, H): incoming gradients (dc_n only for
// LSTM). Outputs (each may be null when not wanted; all fully overwritten): dx (N, I), dh0, dc0
// (B, H), dw_ih (G*H, I), dw_hh (G*H, H), db_ih, db_hh (G*H). work: rnn_backward_workspace elements
// (uninitialized; the caller's allocator can recycle it).
template <typename T>
void layer_backward(const RnnLayerArgs<T>& a, const T* gates, const T* aux, const T* dy, const T* dh_n,
                        const T* dc_n, T* dx, T* dh0, T* dc0, T* dw_ih, T* dw_hh, T* db_ih, T* db_hh, T* work);


// ---- activations (scalar) ----
template <typename T>
inline T exp_s(T x) {
  if constexpr (std::is_same_v<T, float>) return vec::exp_scalar(x);
  else return std::exp(x);
}
template <typename T>
inline T sigmoid_s(T x) {
  return T(1) / (T(1) + exp_s(-x));
}
// tanh(|x|) = (1 - e) / (1 + e) with e = exp(-2|x|) in (0, 1]: no overflow; sign restored after.
template <typename T>
inline T tanh_s(T x) {
  if constexpr (std::is_same_v<T, float>) {
    float e = exp_s(-2.0f * std::fabs(x));
    return std::copysign((1.0f - e) / (1.0f + e), x);
  } else {
    return std::tanh(x);
  }
}
template <typename T>
inline T act_s(RnnCell c, T x) {
  return c == RnnCell::Relu ? (x > T(0) ? x : T(0)) : tanh_s(x);
}

#if EMBER_HAVE_AVX2
// ---- activations (8 floats; same arithmetic as the scalar float versions) ----
inline __m256 recip1p(__m256 e) {  // 1 / (1 + e)
  const __m256 one = _mm256_set1_ps(1.0f);
  return _mm256_div_ps(one, _mm256_add_ps(one, e));
}
inline __m256 tanh_from(__m256 e, __m256 x) {  // e = exp(-2|x|)
  const __m256 one = _mm256_set1_ps(1.0f);
  __m256 r = _mm256_div_ps(_mm256_sub_ps(one, e), _mm256_add_ps(one, e));
  return _mm256_or_ps(r, _mm256_and_ps(x, _mm256_set1_ps(-0.0f)));
}
inline __m256 neg2abs(__m256 x) {  // -2|x|
  return _mm256_mul_ps(_mm256_or_ps(x, _mm256_set1_ps(-0.0f)), _mm256_set1_ps(2.0f));
}
inline __m256 tanh8(__m256 x) { return tanh_from(vec::exp8(neg2abs(x)), x); }
inline __m256 neg(__m256 x) { return _mm256_xor_ps(x, _mm256_set1_ps(-0.0f)); }
#endif

// ---- forward, one row of one step, hidden units [j0, j0 + n) ----
// Pointers are already offset by j0; gate k of unit j is at g[k * H + j] (likewise for aux blocks).
// g: the row's gates (pre-activation in, activated out); hp: the previous h (read); hw: the new h
// (written; a different buffer, as other threads may still be reading hp); y: the output row;
// aux: the values saved for backward, or null.

template <typename T>
void lstm_row_forward(int64_t n, int64_t H, T* __restrict g, const T* __restrict hp, T* __restrict hw,
                      T* __restrict c, T* __restrict y, T* __restrict aux) {
  int64_t j = 0;
#if EMBER_HAVE_AVX2
  if constexpr (std::is_same_v<T, float>) {
    for (; j + 8 <= n; j += 8) {
      __m256 xi = _mm256_loadu_ps(g + j), xf = _mm256_loadu_ps(g + H + j);
      __m256 xg = _mm256_loadu_ps(g + 2 * H + j), xo = _mm256_loadu_ps(g + 3 * H + j);
      __m256 ei = neg(xi), ef = neg(xf), eg = neg2abs(xg), eo = neg(xo);
      vec::exp8x4(ei, ef, eg, eo);
      __m256 i = recip1p(ei), f = recip1p(ef), gg = tanh_from(eg, xg), o = recip1p(eo);
      __m256 cp = _mm256_loadu_ps(c + j);
      __m256 cn = _mm256_fmadd_ps(f, cp, _mm256_mul_ps(i, gg));
      __m256 tc = tanh8(cn);
      __m256 hn = _mm256_mul_ps(o, tc);
      _mm256_storeu_ps(g + j, i), _mm256_storeu_ps(g + H + j, f);
      _mm256_storeu_ps(g + 2 * H + j, gg), _mm256_storeu_ps(g + 3 * H + j, o);
      _mm256_storeu_ps(c + j, cn), _mm256_storeu_ps(hw + j, hn), _mm256_storeu_ps(y + j, hn);
      if (aux)
        _mm256_storeu_ps(aux + j, _mm256_loadu_ps(hp + j)), _mm256_storeu_ps(aux + H + j, cp),
            _mm256_storeu_ps(aux + 2 * H + j, tc);
    }
  }
#endif
  for (; j < n; ++j) {
    T i = sigmoid_s(g[j]), f = sigmoid_s(g[H + j]), gg = tanh_s(g[2 * H + j]), o = sigmoid_s(g[3 * H + j]);
    T cp = c[j];
    // fma matches the vector path's _mm256_fmadd_ps bit for bit
    T cn = std::fma(f, cp, i * gg);
    T tc = tanh_s(cn);
    T hn = o * tc;
    g[j] = i, g[H + j] = f, g[2 * H + j] = gg, g[3 * H + j] = o;
    c[j] = cn, hw[j] = hn, y[j] = hn;
    if (aux) aux[j] = hp[j], aux[H + j] = cp, aux[2 * H + j] = tc;
  }
}

// gx: W_ih x + b_ih (r, z, n), gh: W_hh h + b_hh (r, z, n). n = tanh(gx_n + r * gh_n),
// h' = n + z (h - n) (= (1 - z) n + z h, PyTorch's order of operations).
template <typename T>
void gru_row_forward(int64_t n, int64_t H, T* __restrict gx, const T* __restrict gh, const T* __restrict hp,
                     T* __restrict hw, T* __restrict y, T* __restrict aux) {
  int64_t j = 0;
#if EMBER_HAVE_AVX2
  if constexpr (std::is_same_v<T, float>) {
    for (; j + 8 <= n; j += 8) {
      __m256 r = recip1p(vec::exp8(neg(_mm256_add_ps(_mm256_loadu_ps(gx + j), _mm256_loadu_ps(gh + j)))));
      __m256 z = recip1p(vec::exp8(neg(_mm256_add_ps(_mm256_loadu_ps(gx + H + j), _mm256_loadu_ps(gh + H + j)))));
      __m256 ghn = _mm256_loadu_ps(gh + 2 * H + j);
      __m256 nn = tanh8(_mm256_fmadd_ps(r, ghn, _mm256_loadu_ps(gx + 2 * H + j)));
      __m256 hprev = _mm256_loadu_ps(hp + j);
      __m256 hn = _mm256_fmadd_ps(z, _mm256_sub_ps(hprev, nn), nn);
      _mm256_storeu_ps(gx + j, r), _mm256_storeu_ps(gx + H + j, z), _mm256_storeu_ps(gx + 2 * H + j, nn);
      _mm256_storeu_ps(hw + j, hn), _mm256_storeu_ps(y + j, hn);
      if (aux) _mm256_storeu_ps(aux + j, hprev), _mm256_storeu_ps(aux + H + j, ghn);
    }
  }
#endif
  for (; j < n; ++j) {
    T r = sigmoid_s(gx[j] + gh[j]), z = sigmoid_s(gx[H + j] + gh[H + j]);
    T ghn = gh[2 * H + j];
    T nn = tanh_s(std::fma(r, ghn, gx[2 * H + j]));
    T hprev = hp[j];
    T hn = std::fma(z, hprev - nn, nn);
    gx[j] = r, gx[H + j] = z, gx[2 * H + j] = nn;
    hw[j] = hn, y[j] = hn;
    if (aux) aux[j] = hprev, aux[H + j] = ghn;
  }
}

template <typename T>
void rnn_row_forward(RnnCell cell, int64_t n, T* __restrict g, const T* __restrict hp, T* __restrict hw,
                     T* __restrict y, T* __restrict aux) {
  int64_t j = 0;
#if EMBER_HAVE_AVX2
  if constexpr (std::is_same_v<T, float>) {
    for (; j + 8 <= n; j += 8) {
      __m256 x = _mm256_loadu_ps(g + j);
      __m256 hn = cell == RnnCell::Relu ? _mm256_max_ps(x, _mm256_setzero_ps()) : tanh8(x);
      if (aux) _mm256_storeu_ps(aux + j, _mm256_loadu_ps(hp + j));
      _mm256_storeu_ps(g + j, hn), _mm256_storeu_ps(hw + j, hn), _mm256_storeu_ps(y + j, hn);
    }
  }
#endif
  for (; j < n; ++j) {
    T hn = act_s(cell, g[j]);
    if (aux) aux[j] = hp[j];
    g[j] = hn, hw[j] = hn, y[j] = hn;
  }
}

// ---- backward, one row of one step, hidden units [j0, j0 + n) (pointers offset by j0) ----
// dh, dc: the row's state gradients (gradient w.r.t. this step's output state in, w.r.t. the
// previous state out; for dh only the part that does not go through W_hh). dy: the row's output
// gradient or null. dgx: gradient of the input-side pre-activations; dgh (GRU only): of W_hh h + b_hh.

template <typename T>
void lstm_row_backward(int64_t n, int64_t H, const T* __restrict g, const T* __restrict aux, const T* __restrict dy,
                       T* __restrict dh, T* __restrict dc, T* __restrict dgx) {
  const T* cp = aux + H;
  const T* tc = aux + 2 * H;
  for (int64_t j = 0; j < n; ++j) {
    T i = g[j], f = g[H + j], gg = g[2 * H + j], o = g[3 * H + j];
    T dhj = dh[j] + (dy ? dy[j] : T(0));
    T t = tc[j];
    T dcj = dc[j] + dhj * o * (T(1) - t * t);
    dgx[j] = dcj * gg * i * (T(1) - i);
    dgx[H + j] = dcj * cp[j] * f * (T(1) - f);
    dgx[2 * H + j] = dcj * i * (T(1) - gg * gg);
    dgx[3 * H + j] = dhj * t * o * (T(1) - o);
    dc[j] = dcj * f;
  }
}

template <typename T>
void gru_row_backward(int64_t n, int64_t H, const T* __restrict g, const T* __restrict aux, const T* __restrict dy,
                      T* __restrict dh, T* __restrict dgx, T* __restrict dgh) {
  const T* hp = aux;
  const T* ghn = aux + H;
  for (int64_t j = 0; j < n; ++j) {
    T r = g[j], z = g[H + j], nn = g[2 * H + j];
    T dhj = dh[j] + (dy ? dy[j] : T(0));
    T dn = dhj * (T(1) - z) * (T(1) - nn * nn);
    T dr = dn * ghn[j] * r * (T(1) - r);
    T dz = dhj * (hp[j] - nn) * z * (T(1) - z);
    dgx[j] = dr, dgx[H + j] = dz, dgx[2 * H + j] = dn;
    dgh[j] = dr, dgh[H + j] = dz, dgh[2 * H + j] = dn * r;
    dh[j] = dhj * z;
  }
}

template <typename T>
void rnn_row_backward(RnnCell cell, int64_t n, const T* __restrict g, const T* __restrict dy, T* __restrict dh,
                      T* __restrict dgx) {
  for (int64_t j = 0; j < n; ++j) {
    T dhj = dh[j] + (dy ? dy[j] : T(0));
    T hn = g[j];
    dgx[j] = cell == RnnCell::Relu ? (hn > T(0) ? dhj : T(0)) : dhj * (T(1) - hn * hn);
  }
}

// Row offsets of each step and the order the forward visits them.
struct StepPlan {
  std::vector<int64_t> offset;  // (steps)
  std::vector<int64_t> order;   // forward visiting order
  int64_t rows = 0;             // N
};
StepPlan plan_steps(const int64_t* batch_sizes, int64_t steps, bool reverse) {
  StepPlan p;
  p.offset.resize(steps);
  for (int64_t t = 0; t < steps; ++t) p.offset[t] = p.rows, p.rows += batch_sizes[t];
  p.order.resize(steps);
  for (int64_t k = 0; k < steps; ++k) p.order[k] = reverse ? steps - 1 - k : k;
  return p;
}

// Threads for the step loop. Each thread owns a slice of the hidden units for the whole sequence:
// its columns of every gate, its share of the per-step W_hh products (single-threaded GEMMs on its
// slice of W_hh, which stays in its cache) and its pointwise work, so a step costs one barrier
// (instead of a threaded BLAS call plus a parallel pointwise pass, two or more). Slices are
// multiples of 16 units (whole 64-byte lines of float32), at least 32 units per thread.
int step_threads(int64_t B, int64_t G, int64_t H) {
  int64_t nt = std::min<int64_t>(get_num_threads(), H / 32);
  if (B * G * H < (int64_t{1} << 18)) nt = 1;  // below ~1 MFLOP per step threads cost more than they save
  return static_cast<int>(std::max<int64_t>(nt, 1));
}
int64_t slice_begin(int64_t H, int t, int nt) { return t == 0 ? 0 : t == nt ? H : (H * t / nt) / 16 * 16; }

// W_hh products of one step for units [j0, j1): out[r, k*H + j] (+)= sum_m h[r, m] W_hh[k*H + j, m]
// for each gate block k. With the whole range it is one GEMM over all gates.
template <typename T>
void hidden_product(int64_t bs, int64_t gates, int64_t H, int64_t j0, int64_t j1, const T* h, const T* w_hh, T beta,
                    T* out, int64_t ldo) {
  if (j0 == 0 && j1 == H) return gemm<T>(false, true, bs, gates * H, H, T(1), h, H, w_hh, H, beta, out, ldo);
  for (int64_t k = 0; k < gates; ++k)  // (bs, H) @ (H, j1 - j0)
    gemm<T>(false, true, bs, j1 - j0, H, T(1), h, H, w_hh + (k * H + j0) * H, H, beta, out + k * H + j0, ldo);
}


template <typename T>
void layer_forward(const RnnLayerArgs<T>& a, const T* h0, const T* c0, T* y, T* h_n, T* c_n, T* gates,
                       T* aux) {
  const int64_t I = a.input_size, H = a.hidden_size, B = a.batch, nG = rnn_gate_count(a.cell), G = nG * H;
  const int64_t A = rnn_aux_count(a.cell) * H;
  const bool lstm = a.cell == RnnCell::Lstm, gru = a.cell == RnnCell::Gru;
  StepPlan p = plan_steps(a.batch_sizes, a.steps, a.reverse);
  const int64_t N = p.rows;

  // Input projection of every step at once: gates (N, G) = x (N, I) @ W_ih^T (I, G) + bias.
  // The hidden-side bias joins it except for GRU, whose b_hn must stay inside r * (...).
  std::vector<T> bias(G, T(0));
  bool has_bias = a.b_ih || (a.b_hh && !gru);
  for (int64_t k = 0; k < G; ++k) bias[k] = (a.b_ih ? a.b_ih[k] : T(0)) + (a.b_hh && !gru ? a.b_hh[k] : T(0));
  if (has_bias)
    parallel_range(N, N * G, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) std::copy(bias.begin(), bias.end(), gates + r * G);
    });
  gemm<T>(false, true, N, G, I, T(1), a.x, I, a.w_ih, I, has_bias ? T(1) : T(0), gates, G);

  // h alternates between two buffers (step k reads hbuf[k % 2], writes the other): a thread may
  // start writing its slice of the new state while another still multiplies the old one. Rows past
  // a step's batch size are not touched: finished (forward order) or still at h0 (reverse order).
  std::vector<T> hbuf(2 * B * H), gh(gru ? B * G : 0);  // gh: GRU's W_hh h + b_hh for a step's rows
  std::copy(h0, h0 + B * H, hbuf.begin());
  std::copy(h0, h0 + B * H, hbuf.begin() + B * H);
  if (lstm) std::copy(c0, c0 + B * H, c_n);  // the cell state is only touched by its slice's owner
  const int nt = step_threads(B, G, H);
#pragma omp parallel num_threads(nt) if (nt > 1)
  {
    const int t = nt > 1 ? omp_get_thread_num() : 0;
    const int64_t j0 = slice_begin(H, t, nt), j1 = slice_begin(H, t + 1, nt), n = j1 - j0;
    for (int64_t k = 0; k < a.steps; ++k) {
      const int64_t step = p.order[k], bs = a.batch_sizes[step], off = p.offset[step];
      const T* hp = hbuf.data() + (k % 2) * B * H;
      T* hw = hbuf.data() + ((k + 1) % 2) * B * H;
      T* gt = gates + off * G;
      if (n > 0) {
        if (gru) {
          for (int64_t r = 0; r < bs; ++r)
            for (int64_t q = 0; q < nG; ++q)
              for (int64_t j = j0; j < j1; ++j) gh[r * G + q * H + j] = a.b_hh ? a.b_hh[q * H + j] : T(0);
          hidden_product(bs, nG, H, j0, j1, hp, a.w_hh, T(1), gh.data(), G);  // (bs, H) @ (H, 3 slices)
        } else {
          hidden_product(bs, nG, H, j0, j1, hp, a.w_hh, T(1), gt, G);  // added to the input projection
        }
        for (int64_t r = 0; r < bs; ++r) {
          T* ar = aux ? aux + (off + r) * A + j0 : nullptr;
          T* yr = y + (off + r) * H + j0;
          const T* hpr = hp + r * H + j0;
          T* hwr = hw + r * H + j0;
          if (lstm) lstm_row_forward(n, H, gt + r * G + j0, hpr, hwr, c_n + r * H + j0, yr, ar);
          else if (gru) gru_row_forward(n, H, gt + r * G + j0, gh.data() + r * G + j0, hpr, hwr, yr, ar);
          else rnn_row_forward(a.cell, n, gt + r * G + j0, hpr, hwr, yr, ar);
        }
      }
#pragma omp barrier
    }
  }
  // h_n: each sequence's output at its last step (step len - 1 forward, step 0 in reverse).
  for (int64_t b = 0, t = a.steps - 1; b < B; ++b) {
    while (!a.reverse && a.batch_sizes[t] <= b) --t;
    const T* src = y + (p.offset[a.reverse ? 0 : t] + b) * H;
    std::copy(src, src + H, h_n + b * H);
  }
}

template <typename T>
void layer_backward(const RnnLayerArgs<T>& a, const T* gates, const T* aux, const T* dy, const T* dh_n,
                        const T* dc_n, T* dx, T* dh0, T* dc0, T* dw_ih, T* dw_hh, T* db_ih, T* db_hh,
                        T* work) {
  const int64_t I = a.input_size, H = a.hidden_size, B = a.batch, G = rnn_gate_count(a.cell) * H;
  const int64_t A = rnn_aux_count(a.cell) * H;
  const bool lstm = a.cell == RnnCell::Lstm, gru = a.cell == RnnCell::Gru;
  StepPlan p = plan_steps(a.batch_sizes, a.steps, a.reverse);
  const int64_t N = p.rows;

  // dgx (N, G): gradient of the input-side pre-activations; for LSTM and plain RNNs it is also the
  // hidden side's. GRU keeps the hidden side's apart (dgh), as its n gate sees r * (W_hn h + b_hn).
  T* dgx = work;                        // (N, G)
  T* dgh = gru ? dgx + N * G : nullptr;  // (N, G)
  T* dh = dgx + N * G * (gru ? 2 : 1);   // (B, H)
  T* dc = dh + B * H;                    // (B, H)
  T* ones = dc + B * H;                  // (N)
  std::copy(dh_n, dh_n + B * H, dh);
  if (lstm) std::copy(dc_n, dc_n + B * H, dc);
  // Same slices as the forward. Per step: the pointwise pass on the thread's units, a barrier (the
  // product below needs every unit's gate gradients), then the thread's columns of
  // dh (bs, H) (+)= d(pre) (bs, G) @ W_hh (G, H), which only the same thread reads next.
  const int nt = step_threads(B, G, H);
#pragma omp parallel num_threads(nt) if (nt > 1)
  {
    const int t = nt > 1 ? omp_get_thread_num() : 0;
    const int64_t j0 = slice_begin(H, t, nt), j1 = slice_begin(H, t + 1, nt), n = j1 - j0;
    for (auto it = p.order.rbegin(); it != p.order.rend(); ++it) {
      const int64_t bs = a.batch_sizes[*it], off = p.offset[*it];
      for (int64_t r = 0; r < bs && n > 0; ++r) {
        const int64_t row = off + r;
        const T* dyr = dy ? dy + row * H + j0 : nullptr;
        const T* gr = gates + row * G + j0;
        const T* ar = aux + row * A + j0;
        if (lstm) lstm_row_backward(n, H, gr, ar, dyr, dh + r * H + j0, dc + r * H + j0, dgx + row * G + j0);
        else if (gru) gru_row_backward(n, H, gr, ar, dyr, dh + r * H + j0, dgx + row * G + j0, dgh + row * G + j0);
        else rnn_row_backward(a.cell, n, gr, dyr, dh + r * H + j0, dgx + row * G + j0);
      }
#pragma omp barrier
      if (n > 0) {
        const T* dpre = (gru ? dgh : dgx) + off * G;  // (bs, G) @ W_hh[:, j0:j1] (G, n)
        gemm<T>(false, false, bs, n, G, T(1), dpre, G, a.w_hh + j0, H, gru ? T(1) : T(0), dh + j0, H);
      }
    }
  }
  if (dh0) std::copy(dh, dh + B * H, dh0);
  if (dc0 && lstm) std::copy(dc, dc + B * H, dc0);

  const T* dghp = gru ? dgh : dgx;
  if (dx) gemm<T>(false, false, N, I, G, T(1), dgx, G, a.w_ih, I, T(0), dx, I);     // (N, G) @ (G, I)
  if (dw_ih) gemm<T>(true, false, G, I, N, T(1), dgx, G, a.x, I, T(0), dw_ih, I);   // (G, N) @ (N, I)
  if (dw_hh) gemm<T>(true, false, G, H, N, T(1), dghp, G, aux, A, T(0), dw_hh, H);  // (G, N) @ h_prev (N, H)
  if (db_ih || db_hh) {
    // Column sums as a product with a ones vector: the BLAS sums in a fixed order, with threads.
    std::fill(ones, ones + N, T(1));
    if (db_ih) gemm<T>(true, false, G, 1, N, T(1), dgx, G, ones, 1, T(0), db_ih, 1);
    if (db_hh) {
      if (!gru && db_ih) std::copy(db_ih, db_ih + G, db_hh);
      else gemm<T>(true, false, G, 1, N, T(1), dghp, G, ones, 1, T(0), db_hh, 1);
    }
  }
}

template <typename T>
T* ptr_or_null(const Tensor& t) {
  return t.defined() ? t.data_ptr<T>() : nullptr;
}

template <typename T>
RnnLayerArgs<T> args_of(const Tensor& x, const RnnWeights& w, const RnnArgs& a, int64_t H, int64_t B, bool biases) {
  return {a.cell, x.size(1), H, B, a.batch_sizes, a.steps, a.reverse, x.data_ptr<T>(), w.w_ih.data_ptr<T>(),
          w.w_hh.data_ptr<T>(), biases ? ptr_or_null<T>(w.b_ih) : nullptr, biases ? ptr_or_null<T>(w.b_hh) : nullptr};
}

}  // namespace

void rnn_layer(const Tensor& z, const Tensor& gates, const Tensor& aux, const Tensor& x, const Tensor& h0,
               const Tensor& c0, const RnnWeights& w, const RnnArgs& a) {
  const int64_t N = x.size(0), H = w.w_hh.size(1), B = a.batch_sizes[0];
  const bool lstm = a.cell == RnnCell::Lstm;
  AutocastGuard fp32(false);  // the recurrent steps' small products stay float32 (see autocast.h)
  EMBER_DISPATCH_FLOATING(x.dtype(), "rnn_layer", [&]<typename T>() {
    T* zp = z.data_ptr<T>();
    layer_forward<T>(args_of<T>(x, w, a, H, B, true), h0.data_ptr<T>(), ptr_or_null<T>(c0), zp, zp + N * H,
                     lstm ? zp + (N + B) * H : nullptr, gates.data_ptr<T>(), ptr_or_null<T>(aux));
  });
}

void rnn_layer_backward(const RnnGrads& d, const Tensor& gz, const Tensor& gates, const Tensor& aux, const Tensor& x,
                        const RnnWeights& w, const RnnArgs& a) {
  const int64_t N = x.size(0), H = w.w_hh.size(1), B = a.batch_sizes[0];
  const bool lstm = a.cell == RnnCell::Lstm;
  // Scratch from the tensor allocator, which recycles it between calls.
  Tensor work = detail::make_tensor({rnn_backward_workspace(a.cell, N, B, H)}, x.dtype(), x.device());
  AutocastGuard fp32(false);
  EMBER_DISPATCH_FLOATING(x.dtype(), "rnn_layer_backward", [&]<typename T>() {
    const T* gp = gz.data_ptr<T>();
    layer_backward<T>(args_of<T>(x, w, a, H, B, false), gates.data_ptr<T>(), aux.data_ptr<T>(), gp, gp + N * H,
                      lstm ? gp + (N + B) * H : nullptr, ptr_or_null<T>(d.dx), ptr_or_null<T>(d.dh0),
                      ptr_or_null<T>(d.dc0), ptr_or_null<T>(d.dw_ih), ptr_or_null<T>(d.dw_hh), ptr_or_null<T>(d.db_ih),
                      ptr_or_null<T>(d.db_hh), work.data_ptr<T>());
  });
}

}  // namespace ember::cpu
