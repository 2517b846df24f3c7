// scaled_dot_product_attention: the fused float32 kernel against the composite (matmul, softmax,
// dropout), in one process, at the baby GPT's and GPT-2 small's attention shapes. PyTorch 1.13's
// composite on the same work: bench/attention_vs_torch.py (which runs this program too).
//   ./build/bench/attention_bench [threads...] [--reps N] [--only fused|composite]   (threads default: 1 2)
// Prints one RESULT line per (work, threads, implementation): median and best wall ms, best process
// CPU ms (all threads; the steadiest figure on a loaded machine), then the composite/fused ratios.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <string>
#include <vector>

#include "ember/ember.h"
#include "ops/attention_internal.h"

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

struct Shape4 {
  const char* name;
  int64_t B, H, T, D;
};

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> threads;
  int reps = 9;
  std::string only;  // --only fused|composite: one implementation (for profiling)
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--reps" && i + 1 < argc) reps = std::atoi(argv[++i]);
    else if (std::string(argv[i]) == "--only" && i + 1 < argc) only = argv[++i];
    else threads.push_back(std::atoi(argv[i]));
  }
  if (threads.empty()) threads = {1, 2};
  const Shape4 shapes[] = {{"baby-gpt B16 H6 T256 D64", 16, 6, 256, 64}, {"gpt2-small B4 H12 T256 D64", 4, 12, 256, 64}};
  Generator gen(0);
  for (int nt : threads) {
    set_num_threads(nt);
    for (const auto& s : shapes) {
      Tensor q = randn({s.B, s.H, s.T, s.D}, {}, &gen), k = randn({s.B, s.H, s.T, s.D}, {}, &gen),
             v = randn({s.B, s.H, s.T, s.D}, {}, &gen), go = randn({s.B, s.H, s.T, s.D}, {}, &gen);
      const double scale = 1.0 / 8.0;
      struct Work {
        std::string name;
        bool backward;
        double dropout;
      };
      for (const Work& w : {Work{"fwd causal", false, 0.0}, Work{"fwd+bwd causal", true, 0.0},
                            Work{"fwd+bwd causal dropout0.2", true, 0.2}}) {
        Timing res[2];
        for (int fused = 1; fused >= 0; --fused) {
          if (!only.empty() && only != (fused ? "fused" : "composite")) continue;
          auto run = [&] {
            Generator g(1);
            if (!w.backward) {
              NoGradGuard ng;
              fused ? detail::sdpa_fused(q, k, v, w.dropout, true, scale, &g)
                    : detail::sdpa_composite(q, k, v, Tensor(), w.dropout, true, scale, &g);
              return;
            }
            Tensor qr = q.detach().requires_grad_(), kr = k.detach().requires_grad_(), vr = v.detach().requires_grad_();
            Tensor out = fused ? detail::sdpa_fused(qr, kr, vr, w.dropout, true, scale, &g)
                               : detail::sdpa_composite(qr, kr, vr, Tensor(), w.dropout, true, scale, &g);
            out.backward(go);
          };
          res[fused] = time_ms(run, reps);
          std::printf("RESULT %s | %s | %d | %s | %.3f | %.3f | %.3f\n", s.name, w.name.c_str(), nt,
                      fused ? "fused" : "composite", res[fused].median_ms, res[fused].best_ms, res[fused].best_cpu_ms);
          std::fflush(stdout);
        }
        if (only.empty())
          std::printf("  %s, %s, %d thread(s): composite / fused = %.2fx (median wall), %.2fx (best CPU)\n", s.name,
                    w.name.c_str(), nt, res[0].median_ms / res[1].median_ms, res[0].best_cpu_ms / res[1].best_cpu_ms);
      }
    }
  }
}
