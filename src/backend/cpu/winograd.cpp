// Winograd F(2x2, 3x3) backward (see winograd.h). With B^T, G, A^T the usual F(2x2, 3x3)
// matrices, the forward convolution of each 2x2 output tile t with 4x4 input patch d_t is
//   y_t = A^T [ U ⊙ V_t ] A,   U = G w G^T,  V_t = B^T d_t B   (summed over input channels),
// so, with Z_t = A gy_t A^T, its adjoints are
//   input grad   gd_t = B [ U ⊙ Z_t ] B^T    (added up where neighbouring patches overlap)
//   weight grad  gw   = G^T [ sum_t Z_t ⊙ V_t ] G
// The sums over channels (and, for gw, over tiles) at each of the 16 patch positions xi are GEMMs:
//   Q[xi] (C, T)  = U[xi]^T (C, Co) @ Z[xi] (Co, T)
//   S[xi] (Co, C) = Z[xi] (Co, T) @ V[xi]^T (T, C)
#include "backend/cpu/winograd.h"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "backend/cpu/gemm.h"
#include "ember/parallel.h"

namespace ember::cpu {

namespace {

// Tiles per GEMM block: wide enough for oneDNN's sgemm to run near full speed on the 16 products
// of a block, small enough for the block's transforms to stay mostly in cache (192-256 measured
// best on the seed CNN's 32->64 channel layer).
constexpr int64_t kTileBlock = 256;

// The 16 transformed matrices of a block sit `block_stride` floats apart. A plain C * kTileBlock
// would be a large power of two, putting all 16 streams of a transform in the same L1 cache set
// (measured 2-3x slower transforms); 16 floats of padding spreads them over different sets.
int64_t block_stride(int64_t channels) { return channels * kTileBlock + 16; }

// With fewer channels the per-block GEMMs are too thin and im2col wins (measured: 0.84-0.97x at
// 8-16 channels, 1.2-1.35x at 32-128).
constexpr int64_t kMinChannels = 32;

struct Tiling {
  int64_t TH, TW, Ts;  // output tiles per sample: rows, columns, total
  int64_t row_len;     // scratch row length: input columns -pw .. 2 * TW + 1 - pw
  explicit Tiling(const ConvGeom& g) : TH((g.OH + 1) / 2), TW((g.OW + 1) / 2), Ts(TH * TW), row_len(2 * TW + 2) {}
};

// A run of tiles of one tile row: sample n, tile row th, tile columns [tw0, tw1), stored at block
// positions k0, k0 + 1, ... Transforms loop over such runs so that their inner loops (over tile
// columns) read and write memory at fixed strides and vectorize.
struct Segment {
  int64_t n, th, tw0, tw1, k0;
};

// (The tile-column loops below carry `#pragma GCC ivdep`: their 16 output streams never alias
// their inputs, but GCC cannot prove it and would otherwise not vectorize them.)

// Splits the tiles [q0, q0 + nb) (numbered across samples) into runs along tile rows.
void segments_of_block(const Tiling& tl, int64_t q0, int64_t nb, std::vector<Segment>& out) {
  out.clear();
  for (int64_t q = q0; q < q0 + nb;) {
    const int64_t n = q / tl.Ts, t = q % tl.Ts, th = t / tl.TW, tw = t % tl.TW;
    const int64_t len = std::min(tl.TW - tw, q0 + nb - q);
    out.push_back({n, th, tw, tw + len, q - q0});
    q += len;
  }
}

// Input row h of plane xc as columns -pw .. row_len - 1 - pw: the row itself when those columns
// all lie inside it, else a zero-padded copy in buf.
const float* load_row(const float* xc, const ConvGeom& g, int64_t h, int64_t row_len, float* buf) {
  if (h >= 0 && h < g.H && g.pw == 0 && row_len <= g.W) return xc + h * g.W;
  if (h < 0 || h >= g.H) {
    std::fill(buf, buf + row_len, 0.f);
    return buf;
  }
  const int64_t lo = std::min(g.pw, row_len), hi = std::clamp(g.W + g.pw, lo, row_len);  // buf[lo, hi) is inside
  std::fill(buf, buf + lo, 0.f);
  std::memcpy(buf + lo, xc + h * g.W + (lo - g.pw), sizeof(float) * (hi - lo));
  std::fill(buf + hi, buf + row_len, 0.f);
  return buf;
}

// U (16, Co, C): G w G^T for every 3x3 kernel.
void transform_weights(const float* w, float* U, int64_t Co, int64_t C) {
  for (int64_t co = 0; co < Co; ++co)
    for (int64_t c = 0; c < C; ++c) {
      const float* k = w + (co * C + c) * 9;
      float t[4][3];
      for (int j = 0; j < 3; ++j) {
        float g0 = k[j], g1 = k[3 + j], g2 = k[6 + j];
        t[0][j] = g0;
        t[1][j] = 0.5f * (g0 + g1 + g2);
        t[2][j] = 0.5f * (g0 - g1 + g2);
        t[3][j] = g2;
      }
      for (int i = 0; i < 4; ++i) {
        float a0 = t[i][0], a1 = t[i][1], a2 = t[i][2];
        float r[4] = {a0, 0.5f * (a0 + a1 + a2), 0.5f * (a0 - a1 + a2), a2};
        for (int j = 0; j < 4; ++j) U[((i * 4 + j) * Co + co) * C + c] = r[j];
      }
    }
}

// gw (Co, C, 3, 3) = G^T S G, with S (16, Co, C).
void inverse_transform_weights(const float* S, float* gw, int64_t Co, int64_t C) {
  for (int64_t co = 0; co < Co; ++co)
    for (int64_t c = 0; c < C; ++c) {
      float s[4][4];
      for (int xi = 0; xi < 16; ++xi) s[xi / 4][xi % 4] = S[(xi * Co + co) * C + c];
      float t[3][4];
      for (int j = 0; j < 4; ++j) {
        t[0][j] = s[0][j] + 0.5f * (s[1][j] + s[2][j]);
        t[1][j] = 0.5f * (s[1][j] - s[2][j]);
        t[2][j] = 0.5f * (s[1][j] + s[2][j]) + s[3][j];
      }
      float* k = gw + (co * C + c) * 9;
      for (int r = 0; r < 3; ++r) {
        k[r * 3 + 0] = t[r][0] + 0.5f * (t[r][1] + t[r][2]);
        k[r * 3 + 1] = 0.5f * (t[r][1] - t[r][2]);
        k[r * 3 + 2] = 0.5f * (t[r][1] + t[r][2]) + t[r][3];
      }
    }
}

// V (16, C, nb): B^T d B of each tile's 4x4 input patch (zero outside the input).
void transform_input(const float* x, float* V, const ConvGeom& g, const Tiling& tl, const std::vector<Segment>& segs,
                     int64_t nb, float* rows) {
  const int64_t C = g.C, step = block_stride(C), L = tl.row_len;
  for (const Segment& sg : segs)
    for (int64_t c = 0; c < C; ++c) {
      const float* xc = x + (sg.n * C + c) * g.H * g.W;
      const float* r0 = load_row(xc, g, 2 * sg.th - g.ph, L, rows);
      const float* r1 = load_row(xc, g, 2 * sg.th - g.ph + 1, L, rows + L);
      const float* r2 = load_row(xc, g, 2 * sg.th - g.ph + 2, L, rows + 2 * L);
      const float* r3 = load_row(xc, g, 2 * sg.th - g.ph + 3, L, rows + 3 * L);
      float* v = V + c * nb + sg.k0 - sg.tw0;
#pragma GCC ivdep
      for (int64_t tw = sg.tw0; tw < sg.tw1; ++tw) {
        const int64_t j = 2 * tw;
        // t = B^T d, one column of the patch at a time
        float t00 = r0[j] - r2[j], t01 = r0[j + 1] - r2[j + 1], t02 = r0[j + 2] - r2[j + 2], t03 = r0[j + 3] - r2[j + 3];
        float t10 = r1[j] + r2[j], t11 = r1[j + 1] + r2[j + 1], t12 = r1[j + 2] + r2[j + 2], t13 = r1[j + 3] + r2[j + 3];
        float t20 = r2[j] - r1[j], t21 = r2[j + 1] - r1[j + 1], t22 = r2[j + 2] - r1[j + 2], t23 = r2[j + 3] - r1[j + 3];
        float t30 = r1[j] - r3[j], t31 = r1[j + 1] - r3[j + 1], t32 = r1[j + 2] - r3[j + 2], t33 = r1[j + 3] - r3[j + 3];
        // V = t B
        v[0 * step + tw] = t00 - t02, v[1 * step + tw] = t01 + t02, v[2 * step + tw] = t02 - t01, v[3 * step + tw] = t01 - t03;
        v[4 * step + tw] = t10 - t12, v[5 * step + tw] = t11 + t12, v[6 * step + tw] = t12 - t11, v[7 * step + tw] = t11 - t13;
        v[8 * step + tw] = t20 - t22, v[9 * step + tw] = t21 + t22, v[10 * step + tw] = t22 - t21, v[11 * step + tw] = t21 - t23;
        v[12 * step + tw] = t30 - t32, v[13 * step + tw] = t31 + t32, v[14 * step + tw] = t32 - t31, v[15 * step + tw] = t31 - t33;
      }
    }
}

// Z (16, Co, nb) = A q A^T of each 2x2 output-gradient tile q (zero outside the output).
void transform_output_grad(const float* gy, float* Z, const ConvGeom& g, const Tiling& tl,
                           const std::vector<Segment>& segs, int64_t nb, float* rows) {
  const int64_t Co = g.Co, OH = g.OH, OW = g.OW, step = block_stride(Co), L = tl.row_len;
  float *q0 = rows, *q1 = rows + L;
  for (const Segment& sg : segs)
    for (int64_t co = 0; co < Co; ++co) {
      const float* gp = gy + (sg.n * Co + co) * OH * OW;
      const float *g0 = q0, *g1 = q1;
      if (2 * sg.th + 1 < OH && 2 * sg.tw1 <= OW) {  // whole tiles inside the output: read in place
        g0 = gp + 2 * sg.th * OW;
        g1 = g0 + OW;
      } else {
        for (int i = 0; i < 2; ++i) {
          const int64_t oh = 2 * sg.th + i;
          float* dst = i == 0 ? q0 : q1;
          for (int64_t w = 2 * sg.tw0; w < 2 * sg.tw1; ++w) dst[w] = (oh < OH && w < OW) ? gp[oh * OW + w] : 0.f;
        }
      }
      float* z = Z + co * nb + sg.k0 - sg.tw0;
#pragma GCC ivdep
      for (int64_t tw = sg.tw0; tw < sg.tw1; ++tw) {
        const int64_t j = 2 * tw;
        // t = A q (4x2), then t A^T (4x4)
        float t00 = g0[j], t01 = g0[j + 1];
        float t10 = g0[j] + g1[j], t11 = g0[j + 1] + g1[j + 1];
        float t20 = g0[j] - g1[j], t21 = g0[j + 1] - g1[j + 1];
        float t30 = -g1[j], t31 = -g1[j + 1];
        z[0 * step + tw] = t00, z[1 * step + tw] = t00 + t01, z[2 * step + tw] = t00 - t01, z[3 * step + tw] = -t01;
        z[4 * step + tw] = t10, z[5 * step + tw] = t10 + t11, z[6 * step + tw] = t10 - t11, z[7 * step + tw] = -t11;
        z[8 * step + tw] = t20, z[9 * step + tw] = t20 + t21, z[10 * step + tw] = t20 - t21, z[11 * step + tw] = -t21;
        z[12 * step + tw] = t30, z[13 * step + tw] = t30 + t31, z[14 * step + tw] = t30 - t31, z[15 * step + tw] = -t31;
      }
    }
}

// gx patch += B Q B^T for each tile, where it falls inside the input. Neighbouring patches
// overlap by two columns, so each tile's columns 0-1 and 2-3 go to two row buffers (no overlap
// within either, which keeps the loop vectorizable) that are then added into gx.
void scatter_input_grad(const float* Q, float* gx, const ConvGeom& g, const Tiling& tl, const std::vector<Segment>& segs,
                        int64_t nb, float* rows) {
  const int64_t C = g.C, H = g.H, W = g.W, step = block_stride(C), L = tl.row_len;
  float* lo = rows;         // 4 rows: columns 2tw, 2tw+1 of each patch
  float* hi = rows + 4 * L; // 4 rows: columns 2tw+2, 2tw+3
  for (const Segment& sg : segs)
    for (int64_t c = 0; c < C; ++c) {
      const float* qp = Q + c * nb + sg.k0 - sg.tw0;
#pragma GCC ivdep
      for (int64_t tw = sg.tw0; tw < sg.tw1; ++tw) {
        float s[16];
        for (int xi = 0; xi < 16; ++xi) s[xi] = qp[xi * step + tw];
        float r[4][4];
        for (int jj = 0; jj < 4; ++jj) {  // t = B s, column jj
          float t0 = s[jj], t1 = s[4 + jj] - s[8 + jj] + s[12 + jj], t2 = s[4 + jj] + s[8 + jj] - s[jj], t3 = -s[12 + jj];
          r[0][jj] = t0, r[1][jj] = t1, r[2][jj] = t2, r[3][jj] = t3;
        }
        const int64_t j = 2 * tw;
        for (int i = 0; i < 4; ++i) {  // (B s) B^T, row i
          lo[i * L + j] = r[i][0];
          lo[i * L + j + 1] = r[i][1] - r[i][2] + r[i][3];
          hi[i * L + j + 2] = r[i][1] + r[i][2] - r[i][0];
          hi[i * L + j + 3] = -r[i][3];
        }
      }
      float* gp = gx + (sg.n * C + c) * H * W;
      const int64_t j0 = 2 * sg.tw0, j1 = 2 * sg.tw1 + 2;  // buffer columns touched
      for (int i = 0; i < 4; ++i) {
        const int64_t h = 2 * sg.th - g.ph + i;
        if (h < 0 || h >= H) continue;
        float* dst = gp + h * W;
        const float *l = lo + i * L, *u = hi + i * L;
        for (int64_t jb = j0; jb < j1; ++jb) {
          const int64_t w = jb - g.pw;
          if (w < 0 || w >= W) continue;
          float v = (jb < 2 * sg.tw1 ? l[jb] : 0.f) + (jb >= j0 + 2 ? u[jb] : 0.f);
          dst[w] += v;
        }
      }
    }
}

// Runs fn(worker, n0, n1) over sample ranges: one per thread when samples split over threads,
// else the whole batch on the calling thread (its GEMMs then thread internally).
template <typename F>
void over_sample_ranges(int64_t N, bool par, int nt, F&& fn) {
  if (!par) return fn(0, int64_t{0}, N);
#pragma omp parallel num_threads(nt)
  {
    int t = omp_get_thread_num(), n = omp_get_num_threads();
    fn(t, N * t / n, N * (t + 1) / n);
  }
}

std::atomic<bool>& winograd_switch() {
  // EMBER_CONV_WINOGRAD=0 starts with Winograd off (im2col everywhere), for comparisons.
  static std::atomic<bool> on{[] {
    const char* e = std::getenv("EMBER_CONV_WINOGRAD");
    return !(e && std::string(e) == "0");
  }()};
  return on;
}

}  // namespace

void set_winograd_enabled(bool on) { winograd_switch() = on; }

bool winograd_backward_applicable(const ConvGeom& g) {
  return winograd_switch() && g.kh == 3 && g.kw == 3 && g.sh == 1 && g.sw == 1 && g.dh == 1 && g.dw == 1 &&
         g.groups == 1 && g.C >= kMinChannels && g.Co >= kMinChannels && g.OH > 0 && g.OW > 0;
}

void winograd_backward(const float* x, const float* gy, const float* w, float* gx, float* gw, const ConvGeom& g) {
  if (!gx && !gw) return;
  const Tiling tl(g);
  const int64_t C = g.C, Co = g.Co, HW = g.H * g.W, vs = block_stride(C), zs = block_stride(Co);
  std::vector<float> U;
  if (gx) {
    U.resize(16 * Co * C);
    transform_weights(w, U.data(), Co, C);
  }
  const bool par = parallel_over_samples(g.N, true, get_num_threads(), omp_in_parallel());
  const int nt = par ? get_num_threads() : 1;
  // Z: transformed output gradient; VQ: transformed input (for gw), then reused for Q (for gx);
  // S: each worker's weight-gradient sums, combined in worker order (deterministic).
  std::vector<std::unique_ptr<float[]>> Zb(nt), VQb(nt), Sb(nt);
  std::vector<std::vector<Segment>> segs(nt, std::vector<Segment>(kTileBlock));
  std::vector<std::vector<float>> rows(nt, std::vector<float>(8 * tl.row_len));
  for (int t = 0; t < nt; ++t) {
    Zb[t].reset(new float[16 * zs]);
    VQb[t].reset(new float[16 * vs]);
    if (gw) Sb[t].reset(new float[16 * Co * C]);
  }
  std::vector<char> used(nt, 0);
  over_sample_ranges(g.N, par, nt, [&](int t, int64_t n0, int64_t n1) {
    float *Z = Zb[t].get(), *VQ = VQb[t].get(), *S = Sb[t].get(), *R = rows[t].data();
    std::vector<Segment>& sg = segs[t];
    if (gx) std::memset(gx + n0 * C * HW, 0, sizeof(float) * (n1 - n0) * C * HW);
    for (int64_t q0 = n0 * tl.Ts; q0 < n1 * tl.Ts; q0 += kTileBlock) {
      const int64_t nb = std::min(kTileBlock, n1 * tl.Ts - q0);
      segments_of_block(tl, q0, nb, sg);
      transform_output_grad(gy, Z, g, tl, sg, nb, R);  // (16, Co, nb)
      if (gw) {
        transform_input(x, VQ, g, tl, sg, nb, R);  // (16, C, nb)
        const float beta = used[t] ? 1.f : 0.f;
        for (int xi = 0; xi < 16; ++xi)  // (Co, nb) @ (nb, C) -> (Co, C), summed over blocks
          gemm<float>(false, true, Co, C, nb, 1.f, Z + xi * zs, nb, VQ + xi * vs, nb, beta, S + xi * Co * C, C,
                      GemmLib::OneDNN);
        used[t] = 1;
      }
      if (gx) {
        for (int xi = 0; xi < 16; ++xi)  // (C, Co) @ (Co, nb) -> (C, nb)
          gemm<float>(true, false, C, nb, Co, 1.f, U.data() + xi * Co * C, C, Z + xi * zs, nb, 0.f, VQ + xi * vs, nb,
                      GemmLib::OneDNN);
        scatter_input_grad(VQ, gx, g, tl, sg, nb, R);
      }
    }
  });
  if (gw) {
    std::vector<float> total(16 * Co * C, 0.f);
    for (int t = 0; t < nt; ++t)
      if (used[t])
        for (size_t i = 0; i < total.size(); ++i) total[i] += Sb[t][i];
    inverse_transform_weights(total.data(), gw, Co, C);
  }
}

}  // namespace ember::cpu
