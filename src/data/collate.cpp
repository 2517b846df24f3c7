// collate: stacks equally shaped samples along a new leading dim with one memcpy per sample.
#include <cstring>

#include "data/collate.h"
#include "ember/autograd.h"
#include "ember/ops.h"

namespace ember::data {

namespace {

// (S...) x B -> (B, S...)
Tensor stack_samples(const std::vector<Example>& examples, const std::vector<int64_t>& indices, bool targets) {
  const char* what = targets ? "target" : "data";
  auto field = [&](size_t i) -> const Tensor& { return targets ? examples[i].target : examples[i].data; };
  auto name = [&](size_t i) {
    return indices.empty() ? ember::detail::str_cat("example ", i) : ember::detail::str_cat("sample ", indices[i]);
  };
  const Tensor& first = field(0);
  for (size_t i = 0; i < examples.size(); ++i) {
    const Tensor& t = field(i);
    if (!targets || first.defined()) {
      EMBER_CHECK(t.defined(), "collate", name(i), " has an undefined ", what, " tensor while ", name(0),
                  " has one; every example of a batch needs the same fields");
    } else {
      EMBER_CHECK(!t.defined(), "collate", name(i), " has a target while ", name(0),
                  " has none; every example of a batch needs the same fields");
    }
    if (!t.defined()) continue;
    EMBER_CHECK(t.shape() == first.shape() && t.dtype() == first.dtype(), "collate", name(i), " has ", what,
                " of shape ", shape_str(t.shape()), " ", dtype_name(t.dtype()), " but ", name(0), " has ",
                shape_str(first.shape()), " ", dtype_name(first.dtype()),
                "; samples in a batch must match (a transform such as RandomCrop can make them equal)");
  }
  if (!first.defined()) return Tensor();
  Shape shape = first.shape();
  shape.insert(shape.begin(), static_cast<int64_t>(examples.size()));
  Tensor out = empty(shape, first.dtype());
  const size_t bytes = static_cast<size_t>(first.numel()) * first.element_size();
  auto* dst = static_cast<char*>(out.raw_data());
  for (size_t i = 0; i < examples.size(); ++i) {
    Tensor c = field(i).contiguous();
    if (bytes) std::memcpy(dst + i * bytes, c.raw_data(), bytes);
  }
  return out;
}

}  // namespace

namespace detail {
Batch collate_indexed(const std::vector<Example>& examples, const std::vector<int64_t>& indices) {
  EMBER_CHECK(!examples.empty(), "collate", "no examples to stack into a batch");
  NoGradGuard no_grad;
  return {stack_samples(examples, indices, false), stack_samples(examples, indices, true)};
}
}  // namespace detail

Batch collate(const std::vector<Example>& examples) { return detail::collate_indexed(examples, {}); }

}  // namespace ember::data
