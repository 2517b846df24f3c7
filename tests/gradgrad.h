#pragma once
// Second-order gradient check. For an op f and fixed random go, v_i, the scalar
//   s(x, go) = sum_i sum(v_i * dL/dx_i),  L = sum(f(x) * go)
// is differentiated by double backward (create_graph) and by central finite differences, with
// respect to every input and to go itself. Returns the worst |analytic - numeric| / (1 + |numeric|).
#include <functional>
#include <vector>

#include "ember/ember.h"

namespace ember::test {

inline double gradgrad_error(const std::function<Tensor(const std::vector<Tensor>&)>& f, std::vector<Tensor> x,
                             double eps = 1e-6) {
  Generator gen(1234);
  for (auto& t : x) t = t.detach().to(kFloat64).clone().requires_grad_();
  Tensor go = [&] {
    NoGradGuard ng;
    return randn(f(x).shape(), kFloat64, &gen);
  }();
  go.requires_grad_();
  std::vector<Tensor> v;
  for (auto& t : x) v.push_back(randn(t.shape(), kFloat64, &gen));
  auto s_of = [&](bool create) {
    Tensor out = f(x);
    auto grads = autograd::grad({out}, x, {go}, /*retain_graph=*/true, /*create_graph=*/create, /*allow_unused=*/true);
    Tensor s = zeros({}, kFloat64);
    for (size_t i = 0; i < x.size(); ++i)
      if (grads[i].defined()) s = s + (grads[i] * v[i]).sum();
    return s;
  };
  std::vector<Tensor> vars = x;
  vars.push_back(go);
  Tensor s = s_of(true);
  std::vector<Tensor> analytic(vars.size());
  if (s.requires_grad()) analytic = autograd::grad({s}, vars, {}, false, false, /*allow_unused=*/true);
  double worst = 0;
  for (size_t i = 0; i < vars.size(); ++i) {
    Tensor flat = vars[i].detach().view({-1});
    Tensor a = analytic[i].defined() ? analytic[i].contiguous().view({-1}) : zeros({vars[i].numel()}, kFloat64);
    for (int64_t k = 0; k < flat.numel(); ++k) {
      double orig = flat[k].item();
      flat[k].fill_(orig + eps);
      double sp = s_of(false).item();
      flat[k].fill_(orig - eps);
      double sm = s_of(false).item();
      flat[k].fill_(orig);
      double numeric = (sp - sm) / (2 * eps);
      worst = std::max(worst, std::abs(a[k].item() - numeric) / (1.0 + std::abs(numeric)));
    }
  }
  return worst;
}

}  // namespace ember::test
