// Op tracing: the per-thread tracer, the outermost-op scope and the kernel hook (ember/ops/trace.h).
#include "ember/ops/trace.h"

#include "core/trace_hook.h"
#include "ember/error.h"

namespace ember::trace {

namespace {

// Forwards kernel checks to the thread's tracer.
struct Hook final : detail::KernelTraceHook {
  Tracer* tracer = nullptr;
  void check_kernel(const char* op, const std::vector<const Tensor*>& args) override { tracer->check_kernel(op, args); }
};

thread_local Tracer* t_tracer = nullptr;
thread_local int t_depth = 0;  // recorded ops open on this thread
thread_local Hook t_hook;

const Attr& need(const TracedOp& op, std::string_view name) {
  const Attr* a = op.find(name);
  if (!a) throw Error(detail::str_cat("trace: op '", op.kind, "' has no attribute '", name, "'"));
  return *a;
}

}  // namespace

const Attr* TracedOp::find(std::string_view name) const {
  for (const Attr& a : attrs)
    if (a.name == name) return &a;
  return nullptr;
}
int64_t TracedOp::i(std::string_view name) const {
  const Attr& a = need(*this, name);
  if (a.ints.size() != 1) throw Error(detail::str_cat("trace: attribute '", name, "' of op '", kind, "' is not one integer"));
  return a.ints[0];
}
const std::vector<int64_t>& TracedOp::ints(std::string_view name) const { return need(*this, name).ints; }
double TracedOp::f(std::string_view name) const {
  const Attr& a = need(*this, name);
  if (a.floats.size() != 1) throw Error(detail::str_cat("trace: attribute '", name, "' of op '", kind, "' is not one number"));
  return a.floats[0];
}
const std::string& TracedOp::s(std::string_view name) const { return need(*this, name).str; }

Attr ints(std::string name, std::vector<int64_t> v) { return Attr{std::move(name), std::move(v), {}, {}}; }
Attr integer(std::string name, int64_t v) { return Attr{std::move(name), {v}, {}, {}}; }
Attr num(std::string name, double v) { return Attr{std::move(name), {}, {v}, {}}; }
Attr str(std::string name, std::string v) { return Attr{std::move(name), {}, {}, std::move(v)}; }

TraceGuard::TraceGuard(Tracer* t) {
  EMBER_CHECK(t_tracer == nullptr, "trace", "a tracer is already recording on this thread; export one model at a time");
  t_tracer = t;
  t_depth = 0;
  t_hook.tracer = t;
  detail::set_kernel_trace_hook(&t_hook);
  detail::g_active_tracers.fetch_add(1, std::memory_order_relaxed);
}

TraceGuard::~TraceGuard() {
  detail::g_active_tracers.fetch_sub(1, std::memory_order_relaxed);
  detail::set_kernel_trace_hook(nullptr);
  t_hook.tracer = nullptr;
  t_tracer = nullptr;
  t_depth = 0;
}

bool tracing() { return detail::any_tracer() && t_tracer != nullptr; }

OpScope::OpScope() {
  if (!detail::any_tracer() || t_tracer == nullptr) return;
  if (t_depth == 0) {
    tracer_ = t_tracer;
    detail::set_kernel_trace_hook(nullptr);  // this op's own kernels are its business
  }
  ++t_depth;
  entered_ = true;
}

OpScope::~OpScope() {
  if (!entered_) return;
  if (--t_depth == 0 && t_tracer != nullptr) detail::set_kernel_trace_hook(&t_hook);
}

void OpScope::record(std::string kind, std::vector<Tensor> inputs, std::vector<Tensor> outputs, std::vector<Attr> attrs) {
  if (!tracer_) return;
  tracer_->record(TracedOp{std::move(kind), std::move(inputs), std::move(outputs), std::move(attrs)});
}

}  // namespace ember::trace
