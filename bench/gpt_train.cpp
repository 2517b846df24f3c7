// GPT training throughput for bench/gpt_vs_torch.py: random token batches, AdamW, no dropout;
// prints the median step time, tokens/s and this process's peak RSS. bench/gpt_torch.py does the
// same work in PyTorch.
//   gpt_train --model baby|gpt2 [--steps 10] [--warmup 2] [--threads N] [--batch B] [--block T]
//             [--step-in-backward 1] [--bounded-cache 1] [--mem-trace 1] [--precision float32|bf16]
// --bounded-cache 1: the allocator's bounded mode (ember/memory.h: set_bounded_cache).
// --step-in-backward 1: AdamW updates each parameter inside backward (optim::StepInBackward), so
// the gradients never all exist at once. --mem-trace 1: prints the tensor bytes live after the
// forward, at backward's peak and after the step, for each step.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "ember/autocast.h"
#include "ember/autograd.h"
#include "ember/memory.h"
#include "ember/models/gpt.h"
#include "ember/ops.h"
#include "ember/optim/adam.h"
#include "ember/optim/step_in_backward.h"
#include "ember/parallel.h"

using namespace ember;

int main(int argc, char** argv) {
  std::string model_name = "baby";
  int steps = 10, warmup = 2, threads = 0;
  bool step_in_backward = false, mem_trace = false, bf16 = false;
  int64_t batch = -1, block = -1;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--model") model_name = v;
    else if (k == "--steps") steps = std::atoi(v.c_str());
    else if (k == "--warmup") warmup = std::atoi(v.c_str());
    else if (k == "--threads") threads = std::atoi(v.c_str());
    else if (k == "--batch") batch = std::atoll(v.c_str());
    else if (k == "--block") block = std::atoll(v.c_str());
    else if (k == "--step-in-backward") step_in_backward = v != "0";
    else if (k == "--bounded-cache") set_bounded_cache(v != "0");
    else if (k == "--mem-trace") mem_trace = v != "0";
    else if (k == "--precision") bf16 = v == "bf16";
    else {
      std::fprintf(stderr, "unknown flag %s\n", k.c_str());
      return 2;
    }
  }
  models::GPTConfig cfg;
  if (model_name == "baby") {
    cfg = models::GPTConfig::baby();  // context 256, batch 16
    if (batch < 0) batch = 16;
  } else if (model_name == "gpt2") {
    cfg = models::GPTConfig::gpt2();
    cfg.block_size = 256;  // trained at context 256, batch 4
    if (batch < 0) batch = 4;
  } else {
    std::fprintf(stderr, "--model must be baby or gpt2\n");
    return 2;
  }
  if (block > 0) cfg.block_size = block;
  if (threads > 0) set_num_threads(threads);
  const int64_t T = cfg.block_size;
  manual_seed(0);
  models::GPT model(cfg);
  auto [decay, no_decay] = model.decay_groups();
  optim::AdamW opt({optim::ParamGroup(decay), optim::ParamGroup(no_decay, optim::AdamWOptions(6e-4).weight_decay(0.0))},
                   optim::AdamWOptions(6e-4).betas(0.9, 0.95).weight_decay(0.1));
  std::unique_ptr<optim::StepInBackward> fused;
  if (step_in_backward) fused = std::make_unique<optim::StepInBackward>(opt);
  Generator data(1);
  auto mb = [](int64_t b) { return static_cast<double>(b) / (1 << 20); };
  auto rss_mb = [] {  // resident set now (/proc/self/statm's second field, in pages)
    long pages = 0, resident = 0;
    if (FILE* f = std::fopen("/proc/self/statm", "r")) {
      if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
      std::fclose(f);
    }
    return static_cast<double>(resident) * 4096.0 / (1 << 20);
  };
  if (mem_trace) std::printf("before training: RSS %.1f MB, tensors %.1f MB\n", rss_mb(), mb(memory_stats().allocated_bytes));
  // Wall time per step, and the process's CPU time (user + system) per step: on a machine shared
  // with other jobs the CPU time of a 1-thread run is the steadier measure.
  auto cpu_seconds = [] {
    rusage r{};
    getrusage(RUSAGE_SELF, &r);
    return r.ru_utime.tv_sec + r.ru_stime.tv_sec + 1e-6 * (r.ru_utime.tv_usec + r.ru_stime.tv_usec);
  };
  std::vector<double> times, cpu;
  double loss = 0;
  for (int s = 0; s < warmup + steps; ++s) {
    Tensor x = randint(0, cfg.vocab_size, {batch, T}, DType::Int64, &data);
    Tensor y = randint(0, cfg.vocab_size, {batch, T}, DType::Int64, &data);
    auto t0 = std::chrono::steady_clock::now();
    const double c0 = cpu_seconds();
    if (!fused) opt.zero_grad();
    if (mem_trace) reset_peak_memory_stats();
    Tensor l;
    {
      AutocastGuard autocast(bf16);  // backward keeps each op's forward precision
      l = model.loss(x, y);
    }
    const MemoryStats after_fwd = memory_stats();
    reset_peak_memory_stats();
    l.backward();
    const MemoryStats after_bwd = memory_stats();
    if (!fused) opt.step();
    loss = l.item();
    if (mem_trace) {
      const MemoryStats m = memory_stats();
      std::printf("step %d tensors MB: forward peak %.1f, after forward %.1f, backward peak %.1f, after backward %.1f, "
                  "after step %.1f (cached %.1f); RSS now %.1f\n",
                  s, mb(after_fwd.peak_allocated_bytes), mb(after_fwd.allocated_bytes),
                  mb(after_bwd.peak_allocated_bytes), mb(after_bwd.allocated_bytes), mb(m.allocated_bytes),
                  mb(m.cached_bytes), rss_mb());
    }
    auto t1 = std::chrono::steady_clock::now();
    if (s >= warmup) {
      times.push_back(std::chrono::duration<double>(t1 - t0).count());
      cpu.push_back(cpu_seconds() - c0);
    }
  }
  std::sort(times.begin(), times.end());
  std::sort(cpu.begin(), cpu.end());
  const double med = times[times.size() / 2], med_cpu = cpu[cpu.size() / 2];
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  std::printf("model %s params %lld threads %d batch %lld block %lld%s loss %.4f\n", model_name.c_str(),
              static_cast<long long>(model.num_parameters()), get_num_threads(), static_cast<long long>(batch),
              static_cast<long long>(T), fused ? " step-in-backward" : "", loss);
  std::printf("median step %.4f s (cpu %.4f s), tokens/s: %.1f, tokens/cpu-s: %.1f, peak RSS MB: %.1f\n", med, med_cpu,
              batch * T / med, batch * T / med_cpu, ru.ru_maxrss / 1024.0);
  return 0;
}
