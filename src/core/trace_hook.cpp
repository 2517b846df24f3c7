// The kernel side of op tracing: the gate and the per-thread hook (see trace_hook.h).
#include "core/trace_hook.h"

namespace ember::detail {

std::atomic<int> g_active_tracers{0};

namespace {
thread_local KernelTraceHook* t_hook = nullptr;
}  // namespace

KernelTraceHook* kernel_trace_hook() { return t_hook; }
void set_kernel_trace_hook(KernelTraceHook* hook) { t_hook = hook; }

}  // namespace ember::detail
