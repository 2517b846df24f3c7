// Decoding for GPT. The per-token work on logits (one row of V values) is small and sequential,
// so it runs on plain vectors; the model's forward does the heavy lifting.
#include "ember/models/generate.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "ember/autograd.h"
#include "ember/ops.h"

namespace ember::models {

void GenerateOptions::validate(int64_t vocab_size) const {
  EMBER_CHECK(max_new_tokens >= 0, "generate", "max_new_tokens must be non-negative, got ", max_new_tokens);
  EMBER_CHECK(temperature >= 0 && std::isfinite(temperature), "generate",
              "temperature must be a finite number >= 0 (0 = greedy), got ", temperature);
  EMBER_CHECK(top_k >= 0, "generate", "top_k must be non-negative (0 = off), got ", top_k);
  EMBER_CHECK(top_p > 0 && top_p <= 1, "generate", "top_p must be in (0, 1] (1 = off), got ", top_p);
  if (stop_token)
    EMBER_CHECK(*stop_token >= 0 && *stop_token < vocab_size, "generate", "stop_token ", *stop_token,
                " is outside the vocabulary [0, ", vocab_size, ")");
}

std::vector<double> next_token_probs(const std::vector<float>& logits, const GenerateOptions& opts) {
  const size_t V = logits.size();
  EMBER_CHECK(V > 0, "generate", "empty logits");
  std::vector<double> p(V, 0.0);
  if (opts.temperature == 0) {
    p[static_cast<size_t>(std::max_element(logits.begin(), logits.end()) - logits.begin())] = 1.0;
    return p;
  }
  std::vector<double> z(V);
  for (size_t i = 0; i < V; ++i) z[i] = static_cast<double>(logits[i]) / opts.temperature;
  if (opts.top_k > 0 && static_cast<size_t>(opts.top_k) < V) {
    std::vector<double> sorted = z;
    std::nth_element(sorted.begin(), sorted.begin() + (opts.top_k - 1), sorted.end(), std::greater<>());
    const double kth = sorted[static_cast<size_t>(opts.top_k - 1)];
    for (double& v : z)
      if (v < kth) v = -INFINITY;
  }
  const double mx = *std::max_element(z.begin(), z.end());
  double total = 0;
  for (size_t i = 0; i < V; ++i) total += p[i] = std::exp(z[i] - mx);
  for (double& v : p) v /= total;
  if (opts.top_p < 1) {
    std::vector<size_t> order(V);
    std::iota(order.begin(), order.end(), size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return p[a] > p[b]; });
    double before = 0;
    size_t keep = 0;
    while (keep < V && before < opts.top_p) before += p[order[keep++]];
    for (size_t i = keep; i < V; ++i) p[order[i]] = 0.0;
    for (double& v : p) v /= before;  // renormalize over the kept mass
  }
  return p;
}

int64_t sample_from(const std::vector<double>& probs, Generator& gen) {
  double total = 0;
  for (double v : probs) {
    EMBER_CHECK(v >= 0 && std::isfinite(v), "generate", "probabilities must be finite and non-negative, got ", v);
    total += v;
  }
  EMBER_CHECK(total > 0, "generate", "all ", probs.size(), " probabilities are zero");
  const double u = gen.uniform() * total;
  double cum = 0;
  int64_t last = 0;
  for (size_t i = 0; i < probs.size(); ++i) {
    if (probs[i] <= 0) continue;
    cum += probs[i];
    last = static_cast<int64_t>(i);
    if (u < cum) return last;
  }
  return last;  // u rounded up to the total: the last token with mass
}

std::vector<int64_t> generate(GPT& model, const std::vector<int64_t>& prompt, const GenerateOptions& opts,
                              Generator& gen) {
  const int64_t block = model.config.block_size, V = model.config.vocab_size;
  opts.validate(V);
  EMBER_CHECK(!prompt.empty(), "generate", "the prompt is empty; give at least one token to condition on");
  for (size_t i = 0; i < prompt.size(); ++i)
    EMBER_CHECK(prompt[i] >= 0 && prompt[i] < V, "generate", "prompt token ", prompt[i], " at position ", i,
                " is outside the vocabulary [0, ", V, ")");
  EMBER_CHECK(opts.crop_prompt || static_cast<int64_t>(prompt.size()) <= block, "generate", "the prompt has ",
              prompt.size(), " tokens but the model's block_size is ", block,
              "; shorten it or set crop_prompt to keep its last ", block, " tokens");

  const bool was_training = model.is_training();
  model.eval();
  NoGradGuard ng;
  std::vector<int64_t> seq = prompt, out;
  auto window = [&](size_t n) {  // the last n tokens of seq as (1, n)
    return tensor(std::vector<int64_t>(seq.end() - static_cast<std::ptrdiff_t>(n), seq.end()),
                  {1, static_cast<int64_t>(n)});
  };
  KVCache cache;
  Tensor logits;  // (1, V)
  auto full_window = [&] {
    cache.clear();
    logits = model.next_token_logits(window(std::min<size_t>(seq.size(), static_cast<size_t>(block))),
                                     opts.use_cache ? &cache : nullptr);
  };
  try {
    if (opts.max_new_tokens > 0) full_window();
    while (static_cast<int64_t>(out.size()) < opts.max_new_tokens) {
      int64_t next = sample_from(next_token_probs(logits.contiguous().to_vector<float>(), opts), gen);
      out.push_back(next);
      seq.push_back(next);
      if (opts.on_token) opts.on_token(next);
      if ((opts.stop_token && next == *opts.stop_token) || static_cast<int64_t>(out.size()) == opts.max_new_tokens) break;
      if (opts.use_cache && cache.length() < block) logits = model.next_token_logits(window(1), &cache);
      else full_window();  // no cache, or the window is full and slides
    }
  } catch (...) {
    model.train(was_training);
    throw;
  }
  model.train(was_training);
  return out;
}

}  // namespace ember::models
