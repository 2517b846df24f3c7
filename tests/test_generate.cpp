// GPT decoding: the filtering rules on hand-made distributions, determinism, greedy = top-k 1,
// the KV cache against full recomputation (also past block_size), stop tokens, prompt errors.
#include <gtest/gtest.h>

#include <cmath>

#include "ember/models/generate.h"
#include "op_registry.h"

using namespace ember;
using models::GenerateOptions;

namespace {

models::GPTConfig tiny() { return {.vocab_size = 30, .block_size = 16, .n_layer = 2, .n_head = 2, .n_embd = 16}; }

std::vector<float> logits_of(const std::vector<double>& probs) {
  std::vector<float> l;
  for (double p : probs) l.push_back(static_cast<float>(std::log(p)));
  return l;
}

std::vector<int> support(const std::vector<double>& p) {
  std::vector<int> s;
  for (size_t i = 0; i < p.size(); ++i)
    if (p[i] > 0) s.push_back(static_cast<int>(i));
  return s;
}

}  // namespace

TEST(Generate, TemperatureScalesTheLogits) {
  GenerateOptions o;
  o.temperature = 2.0;
  auto p = models::next_token_probs({1.f, 2.f, 3.f}, o);
  double z = std::exp(0.5) + std::exp(1.0) + std::exp(1.5);
  EXPECT_NEAR(p[0], std::exp(0.5) / z, 1e-12);
  EXPECT_NEAR(p[2], std::exp(1.5) / z, 1e-12);
  o.temperature = 0;  // greedy: one-hot at the argmax, ties to the lowest id
  EXPECT_EQ(models::next_token_probs({1.f, 3.f, 3.f, 0.f}, o), (std::vector<double>{0, 1, 0, 0}));
}

TEST(Generate, TopKKeepsTheKMostLikely) {
  GenerateOptions o;
  o.top_k = 2;
  auto p = models::next_token_probs({1.f, 3.f, 2.f, 0.f}, o);
  EXPECT_EQ(support(p), (std::vector<int>{1, 2}));
  EXPECT_NEAR(p[1], std::exp(3.0) / (std::exp(3.0) + std::exp(2.0)), 1e-12);
  o.top_k = 10;  // more than V: no filtering
  EXPECT_EQ(support(models::next_token_probs({1.f, 3.f, 2.f, 0.f}, o)).size(), 4u);
}

TEST(Generate, TopPKeepsTheSmallestSetReachingP) {
  // Probabilities 0.1, 0.5, 0.1, 0.3: sorted 0.5 (id 1), 0.3 (id 3), 0.1 (id 0), 0.1 (id 2).
  std::vector<float> l = logits_of({0.1, 0.5, 0.1, 0.3});
  GenerateOptions o;
  o.top_p = 0.45;
  EXPECT_EQ(support(models::next_token_probs(l, o)), (std::vector<int>{1}));
  o.top_p = 0.7;
  auto p = models::next_token_probs(l, o);
  EXPECT_EQ(support(p), (std::vector<int>{1, 3}));
  EXPECT_NEAR(p[1], 0.5 / 0.8, 1e-6);  // renormalized over the kept mass
  EXPECT_NEAR(p[3], 0.3 / 0.8, 1e-6);
  o.top_p = 0.85;  // the tie at 0.1 goes to the lower id
  EXPECT_EQ(support(models::next_token_probs(l, o)), (std::vector<int>{0, 1, 3}));
  o.top_p = 0.95;
  EXPECT_EQ(support(models::next_token_probs(l, o)).size(), 4u);
  o.top_p = 0.7, o.top_k = 1;  // top-k first, then top-p of what is left
  EXPECT_EQ(support(models::next_token_probs(l, o)), (std::vector<int>{1}));
}

TEST(Generate, SampleFromFollowsTheDistributionAndTheSeed) {
  Generator g(1);
  std::vector<double> p = {0.2, 0.0, 0.5, 0.3};
  std::vector<int> counts(4);
  const int n = 20000;
  for (int i = 0; i < n; ++i) ++counts[static_cast<size_t>(models::sample_from(p, g))];
  EXPECT_EQ(counts[1], 0);
  EXPECT_NEAR(counts[0] / double(n), 0.2, 0.015);
  EXPECT_NEAR(counts[2] / double(n), 0.5, 0.015);
  Generator a(9), b(9);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(models::sample_from(p, a), models::sample_from(p, b));
  EXPECT_EMBER_ERROR(models::sample_from({0.0, 0.0}, g), "generate", "zero");
}

