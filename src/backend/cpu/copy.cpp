// Strided copy with dtype conversion: the kernel behind contiguous(), to(), clone() and copy_();
// and fill_/zeros.
#include "backend/cpu/copy.h"

#include <cmath>
#include <cstring>

#include "backend/cpu/loops.h"
#include "core/op_helpers.h"

namespace ember::cpu {

namespace {

template <typename To, typename From>
inline To convert(From v) {
  if constexpr (std::is_same_v<To, From>) {
    return v;
  } else if constexpr (std::is_same_v<To, Half> || std::is_same_v<To, BFloat16>) {
    if constexpr (std::is_same_v<From, Half> || std::is_same_v<From, BFloat16>) return To(static_cast<float>(v));
    else return To(static_cast<float>(v));
  } else if constexpr (std::is_same_v<From, Half> || std::is_same_v<From, BFloat16>) {
    return static_cast<To>(static_cast<float>(v));
  } else if constexpr (std::is_same_v<To, bool>) {
    return v != From(0);
  } else {
    return static_cast<To>(v);
  }
}

template <typename F>
decltype(auto) dispatch_any(DType dt, F&& f) {
  switch (dt) {
    case DType::Float32: return f.template operator()<float>();
    case DType::Float64: return f.template operator()<double>();
    case DType::Int32: return f.template operator()<int32_t>();
    case DType::Int64: return f.template operator()<int64_t>();
    case DType::Bool: return f.template operator()<bool>();
    case DType::Float16: return f.template operator()<Half>();
    case DType::BFloat16: return f.template operator()<BFloat16>();
  }
  throw Error("copy: unknown dtype");
}

}  // namespace

void copy(const Tensor& dst, const Tensor& src) {
  dispatch_any(dst.dtype(), [&]<typename To>() {
    dispatch_any(src.dtype(), [&]<typename From>() {
      map<To, From, 1>(dst, {&src}, [](From v) { return convert<To, From>(v); });
    });
  });
}

void fill(const Tensor& dst, Scalar value) {
  // A zero fill of contiguous memory is a memset: +0 is all-zero bytes in every dtype.
  if (value.i == 0 && value.d == 0 && !std::signbit(value.d) && dst.is_contiguous()) {
    std::memset(dst.raw_data(), 0, static_cast<size_t>(dst.numel()) * dst.element_size());
    return;
  }
  Tensor v = detail::wrap_scalar(value);
  copy(dst, detail::make_view(v, dst.shape(), Shape(dst.shape().size(), 0), 0));  // v broadcast
}

Tensor contiguous(const Tensor& t) {
  if (t.is_contiguous()) return t;
  Tensor c = detail::make_tensor(t.shape(), t.dtype(), t.device());
  copy(c, t);
  return c;
}

}  // namespace ember::cpu
