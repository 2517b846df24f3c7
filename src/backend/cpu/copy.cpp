// Strided copy with dtype conversion: the kernel behind contiguous(), to(), clone() and copy_().
#include "backend/cpu/kernels.h"
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

}  // namespace ember::cpu
