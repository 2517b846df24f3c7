#pragma once
// Mixed precision on the CPU, as torch.autocast("cpu", dtype=torch.bfloat16). Inside an
// AutocastGuard the ops on PyTorch's CPU lower-precision list (matmul, mm, bmm, addmm, linear,
// conv, scaled_dot_product_attention, the RNN layers) multiply in bfloat16 with float32
// accumulation: their float32 operands are rounded to bf16 on the way into the GEMM. Everything
// else (reductions, softmax, norms, losses, optimizer updates) stays float32, and so do parameters
// (the master weights) and the GEMMs' outputs, which PyTorch would round to bf16 as well.
// Backward runs the gradient GEMMs of an op at the precision its forward ran at, whether or not
// the guard is still open, as PyTorch's do (their saved operands are bf16 there).
// The state is per thread, like grad mode. Where the CPU lacks AVX512_BF16/AMX the products are
// emulated (same rounding, float32 multiply): correct, not faster; autocast_native() says which.
#include "ember/dtype.h"

namespace ember {

bool is_autocast_enabled();
DType get_autocast_dtype();  // the lower-precision type (bfloat16) while enabled
// dtype must be kBFloat16 (the only CPU autocast type Ember implements); throws otherwise.
void set_autocast_enabled(bool enabled, DType dtype = kBFloat16);
// True when bf16 products run natively on this CPU (oneDNN with AVX512_BF16 or AMX).
bool autocast_native();

// RAII: enables (or, with enabled = false, disables) autocast in this scope.
class AutocastGuard {
 public:
  explicit AutocastGuard(DType dtype = kBFloat16, bool enabled = true);
  explicit AutocastGuard(bool enabled) : AutocastGuard(kBFloat16, enabled) {}
  ~AutocastGuard();
  AutocastGuard(const AutocastGuard&) = delete;
  AutocastGuard& operator=(const AutocastGuard&) = delete;

 private:
  bool prev_;
};

}  // namespace ember
