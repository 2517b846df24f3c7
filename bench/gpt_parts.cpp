// Parts of a GPT block, forward + backward at the baby GPT's shapes (batch 16, context 256,
// 6 heads, 384 wide): best process CPU time of 5 runs at 1 thread. bench/gpt_parts_torch.py does
// the same in PyTorch 1.13.
#include <sys/resource.h>

#include <algorithm>
#include <cstdio>

#include "ember/ember.h"

using namespace ember;

namespace {

double cpu_seconds() {
  rusage r{};
  getrusage(RUSAGE_SELF, &r);
  return r.ru_utime.tv_sec + r.ru_stime.tv_sec + 1e-6 * (r.ru_utime.tv_usec + r.ru_stime.tv_usec);
}

template <class F> double best_of_5(F f) {
  f();  // warm up
  double best = 1e9;
  for (int i = 0; i < 5; ++i) {
    double c = cpu_seconds();
    f();
    best = std::min(best, cpu_seconds() - c);
  }
  return best * 1e3;
}

}  // namespace

int main() {
  set_num_threads(1);
  Tensor qkv = randn({16, 256, 1152}).requires_grad_();  // (B, T, 3C)
  Tensor g = randn({16, 256, 384});
  auto attention = [&] {
    auto heads = [&](int i) { return qkv.narrow(2, i * 384, 384).view({16, 256, 6, 64}).transpose(1, 2); };
    Tensor y = scaled_dot_product_attention(heads(0), heads(1), heads(2), Tensor(), 0.0, true);  // (B, nh, T, hd)
    y.transpose(1, 2).reshape({16, 256, 384}).backward(g);
    qkv.set_grad(Tensor());
  };
  std::printf("attention block fwd+bwd: %.1f ms cpu\n", best_of_5(attention));
  Tensor x = randn({16, 256, 384}).requires_grad_(), w = ones({384}).requires_grad_(), b = zeros({384}).requires_grad_();
  std::printf("layer_norm fwd+bwd: %.1f ms cpu\n", best_of_5([&] { layer_norm(x, {384}, w, b).backward(g); }));
  Tensor h = randn({16, 256, 1536}).requires_grad_(), gh = randn({16, 256, 1536});
  std::printf("gelu fwd+bwd: %.1f ms cpu\n", best_of_5([&] { gelu(h, "tanh").backward(gh); }));
  Tensor a = randn({16, 256, 384}).requires_grad_(), c = randn({16, 256, 384}).requires_grad_();
  std::printf("residual add fwd+bwd: %.1f ms cpu\n", best_of_5([&] { (a + c).backward(g); }));
  return 0;
}
