// bfloat16 GEMM with float32 accumulation for autocast: operands rounded to bf16 (nearest even, as
// PyTorch's cast), multiplied by oneDNN's matmul primitive (AMX or AVX512_BF16 where the CPU has
// them), or, where oneDNN has no bf16 kernel for this CPU, by float32 sgemm on the rounded values:
// the same products, emulated.
#include "backend/cpu/gemm_bf16.h"

#include <omp.h>

#include <bit>
#include <map>
#include <mutex>
#include <oneapi/dnnl/dnnl.hpp>
#include <tuple>
#include <vector>

#include "ember/parallel.h"

namespace ember::cpu {

namespace {

inline uint16_t to_bf16_bits(float f) {
  uint32_t u = std::bit_cast<uint32_t>(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 0x40);  // quiet NaN
  return static_cast<uint16_t>((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}

// Rows [r0, r1) of a strided (rows, cols) float matrix into a dense bf16 one (ld = cols).
void round_rows(const float* src, int64_t ld, int64_t cols, uint16_t* dst, int64_t r0, int64_t r1) {
  for (int64_t r = r0; r < r1; ++r) {
    const float* s = src + r * ld;
    uint16_t* d = dst + r * cols;
    for (int64_t c = 0; c < cols; ++c) d[c] = to_bf16_bits(s[c]);
  }
}

// The whole matrix; threaded when called outside a parallel region and large enough to pay.
void round_matrix(const float* src, int64_t ld, int64_t rows, int64_t cols, uint16_t* dst) {
  int nt = get_num_threads();
  bool par = nt > 1 && !omp_in_parallel() && rows > 1 && rows * cols >= (int64_t{1} << 16);
#pragma omp parallel num_threads(nt) if (par)
  {
    int t = omp_get_thread_num(), n = omp_get_num_threads();
    round_rows(src, ld, cols, dst, rows * t / n, rows * (t + 1) / n);
  }
}

// One primitive per shape, layout and scaling, created once: creating a primitive descriptor costs
// far more than a small product.
using Key = std::tuple<int64_t, int64_t, int64_t, bool, bool, int64_t, float, float>;
struct Plan {
  dnnl::matmul prim;
  dnnl::memory::desc a, b, c, pad;
};

dnnl::engine& cpu_engine() {
  static dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  return eng;
}

// Null when oneDNN has no bf16 matmul for this CPU (then the caller emulates).
const Plan* plan_for(const Key& key) {
  static std::mutex mu;
  static std::map<Key, std::unique_ptr<Plan>> plans;
  static int supported = -1;  // unknown until the first try
  std::lock_guard<std::mutex> lock(mu);
  if (supported == 0) return nullptr;
  auto it = plans.find(key);
  if (it != plans.end()) return it->second.get();
  auto [M, N, K, ta, tb, ldc, alpha, beta] = key;
  using dt = dnnl::memory::data_type;
  using md = dnnl::memory::desc;
  md a_md({M, K}, dt::bf16, ta ? dnnl::memory::dims{1, M} : dnnl::memory::dims{K, 1});
  md b_md({K, N}, dt::bf16, tb ? dnnl::memory::dims{1, K} : dnnl::memory::dims{N, 1});
  md c_md({M, N}, dt::f32, dnnl::memory::dims{ldc, 1});
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  if (alpha != 1.0f) attr.set_output_scales(0, {alpha});
  if (beta != 0.0f) {
    dnnl::post_ops po;
    po.append_sum(beta);
    attr.set_post_ops(po);
  }
  try {
    dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(a_md, b_md, c_md), attr, cpu_engine());
    auto plan = std::make_unique<Plan>(Plan{dnnl::matmul(pd), a_md, b_md, c_md, pd.scratchpad_desc()});
    supported = 1;
    return (plans[key] = std::move(plan)).get();
  } catch (const dnnl::error&) {
    if (supported == -1) supported = 0;  // no bf16 kernel at all on this CPU
    return nullptr;
  }
}

// Per-thread buffers for the rounded operands and oneDNN's scratchpad; they only grow.
struct Scratch {
  std::vector<uint16_t> a, b;
  std::vector<float> fa, fb;
  std::vector<uint8_t> pad;
};
Scratch& scratch() {
  thread_local Scratch s;
  return s;
}

// The rounded operands in s.a, s.b (dense, ld ac and bc) widened back to float32 and multiplied
// by oneDNN's sgemm (directly: gemm() would send it back here under autocast).
void emulate(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, int64_t ac, int64_t bc, float beta,
             float* C, int64_t ldc) {
  Scratch& s = scratch();
  s.fa.resize(s.a.size());
  s.fb.resize(s.b.size());
  for (size_t i = 0; i < s.a.size(); ++i) s.fa[i] = std::bit_cast<float>(uint32_t{s.a[i]} << 16);
  for (size_t i = 0; i < s.b.size(); ++i) s.fb[i] = std::bit_cast<float>(uint32_t{s.b[i]} << 16);
  dnnl_sgemm(ta ? 'T' : 'N', tb ? 'T' : 'N', M, N, K, alpha, s.fa.data(), ac, s.fb.data(), bc, beta, C, ldc);
}

}  // namespace

void gemm_bf16_emulated(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
                        const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  Scratch& s = scratch();
  int64_t ar = ta ? K : M, ac = ta ? M : K, br = tb ? N : K, bc = tb ? K : N;
  s.a.resize(static_cast<size_t>(M * K));
  s.b.resize(static_cast<size_t>(K * N));
  round_matrix(A, lda, ar, ac, s.a.data());
  round_matrix(B, ldb, br, bc, s.b.data());
  emulate(ta, tb, M, N, K, alpha, ac, bc, beta, C, ldc);
}

bool bf16_gemm_native() {
  static const bool native = [] {
    return dnnl::get_effective_cpu_isa() >= dnnl::cpu_isa::avx512_core_bf16 && plan_for({16, 16, 16, false, false, 16, 1.f, 0.f});
  }();
  return native;
}

void gemm_bf16(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
               const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  Scratch& s = scratch();
  // Stored shapes: A is (M, K), or (K, M) when ta; B is (K, N), or (N, K) when tb.
  int64_t ar = ta ? K : M, ac = ta ? M : K, br = tb ? N : K, bc = tb ? K : N;
  s.a.resize(static_cast<size_t>(M * K));
  s.b.resize(static_cast<size_t>(K * N));
  round_matrix(A, lda, ar, ac, s.a.data());
  round_matrix(B, ldb, br, bc, s.b.data());
  const Plan* plan = bf16_gemm_native() ? plan_for({M, N, K, ta, tb, ldc, alpha, beta}) : nullptr;
  if (!plan) return emulate(ta, tb, M, N, K, alpha, ac, bc, beta, C, ldc);
  s.pad.resize(std::max<size_t>(plan->pad.get_size(), 1));
  auto& eng = cpu_engine();
  thread_local dnnl::stream stream(eng);
  dnnl::memory a_mem(plan->a, eng, s.a.data()), b_mem(plan->b, eng, s.b.data()), c_mem(plan->c, eng, C),
      pad_mem(plan->pad, eng, s.pad.data());
  plan->prim.execute(stream, {{DNNL_ARG_SRC, a_mem}, {DNNL_ARG_WEIGHTS, b_mem}, {DNNL_ARG_DST, c_mem},
                              {DNNL_ARG_SCRATCHPAD, pad_mem}});
  stream.wait();
}

}  // namespace ember::cpu

namespace ember {
// Declared in autocast.h (core); answered here, where oneDNN is.
bool autocast_native() { return cpu::bf16_gemm_native(); }
}  // namespace ember
