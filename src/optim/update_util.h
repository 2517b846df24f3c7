#pragma once
// Helpers shared by the optimizers' update_group implementations.
#include <string_view>

#include "core/internal.h"
#include "ember/optim/optimizer.h"
#include "ember/ops.h"

namespace ember::optim::detail {

// Throws "<optimizer>: invalid <option> <value>; <option> must be >= 0" (NaN fails too).
inline void check_nonnegative(const std::string& optimizer, const char* option, double v) {
  EMBER_CHECK(v >= 0.0, optimizer, "invalid ", option, " ", v, "; ", option, " must be >= 0");
}

// Calls fn(p, g, n) with typed pointers to contiguous data of the parameter and its gradient.
// A non-contiguous parameter is updated through a contiguous copy written back afterwards; the
// parameter's version counter is bumped, as for any in-place write.
template <class F> void update_param(const std::string& optimizer, Tensor& p, const Tensor& grad, F&& fn) {
  Tensor g = grad;
  EMBER_CHECK(g.shape() == p.shape(), optimizer, "gradient of shape ", shape_str(g.shape()),
              " does not match its parameter's shape ", shape_str(p.shape()));
  if (g.dtype() != p.dtype()) g = g.to(p.dtype());
  if (!g.is_contiguous()) g = g.contiguous();
  Tensor pc = p.is_contiguous() ? p : p.contiguous();
  EMBER_DISPATCH_FLOATING(p.dtype(), optimizer.c_str(), [&]<typename T>() {
    fn(pc.data_ptr<T>(), static_cast<const T*>(g.data_ptr<T>()), p.numel());
  });
  if (!pc.is_same(p)) p.copy_(pc);
  ember::detail::bump_version(p);
}

// The state tensor `name` of a parameter, created filled with `init` (the parameter's shape and
// dtype, contiguous) when missing. `created` tells whether it was just made.
template <typename T>
T* state_buffer(ParamState& st, std::string_view name, const Tensor& p, double init, bool* created = nullptr) {
  auto it = st.find(name);
  if (created) *created = it == st.end();
  if (it == st.end()) it = st.emplace(std::string(name), full(p.shape(), init, p.dtype())).first;
  return it->second.template data_ptr<T>();
}

// Increments the float32 "step" counter (as torch 1.13 keeps it) and returns the new count.
inline double increment_step(ParamState& st) {
  auto it = st.find("step");
  if (it == st.end()) it = st.emplace("step", zeros({}, kFloat32)).first;
  float* s = it->second.data_ptr<float>();
  *s += 1.0f;
  return *s;
}

}  // namespace ember::optim::detail
