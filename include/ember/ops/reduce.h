#pragma once
// Reductions over any set of dims (negative dims count from the end); an empty dims list reduces all.
#include <optional>
#include <tuple>

#include "ember/tensor.h"

namespace ember {

Tensor sum(const Tensor& a);
Tensor sum(const Tensor& a, const Shape& dims, bool keepdim = false);
Tensor mean(const Tensor& a);
Tensor mean(const Tensor& a, const Shape& dims, bool keepdim = false);
// correction: 1 = unbiased (Bessel), 0 = population, as torch.var(correction=...).
Tensor var(const Tensor& a, const Shape& dims = {}, int64_t correction = 1, bool keepdim = false);
Tensor std(const Tensor& a, const Shape& dims = {}, int64_t correction = 1, bool keepdim = false);
Tensor amax(const Tensor& a, const Shape& dims = {}, bool keepdim = false);
Tensor amin(const Tensor& a, const Shape& dims = {}, bool keepdim = false);
Tensor max(const Tensor& a);  // over all elements
Tensor min(const Tensor& a);
// (values, indices) along one dim; indices are int64; ties take the first index, as PyTorch.
std::tuple<Tensor, Tensor> max(const Tensor& a, int64_t dim, bool keepdim = false);
std::tuple<Tensor, Tensor> min(const Tensor& a, int64_t dim, bool keepdim = false);
Tensor argmax(const Tensor& a, std::optional<int64_t> dim = std::nullopt, bool keepdim = false);
Tensor argmin(const Tensor& a, std::optional<int64_t> dim = std::nullopt, bool keepdim = false);
Tensor logsumexp(const Tensor& a, const Shape& dims, bool keepdim = false);
// p-norm over dims (p = 2 by default; p = inf is max-abs).
Tensor norm(const Tensor& a, double p = 2.0, const Shape& dims = {}, bool keepdim = false);
Tensor prod(const Tensor& a, std::optional<int64_t> dim = std::nullopt, bool keepdim = false);
Tensor cumsum(const Tensor& a, int64_t dim);
Tensor any(const Tensor& a);
Tensor all(const Tensor& a);
// True when no element is NaN or infinite (integer tensors: always); one pass, no allocation
// (torch.isfinite(a).all()). Checkpoints and the trainer check weights with it.
bool all_finite(const Tensor& a);

}  // namespace ember
