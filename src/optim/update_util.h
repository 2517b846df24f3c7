#pragma once
// Helpers shared by the optimizers' update_group implementations.
#include <string_view>

#include "ember/ops.h"
#include "ember/optim/optimizer.h"

namespace ember::optim::detail {

// Throws "<optimizer>: invalid <option> <value>; <option> must be >= 0" (NaN fails too).
inline void check_nonnegative(const std::string& optimizer, const char* option, double v) {
  EMBER_CHECK(v >= 0.0, optimizer, "invalid ", option, " ", v, "; ", option, " must be >= 0");
}

// Errors name the optimizer before its fused step (ops/optim_step.h) checks the rest.
inline void check_grad(const std::string& optimizer, const Tensor& p, const Tensor& grad) {
  EMBER_CHECK(grad.shape() == p.shape(), optimizer, "gradient of shape ", shape_str(grad.shape()),
              " does not match its parameter's shape ", shape_str(p.shape()));
  EMBER_CHECK(p.is_floating_point(), optimizer, "parameters must be floating point, got ", dtype_name(p.dtype()));
}

// The state tensor `name` of a parameter, created filled with `init` (the parameter's shape and
// dtype, contiguous) when missing. `created` tells whether it was just made.
inline Tensor state_tensor(ParamState& st, std::string_view name, const Tensor& p, double init,
                           bool* created = nullptr) {
  auto it = st.find(name);
  if (created) *created = it == st.end();
  if (it == st.end()) it = st.emplace(std::string(name), full(p.shape(), init, p.dtype())).first;
  return it->second;
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
