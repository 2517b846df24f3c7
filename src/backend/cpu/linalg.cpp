// The strided, batched matrix product behind mm, bmm, matmul, addmm and linear, and dot (see
// linalg.h), on gemm.h.
#include "backend/cpu/linalg.h"

#include <cblas.h>
#include <omp.h>

#include <climits>
#include <vector>

#include "backend/cpu/copy.h"
#include "backend/cpu/gemm.h"
#include "backend/cpu/gemm_bf16.h"
#include "core/op_helpers.h"
#include "ember/parallel.h"

namespace ember::cpu {

namespace {

// A contiguous copy of the distinct matrices of `t` (*, R, C): batch dims with stride 0 stay
// broadcast (size 1 in the copy, stride 0 in the returned view), so no broadcast is materialized.
Tensor compact_copy(const Tensor& t) {
  int64_t nd = t.dim();
  Shape shape = t.shape(), strides = t.strides();
  for (int64_t d = 0; d < nd - 2; ++d)
    if (strides[d] == 0) shape[d] = 1;
  Tensor src = detail::make_view(t, shape, strides, t.storage_offset());
  Tensor dst = detail::make_tensor(shape, t.dtype(), t.device());
  copy(dst, src);
  Shape st = dst.strides();
  for (int64_t d = 0; d < nd - 2; ++d)
    if (t.strides()[d] == 0) st[d] = 0;
  return detail::make_view(dst, t.shape(), st, 0);
}

// Element offsets of each matrix of `t` over the batch dims of `batch`.
std::vector<int64_t> batch_offsets(const Tensor& t, const Shape& batch) {
  int64_t nb = static_cast<int64_t>(batch.size());
  int64_t count = detail::shape_numel(batch);
  std::vector<int64_t> off(count);
  std::vector<int64_t> idx(nb, 0);
  for (int64_t i = 0; i < count; ++i) {
    int64_t o = 0;
    for (int64_t d = 0; d < nb; ++d) o += idx[d] * t.strides()[d];
    off[i] = o;
    for (int64_t d = nb - 1; d >= 0; --d) {
      if (++idx[d] < batch[d]) break;
      idx[d] = 0;
    }
  }
  return off;
}

// out[i] = alpha * A[i] @ B[i] + beta * out[i] for the i-th matrix of a batch (offsets oa, ob).
template <typename T>
void batched_gemm(const T* pa, MatLayout la, const std::vector<int64_t>& oa, const T* pb, MatLayout lb,
                  const std::vector<int64_t>& ob, T* po, int64_t M, int64_t N, int64_t K, T alpha, T beta) {
  const int64_t B = static_cast<int64_t>(oa.size());
  const GemmLib lib = resolve_gemm();  // here, not on the batch's threads: bf16 under autocast
  auto one = [&](int64_t i) {
    gemm<T>(la.trans, lb.trans, M, N, K, alpha, pa + oa[i], la.ld, pb + ob[i], lb.ld, beta, po + i * M * N, N, lib);
  };
  int nt = get_num_threads();
  // Many products: one per thread at a time (single-threaded GEMMs) balances better than
  // threading each small product. Float64 stays serial (see gemm); integer loops thread inside.
  bool per_thread = std::is_same_v<T, float> && nt > 1 && B >= nt && !omp_in_parallel() &&
                    (B % nt == 0 || B >= 4 * nt || M * N * K <= 64 * 64 * 64);
  if (per_thread) {
#pragma omp parallel for num_threads(nt) schedule(static)
    for (int64_t i = 0; i < B; ++i) one(i);
  } else {
    for (int64_t i = 0; i < B; ++i) one(i);
  }
}

// The same over operands of which one or both are bf16 (autocast's saved copies), out float32.
void batched_gemm_bf16(const Tensor& a, MatLayout la, const std::vector<int64_t>& oa, const Tensor& b, MatLayout lb,
                       const std::vector<int64_t>& ob, float* po, int64_t M, int64_t N, int64_t K, float alpha,
                       float beta) {
  const bool abf = a.dtype() == DType::BFloat16, bbf = b.dtype() == DType::BFloat16;
  const char* pa = static_cast<const char*>(a.raw_data());
  const char* pb = static_cast<const char*>(b.raw_data());
  const int64_t ea = a.element_size(), eb = b.element_size(), B = static_cast<int64_t>(oa.size());
  auto one = [&](int64_t i) {
    gemm_bf16(la.trans, lb.trans, M, N, K, alpha, {pa + oa[i] * ea, abf, la.ld}, {pb + ob[i] * eb, bbf, lb.ld}, beta,
              po + i * M * N, N);
  };
  const int nt = get_num_threads();
  if (nt > 1 && B >= nt && !omp_in_parallel()) {
#pragma omp parallel for num_threads(nt) schedule(static)
    for (int64_t i = 0; i < B; ++i) one(i);
  } else {
    for (int64_t i = 0; i < B; ++i) one(i);
  }
}

}  // namespace

void matmul(const Tensor& out, const Tensor& a_in, const Tensor& b_in, double alpha, double beta) {
  int64_t nd = out.dim();
  const int64_t M = out.shape()[nd - 2], N = out.shape()[nd - 1], K = a_in.shape()[nd - 1];
  if (out.numel() == 0) return;
  Tensor a = a_in, b = b_in;
  MatLayout la = mat_layout(M, K, a.strides()[nd - 2], a.strides()[nd - 1]);
  if (!la.ok) {
    a = compact_copy(a);
    la = mat_layout(M, K, a.strides()[nd - 2], a.strides()[nd - 1]);
  }
  MatLayout lb = mat_layout(K, N, b.strides()[nd - 2], b.strides()[nd - 1]);
  if (!lb.ok) {
    b = compact_copy(b);
    lb = mat_layout(K, N, b.strides()[nd - 2], b.strides()[nd - 1]);
  }
  Shape batch(out.shape().begin(), out.shape().end() - 2);
  std::vector<int64_t> oa = batch_offsets(a, batch), ob = batch_offsets(b, batch);
  if (a.dtype() == DType::BFloat16 || b.dtype() == DType::BFloat16) {
    EMBER_CHECK(out.dtype() == DType::Float32, "matmul", "bfloat16 operands multiply into float32, not ",
                dtype_name(out.dtype()));
    return batched_gemm_bf16(a, la, oa, b, lb, ob, static_cast<float*>(out.raw_data()), M, N, K,
                             static_cast<float>(alpha), static_cast<float>(beta));
  }
  auto run = [&]<typename T>() {
    batched_gemm<T>(static_cast<const T*>(a.raw_data()), la, oa, static_cast<const T*>(b.raw_data()), lb, ob,
                    static_cast<T*>(out.raw_data()), M, N, K, static_cast<T>(alpha), static_cast<T>(beta));
  };
  EMBER_DISPATCH_NUMERIC(out.dtype(), "matmul", run);
}

void dot(const Tensor& out, const Tensor& a, const Tensor& b) {
  const int64_t n = a.numel();
  // BLAS dot takes any positive stride; zero (expanded) strides are copied to be safe.
  Tensor x = a.strides()[0] > 0 || n <= 1 ? a : contiguous(a);
  Tensor y = b.strides()[0] > 0 || n <= 1 ? b : contiguous(b);
  int64_t sx = n <= 1 ? 1 : x.strides()[0], sy = n <= 1 ? 1 : y.strides()[0];
  EMBER_DISPATCH_NUMERIC(a.dtype(), "dot", [&]<typename T>() {
    const T* px = static_cast<const T*>(x.raw_data());
    const T* py = static_cast<const T*>(y.raw_data());
    T* po = static_cast<T*>(out.raw_data());
    if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
      check_blas_size(n, "n");
      check_blas_size(sx, "stride");
      check_blas_size(sy, "stride");
      if constexpr (std::is_same_v<T, float>) *po = cblas_sdot(n, px, sx, py, sy);
      else *po = cblas_ddot(n, px, sx, py, sy);
    } else {
      T s = 0;
      for (int64_t i = 0; i < n; ++i) s += px[i * sx] * py[i * sy];
      *po = s;
    }
  });
}

}  // namespace ember::cpu
