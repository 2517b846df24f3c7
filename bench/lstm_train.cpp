// Ember side of bench/lstm_vs_torch.py: LSTM training steps (forward + backward + SGD) on a
// token-classification toy model, Embedding(1000, 128) -> LSTM(128, 256) -> mean over time ->
// Linear(D*256, 10) -> cross-entropy, batch 64, 200 steps per sequence.
//
//   ./build/bench/lstm_train --threads 1 --layers 1 [--bidirectional] [--iters 10] [--composite]
// Prints one line "ms/iter: <median wall> best: <best wall> cpu ms/iter: <process CPU time, all
// threads, mean>". --composite runs the step-by-step composite
// reference instead of the fused layer (to measure what the fused kernel buys).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "ember/ember.h"
#include "ember/nn/layers.h"
#include "ember/nn/rnn.h"
#include "nn/rnn_stack.h"

using namespace ember;

int main(int argc, char** argv) {
  int threads = 1, layers = 1, iters = 10, warmup = 2;
  int64_t batch = 64, steps = 200, input = 128, hidden = 256, vocab = 1000, classes = 10;
  bool bidirectional = false, composite = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&] {
      if (i + 1 >= argc) std::exit((std::fprintf(stderr, "%s needs a value\n", a.c_str()), 2));
      return std::atoi(argv[++i]);
    };
    if (a == "--threads") threads = next();
    else if (a == "--layers") layers = next();
    else if (a == "--iters") iters = next();
    else if (a == "--warmup") warmup = next();
    else if (a == "--seq-len") steps = next();
    else if (a == "--batch") batch = next();
    else if (a == "--bidirectional") bidirectional = true;
    else if (a == "--composite") composite = true;
    else return std::fprintf(stderr, "unknown argument %s\n", a.c_str()), 2;
  }
  set_num_threads(threads);
  manual_seed(0);
  const int64_t D = bidirectional ? 2 : 1;
  nn::Embedding emb(vocab, input);
  nn::LSTM lstm(input, hidden, layers, true, false, 0.0, bidirectional);
  nn::Linear head(D * hidden, classes);
  std::vector<Tensor> params = emb.parameters();
  for (auto* m : std::initializer_list<nn::Module*>{&lstm, &head})
    for (auto& p : m->parameters()) params.push_back(p);
  optim::SGD opt(params, optim::SGDOptions(0.01));
  Tensor tokens = randint(0, vocab, {steps, batch});  // (T, B)
  Tensor labels = randint(0, classes, {batch});
  auto step = [&] {
    opt.zero_grad();
    Tensor x = emb.forward(tokens);  // (T, B, I)
    Tensor y;
    if (composite) {
      nn::detail::RnnStackConfig cfg{ember::RnnMode::Lstm, layers, bidirectional, true};
      cfg.fused = false;
      y = nn::detail::rnn_stack(cfg, x.view({steps * batch, input}), std::vector<int64_t>(steps, batch), Tensor(),
                                Tensor(), lstm.flat_weights())
              .output.view({steps, batch, D * hidden});
    } else {
      y = lstm.forward(x).output;  // (T, B, D*H)
    }
    Tensor loss = cross_entropy(head.forward(y.mean({0})), labels);  // (B, D*H) -> (B, C)
    loss.backward();
    opt.step();
  };
  auto cpu_ms = [] {
    timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
  };
  for (int i = 0; i < warmup; ++i) step();
  std::vector<double> ms;
  double cpu0 = cpu_ms();
  for (int i = 0; i < iters; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    step();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  double cpu = (cpu_ms() - cpu0) / iters;
  std::sort(ms.begin(), ms.end());
  std::printf("ms/iter: %.2f best: %.2f cpu ms/iter: %.2f\n", ms[ms.size() / 2], ms[0], cpu);
  return 0;
}
