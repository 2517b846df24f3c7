// sum, mean and sum_to (the gradient of broadcasting), on the shared reduction plan.
#if defined(__AVX2__)
#include <immintrin.h>
#endif
#include <omp.h>

#include <numeric>

#include "core/op_helpers.h"
#include "ember/autograd.h"
#include "ember/ops.h"
#include "ops/reduce_common.h"
#include "ops/reduce_plan.h"
#include "backend/cpu/loops.h"
#include "ember/parallel.h"

namespace ember {
namespace detail {

ReducePlan plan_reduce(const Tensor& a, const Shape& dims, bool keepdim) {
  ReducePlan p;
  int64_t nd = a.dim();
  std::vector<bool> red(nd, false);
  for (auto d : dims)
    if (d < nd) red[d] = true;  // a 0-dim tensor's dim 0 names nothing to reduce
  for (int64_t d = 0; d < nd; ++d) {
    if (red[d]) {
      p.R *= a.shape()[d];
      p.keep_shape.push_back(1);
      if (keepdim) p.out_shape.push_back(1);
    } else {
      p.O *= a.shape()[d];
      p.keep_shape.push_back(a.shape()[d]);
      p.out_shape.push_back(a.shape()[d]);
    }
  }
  // Which layout holds without a copy? Reduced dims must be a suffix (row-major) or a prefix
  // (column-major) of the non-unit dims.
  Shape order;
  for (int64_t d = 0; d < nd; ++d)
    if (a.shape()[d] != 1) order.push_back(d);
  bool suffix = true, prefix = true, seen_red = false, seen_keep = false;
  for (auto d : order) {
    if (red[d]) seen_red = true;
    else if (seen_red) suffix = false;
    if (!red[d]) seen_keep = true;
    else if (seen_keep) prefix = false;
  }
  if (a.is_contiguous() && suffix) {
    p.src = a;
  } else if (a.is_contiguous() && prefix) {
    p.src = a;
    p.col_major = true;
  } else {
    Shape perm;
    for (int64_t d = 0; d < nd; ++d)
      if (!red[d]) perm.push_back(d);
    for (int64_t d = 0; d < nd; ++d)
      if (red[d]) perm.push_back(d);
    NoGradGuard ng;
    p.src = a.detach().permute(perm).contiguous();
  }
  return p;
}

}  // namespace detail

namespace {

#if defined(__AVX2__)
// float rows: 32 float lanes summed over blocks of 2048 elements (64 adds per lane), each block's
// total added into a double. As accurate as double accumulation for practical purposes (error
// grows with the block, not the row) at the cost of one float add per element: twice as fast
// as converting every element to double when the data is in cache, and memory-bound otherwise.
double row_sum_float(const float* x, int64_t n) {
  constexpr int64_t kBlock = 2048;
  double total = 0;
  for (int64_t b = 0; b < n; b += kBlock) {
    int64_t e = std::min(n, b + kBlock), i = b;
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    for (; i + 32 <= e; i += 32) {
      a0 = _mm256_add_ps(a0, _mm256_loadu_ps(x + i));
      a1 = _mm256_add_ps(a1, _mm256_loadu_ps(x + i + 8));
      a2 = _mm256_add_ps(a2, _mm256_loadu_ps(x + i + 16));
      a3 = _mm256_add_ps(a3, _mm256_loadu_ps(x + i + 24));
    }
    __m256 v = _mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3));
    alignas(32) float lanes[8];
    _mm256_store_ps(lanes, v);
    double part = ((double(lanes[0]) + lanes[1]) + (double(lanes[2]) + lanes[3])) +
                  ((double(lanes[4]) + lanes[5]) + (double(lanes[6]) + lanes[7]));
    for (; i < e; ++i) part += x[i];
    total += part;
  }
  return total;
}
#endif

// Sums rows of a row-major [O, R] block into out[O]. Acc: the accumulation type.
template <typename T, typename Acc>
void sum_rows(const T* src, T* out, int64_t O, int64_t R, double scale) {
  auto row_sum = [](const T* x, int64_t n) -> Acc {
#if defined(__AVX2__)
    if constexpr (std::is_same_v<T, float>) return row_sum_float(x, n);
#endif
    Acc acc[8] = {};
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
      for (int k = 0; k < 8; ++k) acc[k] += static_cast<Acc>(x[i + k]);
    Acc s = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
    for (; i < n; ++i) s += static_cast<Acc>(x[i]);
    return s;
  };
  int nt = get_num_threads();
  if (O == 1 && R >= 2 * cpu::kGrain && nt > 1) {
    // One output: each thread sums a fixed slice; partials combine in thread order (deterministic).
    std::vector<Acc> part(nt, Acc(0));
#pragma omp parallel num_threads(nt)
    {
      int t = omp_get_thread_num(), n = omp_get_num_threads();
      int64_t b = R * t / n, e = R * (t + 1) / n;
      part[t] = row_sum(src + b, e - b);
    }
    Acc s = 0;
    for (auto v : part) s += v;
    out[0] = static_cast<T>(s * static_cast<Acc>(scale));
    return;
  }
  bool par = O * R >= 2 * cpu::kGrain && nt > 1 && O > 1;
#pragma omp parallel for if (par) num_threads(nt) schedule(static)
  for (int64_t o = 0; o < O; ++o) out[o] = static_cast<T>(row_sum(src + o * R, R) * static_cast<Acc>(scale));
}

