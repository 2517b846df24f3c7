#pragma once
// Elementwise helpers for op implementations: apply a generic lambda over one or two tensors of
// the same shape, in their (floating) dtype, with no autograd history.
#include "backend/cpu/loops.h"
#include "core/op_helpers.h"
#include "ember/autograd.h"

namespace ember::detail {

// out = f(a) with out dtype = a's dtype (float32/float64 only).
template <typename F>
Tensor map_floating(const Tensor& a, const char* op, F f) {
  Tensor out = make_tensor(a.shape(), a.dtype());
  EMBER_DISPATCH_FLOATING(a.dtype(), op, [&]<typename T>() {
    cpu::map<T, T, 1>(out, {&a}, [&](T x) { return static_cast<T>(f(x)); });
  });
  return out;
}

// out = f(a, b), a and b of one floating dtype; b broadcast to a's shape.
template <typename F>
Tensor map2_floating(const Tensor& a, const Tensor& b, const char* op, F f) {
  Tensor out = make_tensor(a.shape(), a.dtype());
  Tensor bb = b.dtype() == a.dtype() ? b : b.detach().to(a.dtype());
  if (bb.shape() != a.shape()) {
    NoGradGuard ng;
    bb = bb.expand(a.shape());
  }
  EMBER_DISPATCH_FLOATING(a.dtype(), op, [&]<typename T>() {
    cpu::map<T, T, 2>(out, {&a, &bb}, [&](T x, T y) { return static_cast<T>(f(x, y)); });
  });
  return out;
}

}  // namespace ember::detail
