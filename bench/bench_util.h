#pragma once
// Timing helpers shared by the side-by-side benchmarks: medians of repeated runs.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace bench {

// Median seconds per call of f over `reps` timed runs of `inner` calls each, after warmup.
inline double median_seconds(const std::function<void()>& f, int reps = 7, int inner = 1, int warmup = 2) {
  for (int i = 0; i < warmup; ++i) f();
  std::vector<double> t;
  for (int r = 0; r < reps; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < inner; ++i) f();
    auto t1 = std::chrono::steady_clock::now();
    t.push_back(std::chrono::duration<double>(t1 - t0).count() / inner);
  }
  std::nth_element(t.begin(), t.begin() + t.size() / 2, t.end());
  return t[t.size() / 2];
}

inline std::string fmt_time(double s) {
  char buf[32];
  if (s < 1e-3) std::snprintf(buf, sizeof buf, "%8.2f us", s * 1e6);
  else std::snprintf(buf, sizeof buf, "%8.3f ms", s * 1e3);
  return buf;
}

// One table row: ratio = torch time / ember time (> 1 means Ember is faster).
inline void report(const std::string& name, int threads, double ember_s, double torch_s, const std::string& extra = "") {
  std::printf("%-34s %2d  %s  %s  %6.2fx  %s\n", name.c_str(), threads, fmt_time(ember_s).c_str(),
              fmt_time(torch_s).c_str(), torch_s / ember_s, extra.c_str());
  std::fflush(stdout);
}

inline void header() {
  std::printf("%-34s %2s  %11s  %11s  %7s\n", "benchmark", "th", "ember", "libtorch", "speedup");
}

}  // namespace bench