TEST(Generate, DeterministicAtAFixedSeedAndTopK1IsGreedy) {
  manual_seed(11);
  models::GPT model(tiny());
  std::vector<int64_t> prompt = {1, 2, 3};
  GenerateOptions o;
  o.max_new_tokens = 12;
  Generator g1(42), g2(42), g3(43);
  auto a = models::generate(model, prompt, o, g1), b = models::generate(model, prompt, o, g2);
  auto c = models::generate(model, prompt, o, g3);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);  // a random model at temperature 1: another seed takes another path
  EXPECT_EQ(a.size(), 12u);
  GenerateOptions greedy = o, k1 = o;
  greedy.temperature = 0;
  k1.top_k = 1;
  Generator g4(1), g5(2);
  EXPECT_EQ(models::generate(model, prompt, greedy, g4), models::generate(model, prompt, k1, g5));
  EXPECT_TRUE(model.is_training());  // the mode is restored
}

TEST(Generate, CacheMatchesFullRecomputationPastTheBlockSize) {
  manual_seed(12);
  models::GPT model(tiny());
  std::vector<int64_t> prompt = {4, 5, 6, 7, 8};
  for (double temperature : {0.0, 0.8}) {
    GenerateOptions o;
    o.max_new_tokens = 25;  // 5 + 25 > block_size 16: the window slides
    o.temperature = temperature;
    o.top_p = 0.9;
    GenerateOptions nc = o;
    nc.use_cache = false;
    Generator g1(3), g2(3);
    EXPECT_EQ(models::generate(model, prompt, o, g1), models::generate(model, prompt, nc, g2)) << temperature;
  }
}

TEST(Generate, StopTokenAndLongPrompts) {
  manual_seed(13);
  models::GPT model(tiny());
  GenerateOptions o;
  o.temperature = 0;
  o.max_new_tokens = 10;
  Generator g(0);
  std::vector<int64_t> prompt = {1, 2};
  auto full = models::generate(model, prompt, o, g);
  o.stop_token = full[3];
  auto stopped = models::generate(model, prompt, o, g);
  size_t first = static_cast<size_t>(std::find(full.begin(), full.end(), full[3]) - full.begin());
  EXPECT_EQ(stopped, std::vector<int64_t>(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(first) + 1));
  // A prompt longer than block_size is cropped to its last block_size tokens (nanoGPT) ...
  o.stop_token.reset();
  std::vector<int64_t> long_prompt(30);
  for (size_t i = 0; i < long_prompt.size(); ++i) long_prompt[i] = static_cast<int64_t>(i % 30);
  std::vector<int64_t> tail(long_prompt.end() - 16, long_prompt.end());
  EXPECT_EQ(models::generate(model, long_prompt, o, g), models::generate(model, tail, o, g));
  // ... or rejected when cropping is off.
  o.crop_prompt = false;
  EXPECT_EMBER_ERROR(models::generate(model, long_prompt, o, g), "generate", "30 tokens", "block_size is 16");
  EXPECT_NO_THROW(models::generate(model, tail, o, g));
  o.max_new_tokens = 0;
  EXPECT_TRUE(models::generate(model, tail, o, g).empty());
}

TEST(Generate, BadOptionsAndPromptsNameTheProblem) {
  models::GPT model(tiny());
  Generator g(0);
  GenerateOptions o;
  EXPECT_EMBER_ERROR(models::generate(model, {}, o, g), "generate", "prompt is empty");
  EXPECT_EMBER_ERROR(models::generate(model, {1, 30}, o, g), "prompt token 30", "position 1", "[0, 30)");
  o.temperature = -1;
  EXPECT_EMBER_ERROR(models::generate(model, {1}, o, g), "temperature", "-1");
  o = {};
  o.top_p = 0;
  EXPECT_EMBER_ERROR(models::generate(model, {1}, o, g), "top_p", "(0, 1]");
  o = {};
  o.top_k = -2;
  EXPECT_EMBER_ERROR(models::generate(model, {1}, o, g), "top_k", "-2");
  o = {};
  o.stop_token = 99;
  EXPECT_EMBER_ERROR(models::generate(model, {1}, o, g), "stop_token 99");
  o = {};
  o.max_new_tokens = -1;
  EXPECT_EMBER_ERROR(models::generate(model, {1}, o, g), "max_new_tokens", "-1");
}
