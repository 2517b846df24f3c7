// Timing of Ember's softmax-family and sum kernels, to compare with bench/reduce_softmax_timing.py
// (PyTorch, same shapes, same thread counts). Prints median microseconds per call.
// Build: g++ -std=c++20 -O3 -march=native -fopenmp -Iinclude bench/reduce_softmax_timing.cpp \
//          -Lbuild -lember $(pkg-config --libs openblas) -lz -o build/reduce_softmax_timing
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "ember/ember.h"

using namespace ember;

// "median M us (min m)": the median over repetitions, and the minimum, which is the steadier figure
// when other processes share the cores.
static std::string median_us(const std::function<void()>& f, int iters, int reps = 9) {
  for (int i = 0; i < iters / 10 + 1; ++i) f();  // warm up
  std::vector<double> t;
  for (int r = 0; r < reps; ++r) {
    auto a = std::chrono::steady_clock::now();
    for (int i = 0; i < iters; ++i) f();
    auto b = std::chrono::steady_clock::now();
    t.push_back(std::chrono::duration<double, std::micro>(b - a).count() / iters);
  }
  std::sort(t.begin(), t.end());
  char buf[64];
  std::snprintf(buf, sizeof buf, "median %.1f us (min %.1f)", t[t.size() / 2], t[0]);
  return buf;
}

int main() {
  Generator gen(0);
  Tensor x = randn({64, 1000}, {}, &gen);
  Tensor g = randn({64, 1000}, {}, &gen);
  Tensor big = randn({10'000'000}, {}, &gen);
  Tensor y = log_softmax(x, 1);
  Tensor xr = x.clone().requires_grad_();
  Tensor target = randint(0, 1000, {64}, kInt64, &gen);
  for (int nt : {1, 2}) {
    set_num_threads(nt);
    std::printf("threads=%d log_softmax(64,1000) %s\n", nt, median_us([&] { log_softmax(x, 1); }, 2000).c_str());
    std::printf("threads=%d softmax(64,1000) %s\n", nt, median_us([&] { softmax(x, 1); }, 2000).c_str());
    std::printf("threads=%d log_softmax fwd+bwd(64,1000) %s\n", nt, median_us([&] {
      Tensor out = log_softmax(xr, 1);
      out.backward(g);
      xr.set_grad(Tensor());
    }, 1000).c_str());
    std::printf("threads=%d cross_entropy fwd+bwd(64,1000) %s\n", nt, median_us([&] {
      cross_entropy(xr, target).backward();
      xr.set_grad(Tensor());
    }, 1000).c_str());
    std::printf("threads=%d sum(10M) %s\n", nt, median_us([&] { sum(big); }, 20).c_str());
  }
}
