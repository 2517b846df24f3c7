// Ember side of bench/micro_conv_torch.py: matmul and the seed CNN's convolutions (forward, and
// forward + backward), median and best wall time over repeated runs, at each thread count, and the
// best process CPU time (all threads): on a shared, loaded machine the 1-thread CPU time is the
// steadiest figure to compare.
// Run both in the same shell session and compare:   ./build/bench/micro_conv 1 2
//                                                    /usr/bin/python3 bench/micro_conv_torch.py 1 2
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <vector>

#include "ember/ember.h"

using namespace ember;

namespace {

struct Timing {
  double median_ms, best_ms, best_cpu_ms;
};

double cpu_ms() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

Timing time_ms(const std::function<void()>& fn, int reps, int warmup = 2) {
  for (int i = 0; i < warmup; ++i) fn();
  std::vector<double> t;
  double best_cpu = 1e300;
  for (int i = 0; i < reps; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    double c0 = cpu_ms();
    fn();
    best_cpu = std::min(best_cpu, cpu_ms() - c0);
    t.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(t.begin(), t.end());
  return {t[t.size() / 2], t.front(), best_cpu};
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> threads;
  for (int i = 1; i < argc; ++i) threads.push_back(std::atoi(argv[i]));
  if (threads.empty()) threads = {1, 2};
  manual_seed(0);
  for (int nt : threads) {
    set_num_threads(nt);
    for (int64_t n : {512, 1024, 2048}) {
      Tensor a = randn({n, n}), b = randn({n, n});
      Timing t = time_ms([&] { Tensor c = matmul(a, b); }, n < 2048 ? 15 : 7);
      double gf = 2.0 * n * n * n / t.median_ms / 1e6;
      std::printf("ember threads=%d matmul %lld: %.3f ms (best %.3f, cpu %.3f)  %.1f GFLOP/s (best %.1f)\n", nt,
                  static_cast<long long>(n), t.median_ms, t.best_ms, t.best_cpu_ms, gf, 2.0 * n * n * n / t.best_ms / 1e6);
    }
    struct Shape4 { const char* name; int64_t cin, cout, hw; bool xgrad; };
    for (Shape4 s : {Shape4{"conv1 1->32 28x28", 1, 32, 28, false}, Shape4{"conv2 32->64 26x26", 32, 64, 26, true}}) {
      Tensor x = randn({64, s.cin, s.hw, s.hw});
      if (s.xgrad) x.requires_grad_();
      Tensor w = (randn({s.cout, s.cin, 3, 3}) * 0.1).detach().requires_grad_();
      Tensor bias = randn({s.cout}).requires_grad_();
      Tensor go = randn({64, s.cout, s.hw - 2, s.hw - 2});
      Timing fwd = time_ms([&] {
        NoGradGuard ng;
        Tensor y = conv2d(x, w, bias);
      }, 15);
      Timing both = time_ms([&] {
        Tensor y = conv2d(x, w, bias);
        y.backward(go);
      }, 15);
      std::printf("ember threads=%d %s fwd: %.3f ms (best %.3f, cpu %.3f)  fwd+bwd: %.3f ms (best %.3f, cpu %.3f)\n",
                  nt, s.name, fwd.median_ms, fwd.best_ms, fwd.best_cpu_ms, both.median_ms, both.best_ms, both.best_cpu_ms);
    }
  }
}
