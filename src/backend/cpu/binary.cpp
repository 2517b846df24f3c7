// Binary elementwise kernels (see binary.h): one strided loop (loops.h) per op and dtype.
#include "backend/cpu/binary.h"

#include <cmath>

#include "backend/cpu/loops.h"
#include "core/op_helpers.h"

namespace ember::cpu {

void binary(BinaryOp op, const Tensor& out, const Tensor& x, const Tensor& y, double alpha) {
  EMBER_DISPATCH_ALL(x.dtype(), "binary op", [&]<typename T>() {
    const std::array<const Tensor*, 2> ins{&x, &y};
    if constexpr (std::is_same_v<T, bool>) {
      switch (op) {
        case BinaryOp::Add: case BinaryOp::Maximum: case BinaryOp::Or:
          map<bool, bool, 2>(out, ins, [](bool p, bool q) { return p || q; }); break;
        case BinaryOp::Mul: case BinaryOp::Minimum: case BinaryOp::And:
          map<bool, bool, 2>(out, ins, [](bool p, bool q) { return p && q; }); break;
        case BinaryOp::Eq: map<bool, bool, 2>(out, ins, [](bool p, bool q) { return p == q; }); break;
        case BinaryOp::Ne: map<bool, bool, 2>(out, ins, [](bool p, bool q) { return p != q; }); break;
        case BinaryOp::Lt: map<bool, bool, 2>(out, ins, [](bool p, bool q) { return p < q; }); break;
        case BinaryOp::Le: map<bool, bool, 2>(out, ins, [](bool p, bool q) { return p <= q; }); break;
        case BinaryOp::Gt: map<bool, bool, 2>(out, ins, [](bool p, bool q) { return p > q; }); break;
        case BinaryOp::Ge: map<bool, bool, 2>(out, ins, [](bool p, bool q) { return p >= q; }); break;
        default: throw Error("binary op: subtraction, division and pow are not supported on bool tensors; "
                             "convert with .to(ember::kFloat32) first");
      }
    } else {
      const T al = static_cast<T>(alpha);
      switch (op) {
        case BinaryOp::Add:
          if (alpha == 1.0) map<T, T, 2>(out, ins, [](T p, T q) { return p + q; });
          else map<T, T, 2>(out, ins, [al](T p, T q) { return p + al * q; });
          break;
        case BinaryOp::Sub:
          if (alpha == 1.0) map<T, T, 2>(out, ins, [](T p, T q) { return p - q; });
          else map<T, T, 2>(out, ins, [al](T p, T q) { return p - al * q; });
          break;
        case BinaryOp::Mul: map<T, T, 2>(out, ins, [](T p, T q) { return p * q; }); break;
        case BinaryOp::Div:
          if constexpr (std::is_integral_v<T>) throw Error("div: integer division is not implemented; convert to float");
          else map<T, T, 2>(out, ins, [](T p, T q) { return p / q; });
          break;
        case BinaryOp::Pow:
          if constexpr (std::is_integral_v<T>) {
            map<T, T, 2>(out, ins, [](T p, T q) {
              T r = 1;
              for (T i = 0; i < q; ++i) r *= p;
              return r;
            });
          } else {
            map<T, T, 2>(out, ins, [](T p, T q) { return std::pow(p, q); });
          }
          break;
        case BinaryOp::Maximum:
          map<T, T, 2>(out, ins, [](T p, T q) { return (p != p) ? p : (q != q) ? q : (p > q ? p : q); }); break;
        case BinaryOp::Minimum:
          map<T, T, 2>(out, ins, [](T p, T q) { return (p != p) ? p : (q != q) ? q : (p < q ? p : q); }); break;
        case BinaryOp::Eq: map<bool, T, 2>(out, ins, [](T p, T q) { return p == q; }); break;
        case BinaryOp::Ne: map<bool, T, 2>(out, ins, [](T p, T q) { return p != q; }); break;
        case BinaryOp::Lt: map<bool, T, 2>(out, ins, [](T p, T q) { return p < q; }); break;
        case BinaryOp::Le: map<bool, T, 2>(out, ins, [](T p, T q) { return p <= q; }); break;
        case BinaryOp::Gt: map<bool, T, 2>(out, ins, [](T p, T q) { return p > q; }); break;
        case BinaryOp::Ge: map<bool, T, 2>(out, ins, [](T p, T q) { return p >= q; }); break;
        case BinaryOp::And: map<bool, T, 2>(out, ins, [](T p, T q) { return p != T(0) && q != T(0); }); break;
        case BinaryOp::Or: map<bool, T, 2>(out, ins, [](T p, T q) { return p != T(0) || q != T(0); }); break;
      }
    }
  });
}

void where(const Tensor& out, const Tensor& c, const Tensor& x, const Tensor& y) {
  EMBER_DISPATCH_ALL(out.dtype(), "where", [&]<typename T>() {
    std::array<const Tensor*, 4> ops{&out, &c, &x, &y};
    auto g = make_geometry<4>(out.shape(), ops);
    std::array<char*, 4> base{static_cast<char*>(out.raw_data()), static_cast<char*>(c.raw_data()),
                              static_cast<char*>(x.raw_data()), static_cast<char*>(y.raw_data())};
    std::array<int64_t, 4> isz{sizeof(T), 1, sizeof(T), sizeof(T)};
    for_each_row<4>(g, base, isz, out.numel(), [](const std::array<char*, 4>& p, const std::array<int64_t, 4>& s, int64_t n) {
      T* o = reinterpret_cast<T*>(p[0]);
      const bool* cc = reinterpret_cast<const bool*>(p[1]);
      const T* xx = reinterpret_cast<const T*>(p[2]);
      const T* yy = reinterpret_cast<const T*>(p[3]);
      for (int64_t i = 0; i < n; ++i) o[i * s[0]] = cc[i * s[1]] ? xx[i * s[2]] : yy[i * s[3]];
    });
  });
}

}  // namespace ember::cpu
