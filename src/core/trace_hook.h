#pragma once
// The kernel side of op tracing (ember/ops/trace.h, used by ONNX export). While a tracer records
// on a thread, every kernel called outside a recorded op passes its tensors to the hook, which
// throws when the kernel reads or writes a traced value: that op has no export mapping, and
// silently baking its result into the graph as a constant would export a wrong model.
// Off (no tracer on any thread), a kernel call pays one relaxed atomic load.
#include <atomic>
#include <vector>

#include "ember/tensor.h"

namespace ember::detail {

// Threads with a tracer installed: the kernel wrapper's fast gate.
extern std::atomic<int> g_active_tracers;
inline bool any_tracer() { return g_active_tracers.load(std::memory_order_relaxed) > 0; }

struct KernelTraceHook {
  virtual ~KernelTraceHook() = default;
  // op: the name the kernel call gives (EMBER_KERNEL's op); args: its tensors, outputs first.
  virtual void check_kernel(const char* op, const std::vector<const Tensor*>& args) = 0;
};

// This thread's hook, or nullptr (no tracer, or inside a recorded op whose kernels it maps itself).
KernelTraceHook* kernel_trace_hook();
void set_kernel_trace_hook(KernelTraceHook* hook);

}  // namespace ember::detail
