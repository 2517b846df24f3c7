// Anomaly detection below autograd: the switch, the finiteness scan and the kernel output check.
#include "core/anomaly.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <type_traits>

#include "ember/error.h"

namespace ember::detail {

namespace {
bool env_flag() {
  const char* v = std::getenv("EMBER_DETECT_ANOMALY");
  return v != nullptr && *v != '\0' && std::strcmp(v, "0") != 0;
}
thread_local bool g_paused = false;

template <typename T>
void scan(const Tensor& t, NonFinite& r) {
  const T* base = static_cast<const T*>(t.raw_data());
  const int64_t n = t.numel();
  auto visit = [&](int64_t i, T v) {
    using Wide = std::conditional_t<std::is_same_v<T, double>, double, float>;  // half types widen exactly
    const Wide w = static_cast<Wide>(v);
    if (std::isfinite(w)) return;
    const bool nan = std::isnan(w);
    nan ? ++r.nan : ++r.inf;
    if (r.first < 0) r.first = i;
  };
  if (t.is_contiguous()) {
    for (int64_t i = 0; i < n; ++i) visit(i, base[i]);
    return;
  }
  const Shape& shape = t.shape();
  const Shape& strides = t.strides();
  const size_t nd = shape.size();
  std::vector<int64_t> idx(nd, 0);
  int64_t off = 0;
  for (int64_t i = 0; i < n; ++i) {
    visit(i, base[off]);
    for (size_t d = nd; d-- > 0;) {  // odometer over the dims, last fastest
      if (++idx[d] < shape[d]) {
        off += strides[d];
        break;
      }
      off -= strides[d] * (shape[d] - 1);
      idx[d] = 0;
    }
  }
}
}  // namespace

std::atomic<bool> g_detect_anomaly{env_flag()};

bool anomaly_paused() { return g_paused; }
PauseAnomalyChecks::PauseAnomalyChecks() : prev_(g_paused) { g_paused = true; }
PauseAnomalyChecks::~PauseAnomalyChecks() { g_paused = prev_; }

NonFinite count_nonfinite(const Tensor& t) {
  NonFinite r;
  if (!t.defined() || !is_floating(t.dtype()) || t.numel() == 0) return r;
  if (!t.device().is_cpu()) {
    PauseAnomalyChecks pause;  // the copy to the host is not the op under test
    return count_nonfinite(t.to(Device{}));
  }
  switch (t.dtype()) {
    case DType::Float32: scan<float>(t, r); break;
    case DType::Float64: scan<double>(t, r); break;
    case DType::Float16: scan<Half>(t, r); break;
    case DType::BFloat16: scan<BFloat16>(t, r); break;
    default: break;
  }
  return r;
}

std::string describe_nonfinite(const NonFinite& n, int64_t numel) {
  return str_cat(n.nan > 0 ? "nan" : "inf", " (", n.nan + n.inf, " of ", numel, " values, first at index ", n.first,
                 ")");
}

KernelInputs scan_kernel_inputs(const std::vector<const Tensor*>& inputs) {
  KernelInputs k;
  for (const Tensor* t : inputs) {
    NonFinite n = count_nonfinite(*t);
    k.nan |= n.nan > 0;
    k.nonfinite |= n.any();
  }
  return k;
}

void check_kernel_outputs(const char* op, const std::vector<const Tensor*>& outputs,
                          const std::vector<const Tensor*>& inputs, KernelInputs before) {
  for (size_t i = 0; i < outputs.size(); ++i) {
    const Tensor& out = *outputs[i];
    NonFinite n = count_nonfinite(out);
    if (!((n.nan > 0 && !before.nan) || (n.inf > 0 && !before.nonfinite))) continue;
    std::string ins;
    for (const Tensor* t : inputs)
      if (t->defined()) ins += str_cat(ins.empty() ? "" : ", ", shape_str(t->shape()), " ", dtype_name(t->dtype()));
    throw Error(str_cat(op, ": anomaly detection: produced ", describe_nonfinite(n, out.numel()), " in output ", i,
                        " of shape ", shape_str(out.shape()), " from ",
                        before.nonfinite ? "inputs with infinities but no nan" : "finite inputs",
                        " (", ins.empty() ? std::string("none") : ins,
                        "). This is the first op to make it; check its inputs' range (e.g. log or sqrt of a "
                        "negative number, an overflowing exp), or lower the learning rate"));
  }
}

}  // namespace ember::detail
