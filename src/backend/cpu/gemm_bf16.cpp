// bfloat16 GEMM with float32 accumulation for autocast: operands rounded to bf16 (nearest even, as
// PyTorch's cast), multiplied by oneDNN's matmul primitive (AMX or AVX512_BF16 where the CPU has
// them), or, where oneDNN has no bf16 kernel for this CPU, by float32 sgemm on the rounded values:
// the same products, emulated.
#include "backend/cpu/gemm_bf16.h"

#include <omp.h>

#include <algorithm>
#include <bit>
#include <map>
#include <memory>
#include <mutex>
#include <oneapi/dnnl/dnnl.hpp>
#include <tuple>
#include <vector>

#include "ember/dtype.h"
#include "ember/parallel.h"

namespace ember::cpu {

namespace {

// Rows [r0, r1) of a strided (rows, cols) float matrix into a dense bf16 one (ld = cols).
void round_rows(const float* src, int64_t ld, int64_t cols, uint16_t* dst, int64_t r0, int64_t r1) {
  for (int64_t r = r0; r < r1; ++r) {
    const float* s = src + r * ld;
    uint16_t* d = dst + r * cols;
    for (int64_t c = 0; c < cols; ++c) d[c] = BFloat16(s[c]).bits;
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
using Key = std::tuple<int64_t, int64_t, int64_t, bool, bool, int64_t, int64_t, int64_t, float, float>;
struct Plan {
  dnnl::matmul prim;
  dnnl::memory::desc a, b, c, pad;
};

dnnl::engine& cpu_engine() {
  static dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  return eng;
}

// Null when oneDNN has no bf16 matmul for this CPU or layout (then the caller emulates).
std::shared_ptr<const Plan> plan_for(const Key& key) {
  static std::mutex mu;
  static std::map<Key, std::shared_ptr<const Plan>> plans;
  static int supported = -1;  // unknown until the first try
  std::lock_guard<std::mutex> lock(mu);
  if (supported == 0) return nullptr;
  auto it = plans.find(key);
  if (it != plans.end()) return it->second;
  // Bounded (variable sequence lengths make many shapes): past the cap the cache starts over;
  // plans in use stay alive through their callers' shared_ptr.
  if (plans.size() >= 1024) plans.clear();
  auto [M, N, K, ta, tb, lda, ldb, ldc, alpha, beta] = key;
  using dt = dnnl::memory::data_type;
  using md = dnnl::memory::desc;
  md a_md({M, K}, dt::bf16, ta ? dnnl::memory::dims{1, lda} : dnnl::memory::dims{lda, 1});
  md b_md({K, N}, dt::bf16, tb ? dnnl::memory::dims{1, ldb} : dnnl::memory::dims{ldb, 1});
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
    auto plan = std::make_shared<const Plan>(Plan{dnnl::matmul(pd), a_md, b_md, c_md, pd.scratchpad_desc()});
    supported = 1;
    return plans[key] = std::move(plan);
  } catch (const dnnl::error&) {
    if (supported == -1) supported = 0;  // no bf16 kernel at all on this CPU
    return nullptr;
  }
}

// Per-thread buffers for rounded operands, widened ones (emulation) and oneDNN's scratchpad; they
// only grow.
struct Scratch {
  std::vector<uint16_t> a, b;
  std::vector<float> fa, fb;
  std::vector<uint8_t> pad;
};
Scratch& scratch() {
  thread_local Scratch s;
  return s;
}

// A stored (rows, cols) operand as bf16 bits with its leading dimension: as given when it is bf16
// already, else rounded into `buf` (dense).
struct Bf16Matrix {
  const uint16_t* p;
  int64_t ld;
};
Bf16Matrix as_bf16(GemmOperand x, int64_t rows, int64_t cols, std::vector<uint16_t>& buf) {
  if (x.bf16) return {static_cast<const uint16_t*>(x.data), x.ld};
  buf.resize(static_cast<size_t>(rows * cols));
  round_matrix(static_cast<const float*>(x.data), x.ld, rows, cols, buf.data());
  return {buf.data(), cols};
}

// bf16 values widened to dense float32 (exact).
const float* widen(Bf16Matrix m, int64_t rows, int64_t cols, std::vector<float>& buf) {
  buf.resize(static_cast<size_t>(rows * cols));
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) buf[r * cols + c] = std::bit_cast<float>(uint32_t{m.p[r * m.ld + c]} << 16);
  return buf.data();
}

// The same rounded operands multiplied in float32 by oneDNN's sgemm (directly: gemm() would send
// it back here under autocast).
void emulate(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, Bf16Matrix a, Bf16Matrix b, float beta,
             float* C, int64_t ldc) {
  Scratch& s = scratch();
  const int64_t ar = ta ? K : M, ac = ta ? M : K, br = tb ? N : K, bc = tb ? K : N;
  const float* fa = widen(a, ar, ac, s.fa);
  const float* fb = widen(b, br, bc, s.fb);
  dnnl_sgemm(ta ? 'T' : 'N', tb ? 'T' : 'N', M, N, K, alpha, fa, ac, fb, bc, beta, C, ldc);
}

void run(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, GemmOperand A, GemmOperand B, float beta,
         float* C, int64_t ldc, bool allow_native) {
  Scratch& s = scratch();
  // Stored shapes: A is (M, K), or (K, M) when ta; B is (K, N), or (N, K) when tb.
  const Bf16Matrix a = as_bf16(A, ta ? K : M, ta ? M : K, s.a);
  const Bf16Matrix b = as_bf16(B, tb ? N : K, tb ? K : N, s.b);
  const std::shared_ptr<const Plan> plan =
      allow_native && bf16_gemm_native() ? plan_for({M, N, K, ta, tb, a.ld, b.ld, ldc, alpha, beta}) : nullptr;
  if (!plan) return emulate(ta, tb, M, N, K, alpha, a, b, beta, C, ldc);
  s.pad.resize(std::max<size_t>(plan->pad.get_size(), 1));
  auto& eng = cpu_engine();
  thread_local dnnl::stream stream(eng);
  dnnl::memory a_mem(plan->a, eng, const_cast<uint16_t*>(a.p)), b_mem(plan->b, eng, const_cast<uint16_t*>(b.p)),
      c_mem(plan->c, eng, C), pad_mem(plan->pad, eng, s.pad.data());
  plan->prim.execute(stream, {{DNNL_ARG_SRC, a_mem}, {DNNL_ARG_WEIGHTS, b_mem}, {DNNL_ARG_DST, c_mem},
                              {DNNL_ARG_SCRATCHPAD, pad_mem}});
  stream.wait();
}

}  // namespace

bool bf16_gemm_native() {
  static const bool native = [] {
    return dnnl::get_effective_cpu_isa() >= dnnl::cpu_isa::avx512_core_bf16 &&
           plan_for({16, 16, 16, false, false, 16, 16, 16, 1.f, 0.f}) != nullptr;
  }();
  return native;
}

void gemm_bf16(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, GemmOperand A, GemmOperand B,
               float beta, float* C, int64_t ldc) {
  run(ta, tb, M, N, K, alpha, A, B, beta, C, ldc, true);
}

void gemm_bf16_emulated(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, GemmOperand A, GemmOperand B,
                        float beta, float* C, int64_t ldc) {
  run(ta, tb, M, N, K, alpha, A, B, beta, C, ldc, false);
}

void gemm_bf16(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
               const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  run(ta, tb, M, N, K, alpha, {A, false, lda}, {B, false, ldb}, beta, C, ldc, true);
}

}  // namespace ember::cpu

namespace ember {
// Declared in autocast.h (core); answered here, where oneDNN is.
bool autocast_native() { return cpu::bf16_gemm_native(); }
}  // namespace ember
