// Ember vs LibTorch on the same work, in one process, at 1 and 2 threads (issue: core speed).
// Prints medians of repeated runs and the speedup (LibTorch time / Ember time).
// Run: ./build/bench/bench_ops [--quick]
#include <torch/torch.h>

#include <cstring>

#include "bench_util.h"
#include "ember/ember.h"

namespace E = ember;

namespace {

void set_threads(int n) {
  E::set_num_threads(n);
  torch::set_num_threads(n);
}

void bench_matmul(int n, int threads, int reps) {
  E::Tensor a = E::randn({n, n}), b = E::randn({n, n});
  torch::Tensor ta = torch::randn({n, n}), tb = torch::randn({n, n});
  double te = bench::median_seconds([&] { E::matmul(a, b); }, reps);
  double tt = bench::median_seconds([&] { torch::matmul(ta, tb); }, reps);
  char extra[64];
  std::snprintf(extra, sizeof extra, "ember %.1f GFLOP/s", 2.0 * n * n * n / te / 1e9);
  bench::report("matmul " + std::to_string(n), threads, te, tt, extra);
}

void bench_conv(int cin, int cout, int hw, int threads, int reps) {
  const int B = 64;
  E::Tensor x = E::randn({B, cin, hw, hw}).requires_grad_(cin > 1);
  E::Tensor w = E::randn({cout, cin, 3, 3}).mul_(0.1).requires_grad_();
  E::Tensor bias = E::zeros({cout}).requires_grad_();
  torch::Tensor tx = torch::randn({B, cin, hw, hw}).requires_grad_(cin > 1);
  torch::Tensor tw = (torch::randn({cout, cin, 3, 3}) * 0.1).requires_grad_();
  torch::Tensor tbias = torch::zeros({cout}).requires_grad_();
  E::Tensor g = E::ones({B, cout, hw - 2, hw - 2});
  torch::Tensor tg = torch::ones({B, cout, hw - 2, hw - 2});
  double te = bench::median_seconds([&] {
    E::Tensor y = E::conv2d(x, w, bias);
    y.backward(g);
  }, reps);
  double tt = bench::median_seconds([&] {
    torch::Tensor y = torch::conv2d(tx, tw, tbias);
    y.backward(tg);
  }, reps);
  bench::report("conv2d fwd+bwd " + std::to_string(cin) + "->" + std::to_string(cout) + " " + std::to_string(hw) + "x" +
                    std::to_string(hw),
                threads, te, tt);
}

void bench_elementwise(int threads, int reps) {
  const int64_t n = 10'000'000;
  E::Tensor a = E::randn({n}), b = E::randn({n});
  torch::Tensor ta = torch::randn({n}), tb = torch::randn({n});
  bench::report("add 10M", threads, bench::median_seconds([&] { E::add(a, b); }, reps),
                bench::median_seconds([&] { torch::add(ta, tb); }, reps));
  bench::report("mul 10M", threads, bench::median_seconds([&] { E::mul(a, b); }, reps),
                bench::median_seconds([&] { torch::mul(ta, tb); }, reps));
  bench::report("relu 10M", threads, bench::median_seconds([&] { E::relu(a); }, reps),
                bench::median_seconds([&] { torch::relu(ta); }, reps));
  bench::report("sum 10M", threads, bench::median_seconds([&] { E::sum(a); }, reps),
                bench::median_seconds([&] { torch::sum(ta); }, reps));
}

void bench_log_softmax(int threads, int reps) {
  E::Tensor a = E::randn({64, 1000});
  torch::Tensor ta = torch::randn({64, 1000});
  bench::report("log_softmax 64x1000", threads, bench::median_seconds([&] { E::log_softmax(a, 1); }, reps, 200),
                bench::median_seconds([&] { torch::log_softmax(ta, 1); }, reps, 200));
}

void bench_tiny(int threads, int reps) {
  E::Tensor a = E::ones({1}).requires_grad_(), b = E::ones({1}).requires_grad_();
  torch::Tensor ta = torch::ones({1}).requires_grad_(), tb = torch::ones({1}).requires_grad_();
  bench::report("tiny add (1 elem, autograd on)", threads, bench::median_seconds([&] { E::add(a, b); }, reps, 20000),
                bench::median_seconds([&] { torch::add(ta, tb); }, reps, 20000));
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  int reps = quick ? 3 : 11;
  std::printf("Ember vs LibTorch %s; medians of %d runs; speedup = libtorch time / ember time\n", TORCH_VERSION, reps);
  bench::header();
  for (int threads : {1, 2}) {
    set_threads(threads);
    for (int n : {512, 1024, 2048}) bench_matmul(n, threads, n == 2048 ? std::max(3, reps / 2) : reps);
    bench_conv(1, 32, 28, threads, reps);
    bench_conv(32, 64, 26, threads, reps);
    bench_elementwise(threads, reps);
    bench_log_softmax(threads, reps);
    bench_tiny(threads, reps);
  }
  return 0;
}
