// This machine's ceiling, so every benchmark can be read as a fraction of it: the FMA peak with
// 256- and 512-bit vectors (and AVX512_BF16's dot product where the CPU has it), then sgemm of
// OpenBLAS, oneDNN and Ember's matmul, and autocast's bf16 GEMM (operand rounding included), on
// square and GPT-shaped products, at each thread count (percentages: of the float32 FMA peak).
//   ./build/bench/peak 1 2
#include <cblas.h>
#include <immintrin.h>
#include <omp.h>
#include <oneapi/dnnl/dnnl.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "backend/cpu/gemm_bf16.h"
#include "bench_util.h"
#include "ember/ember.h"

namespace {

constexpr int kChains = 12;  // independent accumulators: covers 4-cycle latency on 2 FMA ports + slack
constexpr long kIters = 200'000'000;

// Each kernel returns a value that depends on every accumulator so the loop is not removed.
__attribute__((target("avx2,fma"))) float fma256(long iters) {
  __m256 acc[kChains];
  for (int i = 0; i < kChains; ++i) acc[i] = _mm256_set1_ps(0.001f * i);
  const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
  for (long it = 0; it < iters; ++it)
#pragma GCC unroll 12
    for (int i = 0; i < kChains; ++i) acc[i] = _mm256_fmadd_ps(acc[i], a, b);
  __m256 s = acc[0];
  for (int i = 1; i < kChains; ++i) s = _mm256_add_ps(s, acc[i]);
  return _mm256_cvtss_f32(s);
}

__attribute__((target("avx512f"))) float fma512(long iters) {
  __m512 acc[kChains];
  for (int i = 0; i < kChains; ++i) acc[i] = _mm512_set1_ps(0.001f * i);
  const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
  for (long it = 0; it < iters; ++it)
#pragma GCC unroll 12
    for (int i = 0; i < kChains; ++i) acc[i] = _mm512_fmadd_ps(acc[i], a, b);
  __m512 s = acc[0];
  for (int i = 1; i < kChains; ++i) s = _mm512_add_ps(s, acc[i]);
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, s);
  return lanes[0] + lanes[15];
}

// vdpbf16ps: 32 bf16 products summed pairwise into 16 float32 lanes = 64 flops per instruction.
__attribute__((target("avx512f,avx512bf16"))) float dpbf16(long iters) {
  __m512 acc[kChains];
  for (int i = 0; i < kChains; ++i) acc[i] = _mm512_set1_ps(0.001f * i);
  const __m512bh a = _mm512_cvtne2ps_pbh(_mm512_set1_ps(1e-3f), _mm512_set1_ps(1e-3f));
  for (long it = 0; it < iters; ++it)
#pragma GCC unroll 12
    for (int i = 0; i < kChains; ++i) acc[i] = _mm512_dpbf16_ps(acc[i], a, a);
  __m512 s = acc[0];
  for (int i = 1; i < kChains; ++i) s = _mm512_add_ps(s, acc[i]);
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, s);
  return lanes[0] + lanes[15];
}

// GFLOP/s of `kernel` run on nt threads at once; flops_per_iter counts one pass over the chains.
double peak(int nt, float (*kernel)(long), double flops_per_iter) {
  std::vector<float> sink(nt);
  kernel(kIters / 20);  // warm the clocks
  auto t0 = std::chrono::steady_clock::now();
#pragma omp parallel num_threads(nt)
  sink[omp_get_thread_num()] = kernel(kIters);
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (sink[0] == 12345.f) std::printf(" ");  // keeps the results alive
  return flops_per_iter * kIters * nt / s / 1e9;
}

struct Shape {
  const char* name;
  int64_t m, n, k;
};

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> threads;
  for (int i = 1; i < argc; ++i) threads.push_back(std::atoi(argv[i]));
  if (threads.empty()) threads = {1, 2};
  __builtin_cpu_init();
  bool has512 = __builtin_cpu_supports("avx512f");
  bool has_bf16 = has512 && __builtin_cpu_supports("avx512bf16");
  std::printf("CPU flags: avx2=%d fma=%d avx512f=%d avx512_bf16=%d\n", __builtin_cpu_supports("avx2"),
              __builtin_cpu_supports("fma"), has512, has_bf16);
  const Shape shapes[] = {{"square 1024", 1024, 1024, 1024}, {"square 2048", 2048, 2048, 2048},
                          {"gpt qkv 4096x1152x384", 4096, 1152, 384}, {"gpt mlp 4096x1536x384", 4096, 1536, 384},
                          {"gpt2 mlp 1024x3072x768", 1024, 3072, 768}};
  for (int nt : threads) {
    double p256 = peak(nt, fma256, 2.0 * 8 * kChains);
    std::printf("threads=%d FMA peak 256-bit: %.1f GFLOP/s\n", nt, p256);
    double p512 = 0;
    if (has512) {
      p512 = peak(nt, fma512, 2.0 * 16 * kChains);
      std::printf("threads=%d FMA peak 512-bit: %.1f GFLOP/s\n", nt, p512);
    }
    if (has_bf16) std::printf("threads=%d bf16 dot peak (vdpbf16ps): %.1f GFLOP/s\n", nt, peak(nt, dpbf16, 64.0 * kChains));
    double fp32_peak = has512 ? p512 : p256;
    ember::set_num_threads(nt);  // also OpenBLAS's pool
    omp_set_num_threads(nt);     // oneDNN's OpenMP runtime
    for (const Shape& s : shapes) {
      ember::manual_seed(0);
      ember::Tensor a = ember::randn({s.m, s.k}), b = ember::randn({s.k, s.n});
      std::vector<float> c(static_cast<size_t>(s.m * s.n));
      const float *A = a.data_ptr<float>(), *B = b.data_ptr<float>();
      double flops = 2.0 * s.m * s.n * s.k;
      double t_blas = bench::median_seconds([&] {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, s.m, s.n, s.k, 1.f, A, s.k, B, s.n, 0.f, c.data(), s.n);
      });
      double t_dnnl = bench::median_seconds(
          [&] { dnnl_sgemm('N', 'N', s.m, s.n, s.k, 1.f, A, s.k, B, s.n, 0.f, c.data(), s.n); });
      double t_ember = bench::median_seconds([&] { ember::Tensor r = ember::matmul(a, b); });
      double t_bf16 = bench::median_seconds(
          [&] { ember::cpu::gemm_bf16(false, false, s.m, s.n, s.k, 1.f, A, s.k, B, s.n, 0.f, c.data(), s.n); });
      auto row = [&](const char* lib, double t) {
        double gf = flops / t / 1e9;
        std::printf("threads=%d %-24s %-9s %8.1f GFLOP/s  %5.1f%% of peak\n", nt, s.name, lib, gf, 100 * gf / fp32_peak);
      };
      row("openblas", t_blas);
      row("onednn", t_dnnl);
      row("ember", t_ember);
      row(ember::cpu::bf16_gemm_native() ? "bf16" : "bf16-emul", t_bf16);
    }
  }
  return 0;
}
