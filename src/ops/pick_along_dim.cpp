// pick_along_dim / put_along_dim (see pick_along_dim.h): contiguous [outer, S, inner] kernels.
#include "ops/pick_along_dim.h"

#include <cstring>

#include "core/op_helpers.h"
#include "ember/autograd.h"
#include "ember/ops.h"

namespace ember::detail {

namespace {

struct Layout {
  int64_t outer = 1, S = 1, inner = 1;
};

Layout layout_of(const Shape& shape, int64_t dim) {
  Layout l;
  for (int64_t d = 0; d < static_cast<int64_t>(shape.size()); ++d) {
    if (d < dim) l.outer *= shape[d];
    else if (d == dim) l.S = shape[d];
    else l.inner *= shape[d];
  }
  return l;
}

Tensor pick_impl(const Tensor& src_in, int64_t dim, const Tensor& index_in) {
  Tensor src = src_in.contiguous();
  Tensor index = index_in.contiguous();
  Layout l = layout_of(src.shape(), dim);
  Tensor out = make_tensor(index.shape(), src.dtype());
  const int64_t* idx = index.data_ptr<int64_t>();
  EMBER_DISPATCH_ALL(src.dtype(), "pick_along_dim", [&]<typename T>() {
    const T* s = src.data_ptr<T>();
    T* o = out.data_ptr<T>();
    for (int64_t a = 0; a < l.outer; ++a)
      for (int64_t j = 0; j < l.inner; ++j) {
        int64_t k = idx[a * l.inner + j];
        o[a * l.inner + j] = (k >= 0 && k < l.S) ? s[(a * l.S + k) * l.inner + j] : T(0);
      }
  });
  return out;
}

Tensor put_impl(const Tensor& val_in, int64_t dim, const Tensor& index_in, const Shape& shape) {
  Tensor val = val_in.contiguous();
  Tensor index = index_in.contiguous();
  Layout l = layout_of(shape, dim);
  Tensor out = zeros(shape, val.dtype());
  const int64_t* idx = index.data_ptr<int64_t>();
  EMBER_DISPATCH_ALL(val.dtype(), "put_along_dim", [&]<typename T>() {
    const T* v = val.data_ptr<T>();
    T* o = out.data_ptr<T>();
    for (int64_t a = 0; a < l.outer; ++a)
      for (int64_t j = 0; j < l.inner; ++j) {
        int64_t k = idx[a * l.inner + j];
        if (k >= 0 && k < l.S) o[(a * l.S + k) * l.inner + j] = v[a * l.inner + j];
      }
  });
  return out;
}

}  // namespace

Tensor pick_along_dim(const Tensor& src, int64_t dim, const Tensor& index) {
  Tensor out = pick_impl(src, dim, index);
  if (autograd::any_requires_grad({&src}))
    autograd::set_history(out, "PickAlongDimBackward", {src},
                          [dim, index, shape = src.shape()](const Tensor& g, const autograd::Node&) {
                            return std::vector<Tensor>{put_along_dim(g, dim, index, shape)};
                          });
  return out;
}

Tensor put_along_dim(const Tensor& val, int64_t dim, const Tensor& index, const Shape& shape) {
  Tensor out = put_impl(val, dim, index, shape);
  if (autograd::any_requires_grad({&val}))
    autograd::set_history(out, "PutAlongDimBackward", {val}, [dim, index](const Tensor& g, const autograd::Node&) {
      return std::vector<Tensor>{pick_along_dim(g, dim, index)};
    });
  return out;
}

}  // namespace ember::detail
