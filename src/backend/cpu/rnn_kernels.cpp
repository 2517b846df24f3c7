// Fused RNN / LSTM / GRU layers (see rnn_kernels.h for the packed layout and the plan).
//
// Why hand-written: a recurrent layer as a graph of elementwise ops costs a dozen tensors and
// autograd nodes per time step (hundreds of steps per batch), and the gradient of W_hh as one
// small GEMM per step. Here each step is one GEMM plus one pass over the gates, and the weight
// gradients are single GEMMs over every step at once. The float32 activations use the
// vectorized exp of vec_math.h (the scalar tail uses the same arithmetic, so a row's values do not
// depend on where the vector loop ends); float64 uses the C library.
#include "backend/cpu/rnn_kernels.h"

#include <algorithm>
#include <cmath>
#include <type_traits>
#include <vector>

#include "backend/cpu/gemm.h"
#include "backend/cpu/parallel_range.h"
#include "backend/cpu/vec_math.h"

namespace ember::cpu {

namespace {

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

// ---- forward, one row of one step ----
// Each takes the row's gates (pre-activation in, activated out), the row's state h, c (previous in,
// new out), its output row y and its aux row (null: nothing saved).

template <typename T>
void lstm_row_forward(int64_t H, T* __restrict g, T* __restrict h, T* __restrict c, T* __restrict y,
                      T* __restrict aux) {
  int64_t j = 0;
#if EMBER_HAVE_AVX2
  if constexpr (std::is_same_v<T, float>) {
    for (; j + 8 <= H; j += 8) {
      __m256 xi = _mm256_loadu_ps(g + j), xf = _mm256_loadu_ps(g + H + j);
      __m256 xg = _mm256_loadu_ps(g + 2 * H + j), xo = _mm256_loadu_ps(g + 3 * H + j);
      __m256 ei = neg(xi), ef = neg(xf), eg = neg2abs(xg), eo = neg(xo);
      vec::exp8x4(ei, ef, eg, eo);
      __m256 i = recip1p(ei), f = recip1p(ef), gg = tanh_from(eg, xg), o = recip1p(eo);
      __m256 cp = _mm256_loadu_ps(c + j), hp = _mm256_loadu_ps(h + j);
      __m256 cn = _mm256_fmadd_ps(f, cp, _mm256_mul_ps(i, gg));
      __m256 tc = tanh8(cn);
      __m256 hn = _mm256_mul_ps(o, tc);
      _mm256_storeu_ps(g + j, i), _mm256_storeu_ps(g + H + j, f);
      _mm256_storeu_ps(g + 2 * H + j, gg), _mm256_storeu_ps(g + 3 * H + j, o);
      _mm256_storeu_ps(c + j, cn), _mm256_storeu_ps(h + j, hn), _mm256_storeu_ps(y + j, hn);
      if (aux) _mm256_storeu_ps(aux + j, hp), _mm256_storeu_ps(aux + H + j, cp), _mm256_storeu_ps(aux + 2 * H + j, tc);
    }
  }
#endif
  for (; j < H; ++j) {
    T i = sigmoid_s(g[j]), f = sigmoid_s(g[H + j]), gg = tanh_s(g[2 * H + j]), o = sigmoid_s(g[3 * H + j]);
    T cp = c[j], hp = h[j];
    // fma matches the vector path's _mm256_fmadd_ps bit for bit
    T cn = std::fma(f, cp, i * gg);
    T tc = tanh_s(cn);
    T hn = o * tc;
    g[j] = i, g[H + j] = f, g[2 * H + j] = gg, g[3 * H + j] = o;
    c[j] = cn, h[j] = hn, y[j] = hn;
    if (aux) aux[j] = hp, aux[H + j] = cp, aux[2 * H + j] = tc;
  }
}

// gx: W_ih x + b_ih (r, z, n), gh: W_hh h + b_hh (r, z, n). n = tanh(gx_n + r * gh_n),
// h' = n + z (h - n) (= (1 - z) n + z h, PyTorch's order of operations).
template <typename T>
void gru_row_forward(int64_t H, T* __restrict gx, const T* __restrict gh, T* __restrict h, T* __restrict y,
                     T* __restrict aux) {
  int64_t j = 0;
#if EMBER_HAVE_AVX2
  if constexpr (std::is_same_v<T, float>) {
    for (; j + 8 <= H; j += 8) {
      __m256 r = recip1p(vec::exp8(neg(_mm256_add_ps(_mm256_loadu_ps(gx + j), _mm256_loadu_ps(gh + j)))));
      __m256 z = recip1p(vec::exp8(neg(_mm256_add_ps(_mm256_loadu_ps(gx + H + j), _mm256_loadu_ps(gh + H + j)))));
      __m256 ghn = _mm256_loadu_ps(gh + 2 * H + j);
      __m256 n = tanh8(_mm256_fmadd_ps(r, ghn, _mm256_loadu_ps(gx + 2 * H + j)));
      __m256 hp = _mm256_loadu_ps(h + j);
      __m256 hn = _mm256_fmadd_ps(z, _mm256_sub_ps(hp, n), n);
      _mm256_storeu_ps(gx + j, r), _mm256_storeu_ps(gx + H + j, z), _mm256_storeu_ps(gx + 2 * H + j, n);
      _mm256_storeu_ps(h + j, hn), _mm256_storeu_ps(y + j, hn);
      if (aux) _mm256_storeu_ps(aux + j, hp), _mm256_storeu_ps(aux + H + j, ghn);
    }
  }
#endif
  for (; j < H; ++j) {
    T r = sigmoid_s(gx[j] + gh[j]), z = sigmoid_s(gx[H + j] + gh[H + j]);
    T ghn = gh[2 * H + j];
    T n = tanh_s(std::fma(r, ghn, gx[2 * H + j]));
    T hp = h[j];
    T hn = std::fma(z, hp - n, n);
    gx[j] = r, gx[H + j] = z, gx[2 * H + j] = n;
    h[j] = hn, y[j] = hn;
    if (aux) aux[j] = hp, aux[H + j] = ghn;
  }
}

template <typename T>
void rnn_row_forward(RnnCell cell, int64_t H, T* __restrict g, T* __restrict h, T* __restrict y, T* __restrict aux) {
  int64_t j = 0;
#if EMBER_HAVE_AVX2
  if constexpr (std::is_same_v<T, float>) {
    for (; j + 8 <= H; j += 8) {
      __m256 x = _mm256_loadu_ps(g + j);
      __m256 hn = cell == RnnCell::Relu ? _mm256_max_ps(x, _mm256_setzero_ps()) : tanh8(x);
      if (aux) _mm256_storeu_ps(aux + j, _mm256_loadu_ps(h + j));
      _mm256_storeu_ps(g + j, hn), _mm256_storeu_ps(h + j, hn), _mm256_storeu_ps(y + j, hn);
    }
  }
#endif
  for (; j < H; ++j) {
    T hn = act_s(cell, g[j]);
    if (aux) aux[j] = h[j];
    g[j] = hn, h[j] = hn, y[j] = hn;
  }
}

// ---- backward, one row of one step ----
// dh, dc: the row's state gradients (gradient w.r.t. this step's output state in, w.r.t. the
// previous state out; for dh only the part that does not go through W_hh). dy: the row's output
// gradient or null. dgx: gradient of the input-side pre-activations; dgh (GRU only): of W_hh h + b_hh.

template <typename T>
void lstm_row_backward(int64_t H, const T* __restrict g, const T* __restrict aux, const T* __restrict dy,
                       T* __restrict dh, T* __restrict dc, T* __restrict dgx) {
  const T* cp = aux + H;
  const T* tc = aux + 2 * H;
  for (int64_t j = 0; j < H; ++j) {
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
void gru_row_backward(int64_t H, const T* __restrict g, const T* __restrict aux, const T* __restrict dy,
                      T* __restrict dh, T* __restrict dgx, T* __restrict dgh) {
  const T* hp = aux;
  const T* ghn = aux + H;
  for (int64_t j = 0; j < H; ++j) {
    T r = g[j], z = g[H + j], n = g[2 * H + j];
    T dhj = dh[j] + (dy ? dy[j] : T(0));
    T dn = dhj * (T(1) - z) * (T(1) - n * n);
    T dr = dn * ghn[j] * r * (T(1) - r);
    T dz = dhj * (hp[j] - n) * z * (T(1) - z);
    dgx[j] = dr, dgx[H + j] = dz, dgx[2 * H + j] = dn;
    dgh[j] = dr, dgh[H + j] = dz, dgh[2 * H + j] = dn * r;
    dh[j] = dhj * z;
  }
}

template <typename T>
void rnn_row_backward(RnnCell cell, int64_t H, const T* __restrict g, const T* __restrict dy, T* __restrict dh,
                      T* __restrict dgx) {
  for (int64_t j = 0; j < H; ++j) {
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

// Rows [0, n) of a step split over threads when the step has enough work (elements touched).
template <typename F>
void for_rows(int64_t n, int64_t work, F&& f) {
  parallel_range(n, work, [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) f(r);
  });
}

}  // namespace

template <typename T>
void rnn_layer_forward(const RnnLayerArgs<T>& a, const T* h0, const T* c0, T* y, T* h_n, T* c_n, T* gates,
                       T* aux) {
  const int64_t I = a.input_size, H = a.hidden_size, B = a.batch, G = rnn_gate_count(a.cell) * H;
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

  // The running state of all B rows; rows past a step's batch size keep theirs (already final
  // in forward order, still the initial state in reverse order).
  std::copy(h0, h0 + B * H, h_n);
  if (lstm) std::copy(c0, c0 + B * H, c_n);
  std::vector<T> gh(gru ? B * G : 0);  // GRU: W_hh h + b_hh for the step's rows
  for (int64_t t : p.order) {
    const int64_t bs = a.batch_sizes[t], off = p.offset[t];
    T* gt = gates + off * G;
    if (gru) {
      for (int64_t r = 0; r < bs; ++r)
        for (int64_t k = 0; k < G; ++k) gh[r * G + k] = a.b_hh ? a.b_hh[k] : T(0);
      gemm<T>(false, true, bs, G, H, T(1), h_n, H, a.w_hh, H, T(1), gh.data(), G);  // (bs, H) @ (H, 3H)
    } else {
      gemm<T>(false, true, bs, G, H, T(1), h_n, H, a.w_hh, H, T(1), gt, G);  // (bs, H) @ (H, G), added
    }
    for_rows(bs, bs * (G + 2 * H), [&](int64_t r) {
      T* ar = aux ? aux + (off + r) * A : nullptr;
      T* yr = y + (off + r) * H;
      if (lstm) lstm_row_forward(H, gt + r * G, h_n + r * H, c_n + r * H, yr, ar);
      else if (gru) gru_row_forward(H, gt + r * G, gh.data() + r * G, h_n + r * H, yr, ar);
      else rnn_row_forward(a.cell, H, gt + r * G, h_n + r * H, yr, ar);
    });
  }
}

template <typename T>
void rnn_layer_backward(const RnnLayerArgs<T>& a, const T* gates, const T* aux, const T* dy, const T* dh_n,
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
  for (auto it = p.order.rbegin(); it != p.order.rend(); ++it) {
    const int64_t t = *it, bs = a.batch_sizes[t], off = p.offset[t];
    for_rows(bs, bs * (2 * G + 2 * H), [&](int64_t r) {
      const int64_t row = off + r;
      const T* dyr = dy ? dy + row * H : nullptr;
      if (lstm) lstm_row_backward(H, gates + row * G, aux + row * A, dyr, dh + r * H, dc + r * H, dgx + row * G);
      else if (gru) gru_row_backward(H, gates + row * G, aux + row * A, dyr, dh + r * H, dgx + row * G, dgh + row * G);
      else rnn_row_backward(a.cell, H, gates + row * G, dyr, dh + r * H, dgx + row * G);
    });
    // Through W_hh to the previous state: dh (bs, H) (+)= d(pre) (bs, G) @ W_hh (G, H).
    const T* dpre = (gru ? dgh : dgx) + off * G;
    gemm<T>(false, false, bs, H, G, T(1), dpre, G, a.w_hh, H, gru ? T(1) : T(0), dh, H);
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

template void rnn_layer_forward<float>(const RnnLayerArgs<float>&, const float*, const float*, float*, float*, float*,
                                       float*, float*);
template void rnn_layer_forward<double>(const RnnLayerArgs<double>&, const double*, const double*, double*, double*,
                                        double*, double*, double*);
template void rnn_layer_backward<float>(const RnnLayerArgs<float>&, const float*, const float*, const float*,
                                        const float*, const float*, float*, float*, float*, float*, float*, float*,
                                        float*, float*);
template void rnn_layer_backward<double>(const RnnLayerArgs<double>&, const double*, const double*, const double*,
                                         const double*, const double*, double*, double*, double*, double*, double*,
                                         double*, double*, double*);

}  // namespace ember::cpu
