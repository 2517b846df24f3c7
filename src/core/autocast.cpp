// Autocast's per-thread state (autocast.h). The bf16 GEMM that reads it lives in the backend.
#include "ember/autocast.h"

#include "ember/error.h"

namespace ember {

namespace {
thread_local bool t_autocast = false;
}  // namespace

bool is_autocast_enabled() { return t_autocast; }
DType get_autocast_dtype() { return kBFloat16; }

void set_autocast_enabled(bool enabled, DType dtype) {
  EMBER_CHECK(dtype == kBFloat16, "autocast", "dtype ", dtype_name(dtype),
              " is not supported on the CPU; use bfloat16 (as torch.autocast(\"cpu\") does by default)");
  t_autocast = enabled;
}

AutocastGuard::AutocastGuard(DType dtype, bool enabled) : prev_(t_autocast) { set_autocast_enabled(enabled, dtype); }
AutocastGuard::~AutocastGuard() { t_autocast = prev_; }

}  // namespace ember
