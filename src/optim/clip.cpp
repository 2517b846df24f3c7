// Gradient clipping.
#include "ember/optim/clip.h"

#include <cmath>

#include "backend/cpu/optimizer_kernels.h"
#include "core/internal.h"
#include "ember/autograd.h"
#include "ember/ops.h"
#include "ember/parallel.h"

namespace ember::nn::utils {

namespace {

// sum |x|^p (or max |x| when p is inf) over a contiguous buffer, accumulated in double. Blocks of
// fixed size are reduced in parallel and combined in block order, so the result does not depend on
// the thread count.
template <typename T> double accumulate_norm(const T* x, int64_t n, double p) {
  constexpr int64_t kBlock = 16384;
  const int64_t blocks = (n + kBlock - 1) / kBlock;
  const bool inf = std::isinf(p);
  // Eight independent accumulators (combined in a fixed order) let the compiler vectorize the
  // sum without reassociating it.
  auto block = [&](int64_t b) {
    const int64_t lo = b * kBlock, hi = std::min(n, lo + kBlock);
    double lane[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int64_t i = lo;
    auto sweep = [&](auto term) {
      for (; i + 8 <= hi; i += 8)
        for (int k = 0; k < 8; ++k) lane[k] += term(static_cast<double>(x[i + k]));
      for (int k = 0; i < hi; ++i, ++k) lane[k] += term(static_cast<double>(x[i]));
      double acc = 0;
      for (double v : lane) acc += v;
      return acc;
    };
    if (inf) {
      double acc = 0;
      for (; i < hi; ++i) {
        double a = std::abs(static_cast<double>(x[i]));
        if (!(a <= acc)) acc = a;  // NaN wins, as torch's max
      }
      return acc;
    }
    if (p == 2.0) return sweep([](double v) { return v * v; });
    if (p == 1.0) return sweep([](double v) { return std::abs(v); });
    return sweep([p](double v) { return std::pow(std::abs(v), p); });
  };
  std::vector<double> partial(blocks);
  const int nt = get_num_threads();
#pragma omp parallel for num_threads(nt) schedule(static) if (n >= 4 * kBlock && nt > 1)
  for (int64_t b = 0; b < blocks; ++b) partial[b] = block(b);
  double total = 0;
  for (double v : partial) {
    if (inf) total = (!(v <= total)) ? v : total;
    else total += v;
  }
  return total;
}

std::vector<Tensor> present_grads(const std::vector<Tensor>& parameters, const char* op) {
  std::vector<Tensor> grads;
  for (size_t i = 0; i < parameters.size(); ++i) {
    EMBER_CHECK(parameters[i].defined(), op, "parameter ", i, " is an undefined tensor");
    Tensor g = parameters[i].grad();
    if (!g.defined()) continue;
    EMBER_CHECK(g.is_floating_point(), op, "the gradient of parameter ", i, " has dtype ", dtype_name(g.dtype()),
                "; expected floating point");
    grads.push_back(g);
  }
  return grads;
}

}  // namespace

double clip_grad_norm_(const std::vector<Tensor>& parameters, double max_norm, double norm_type,
                       bool error_if_nonfinite) {
  const char* op = "clip_grad_norm_";
  EMBER_CHECK(norm_type > 0, op, "norm_type must be positive (or nn::utils::kInfNorm), got ", norm_type);
  EMBER_CHECK(max_norm >= 0, op, "max_norm must be >= 0, got ", max_norm);
  NoGradGuard ng;
  std::vector<Tensor> grads = present_grads(parameters, op);
  if (grads.empty()) return 0.0;
  const bool inf = std::isinf(norm_type);
  double acc = 0;
  for (auto& g0 : grads) {
    Tensor g = g0.is_contiguous() && is_compute_dtype(g0.dtype()) ? g0 : g0.to(kFloat32).contiguous();
    double v = EMBER_DISPATCH_FLOATING(g.dtype(), op, [&]<typename T>() {
      return accumulate_norm<T>(g.data_ptr<T>(), g.numel(), norm_type);
    });
    if (inf) acc = (!(v <= acc)) ? v : acc;
    else acc += v;
  }
  const double total = inf ? acc : (norm_type == 2.0 ? std::sqrt(acc) : std::pow(acc, 1.0 / norm_type));
  EMBER_CHECK(!error_if_nonfinite || std::isfinite(total), op, "the total norm of order ", norm_type,
              " of the gradients is ", total, ", so it cannot be clipped; fix the NaN/inf gradients or pass "
              "error_if_nonfinite=false to scale by it anyway");
  const double coef = max_norm / (total + 1e-6);
  if (coef < 1.0 || std::isnan(coef)) {
    for (auto& g : grads) {
      if (g.is_contiguous() && is_compute_dtype(g.dtype())) {
        EMBER_DISPATCH_FLOATING(g.dtype(), op, [&]<typename T>() {
          T* d = g.data_ptr<T>();
          const T c = static_cast<T>(coef);
          cpu::parallel_chunks(g.numel(), [&](int64_t b, int64_t e) {
            for (int64_t i = b; i < e; ++i) d[i] *= c;
          });
        });
        ember::detail::bump_version(g);
      } else {
        g.mul_(coef);
      }
    }
  }
  return total;
}

void clip_grad_value_(const std::vector<Tensor>& parameters, double clip_value) {
  const char* op = "clip_grad_value_";
  EMBER_CHECK(clip_value >= 0, op, "clip_value must be >= 0, got ", clip_value);
  NoGradGuard ng;
  for (auto& g : present_grads(parameters, op)) g.clamp_(-clip_value, clip_value);
}

}  // namespace ember::nn::utils
