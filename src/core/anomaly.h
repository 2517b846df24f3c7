#pragma once
// Anomaly detection (torch.autograd.detect_anomaly), the part below autograd: the global switch,
// a finiteness scan, and the check every kernel call makes on its outputs when the switch is on
// (backend.h's EMBER_KERNEL). Off, a kernel call pays one relaxed atomic load.
#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <vector>

#include "ember/tensor.h"

namespace ember::detail {

// Global as in PyTorch; starts as EMBER_DETECT_ANOMALY (set and not "0").
extern std::atomic<bool> g_detect_anomaly;
inline bool anomaly_enabled() { return g_detect_anomaly.load(std::memory_order_relaxed); }

// Per thread: true while the backward engine runs a node, whose gradients it checks as a whole
// (so an error names "SqrtBackward", not the "div" inside it).
bool anomaly_paused();
struct PauseAnomalyChecks {
  PauseAnomalyChecks();
  ~PauseAnomalyChecks();
  PauseAnomalyChecks(const PauseAnomalyChecks&) = delete;
  PauseAnomalyChecks& operator=(const PauseAnomalyChecks&) = delete;
 private:
  bool prev_;
};

struct NonFinite {
  int64_t nan = 0, inf = 0;
  int64_t first = -1;  // row-major index of the first non-finite value
  bool any() const { return nan + inf > 0; }
};
// NaNs and infinities in a tensor of any dtype and strides (integer tensors: none).
NonFinite count_nonfinite(const Tensor& t);
// "nan" or "inf" and where: "nan (2 of 6 values, first at index 3)".
std::string describe_nonfinite(const NonFinite& n, int64_t numel);

// Called by the kernel wrapper. `inputs` are scanned before the kernel writes (in-place kernels
// read and write one tensor), the outputs after. An output throws when it holds a NaN that no
// input held, or an infinity where every input was finite: the op that made it, not one that
// merely passed it on.
struct KernelInputs {
  bool nan = false, nonfinite = false;
};
KernelInputs scan_kernel_inputs(const std::vector<const Tensor*>& inputs);
void check_kernel_outputs(const char* op, const std::vector<const Tensor*>& outputs,
                          const std::vector<const Tensor*>& inputs, KernelInputs before);

}  // namespace ember::detail