// Sums a column-major [R, O] block over r into out[O].
template <typename T, typename Acc>
void sum_cols(const T* src, T* out, int64_t O, int64_t R, double scale) {
  int nt = get_num_threads();
  // Threads split the O columns; each keeps its own accumulators.
  int64_t chunks = (O * R >= 2 * cpu::kGrain && nt > 1) ? std::min<int64_t>(nt, std::max<int64_t>(1, O / 64)) : 1;
#pragma omp parallel for num_threads(static_cast<int>(chunks)) schedule(static) if (chunks > 1)
  for (int64_t c = 0; c < chunks; ++c) {
    int64_t b = O * c / chunks, e = O * (c + 1) / chunks;
    std::vector<Acc> acc(e - b, Acc(0));
    for (int64_t r = 0; r < R; ++r) {
      const T* row = src + r * O + b;
      Acc* a = acc.data();
      for (int64_t o = 0; o < e - b; ++o) a[o] += static_cast<Acc>(row[o]);
    }
    for (int64_t o = b; o < e; ++o) out[o] = static_cast<T>(acc[o - b] * static_cast<Acc>(scale));
  }
}

// sum (scale = 1) or mean (scale = 1/R) without autograd.
Tensor sum_impl(const Tensor& a, const Shape& wrapped, bool keepdim, bool mean, const char* op) {
  detail::check_compute_dtype(a, op);
  DType out_dt = is_floating(a.dtype()) ? a.dtype() : kInt64;
  EMBER_CHECK(!mean || is_floating(a.dtype()), op, "mean needs a floating-point input, got ", dtype_name(a.dtype()),
              "; convert with .to(ember::kFloat32)");
  Tensor in = a.dtype() == out_dt ? a : a.to(out_dt);
  auto plan = detail::plan_reduce(in, wrapped, keepdim);
  Tensor out = detail::make_tensor(plan.out_shape, out_dt);
  double scale = mean ? 1.0 / static_cast<double>(plan.R) : 1.0;
  if (mean && plan.R == 0) scale = std::numeric_limits<double>::quiet_NaN();
  EMBER_DISPATCH_NUMERIC(out_dt, op, [&]<typename T>() {
    using Acc = std::conditional_t<std::is_floating_point_v<T>, double, int64_t>;
    const T* src = plan.src.template data_ptr<T>();
    T* dst = out.template data_ptr<T>();
    if (plan.col_major) sum_cols<T, Acc>(src, dst, plan.O, plan.R, scale);
    else sum_rows<T, Acc>(src, dst, plan.O, plan.R, scale);
  });
  return out;
}

Tensor sum_or_mean(const Tensor& a, const Shape& dims, bool keepdim, bool mean) {
  const char* op = mean ? "mean" : "sum";
  Shape wrapped = detail::reduce_dims(a, dims, op);  // a 0-dim tensor has no dim to reduce
  Tensor out = sum_impl(a, wrapped, keepdim, mean, op);
  if (autograd::any_requires_grad({&a})) {
    auto plan_keep = [&] {
      Shape ks = a.shape();
      for (auto d : wrapped) ks[d] = 1;
      return ks;
    }();
    double scale = 1.0;
    if (mean) {
      int64_t r = 1;
      for (auto d : wrapped) r *= a.shape()[d];
      scale = 1.0 / static_cast<double>(r);
    }
    autograd::set_history(out, mean ? "MeanBackward" : "SumBackward", {a},
                          [keep = plan_keep, in_shape = a.shape(), scale](const Tensor& g, const autograd::Node&) {
                            Tensor gg = g.reshape(keep);
                            if (scale != 1.0) gg = gg * scale;
                            return std::vector<Tensor>{gg.expand(in_shape).contiguous()};
                          });
  }
  return out;
}

}  // namespace

Tensor sum(const Tensor& a) { return sum_or_mean(a, {}, false, false); }
Tensor sum(const Tensor& a, const Shape& dims, bool keepdim) {
  if (dims.empty()) return sum_or_mean(a, {}, keepdim, false);
  return sum_or_mean(a, dims, keepdim, false);
}
Tensor mean(const Tensor& a) { return sum_or_mean(a, {}, false, true); }
Tensor mean(const Tensor& a, const Shape& dims, bool keepdim) { return sum_or_mean(a, dims, keepdim, true); }

Tensor sum_to(const Tensor& t, const Shape& shape) {
  if (t.shape() == shape) return t;
  int64_t lead = t.dim() - static_cast<int64_t>(shape.size());
  EMBER_CHECK(lead >= 0, "sum_to", "cannot sum a tensor of shape ", shape_str(t.shape()), " to the larger shape ",
              shape_str(shape));
  Shape dims;
  for (int64_t d = 0; d < t.dim(); ++d) {
    if (d < lead) dims.push_back(d);
    else if (shape[d - lead] == 1 && t.shape()[d] != 1) dims.push_back(d);
    else
      EMBER_CHECK(shape[d - lead] == t.shape()[d], "sum_to", "shape ", shape_str(t.shape()), " does not broadcast to ",
                  shape_str(shape));
  }
  Tensor s = dims.empty() ? t : sum(t, dims, true);
  return s.reshape(shape);
}

Tensor Tensor::sum() const { return ember::sum(*this); }
Tensor Tensor::sum(const Shape& dims, bool keepdim) const { return ember::sum(*this, dims, keepdim); }
Tensor Tensor::mean() const { return ember::mean(*this); }
Tensor Tensor::mean(const Shape& dims, bool keepdim) const { return ember::mean(*this, dims, keepdim); }

}  // namespace ember
