#pragma once
// Autoregressive decoding for GPT: greedy, temperature, top-k and top-p (nucleus) sampling, with
// the KV cache. Deterministic: the same model, prompt, options and Generator seed give the same
// tokens whatever the thread count.
#include <functional>
#include <optional>
#include <vector>

#include "ember/models/gpt.h"
#include "ember/random.h"

namespace ember::models {

struct GenerateOptions {
  int64_t max_new_tokens = 100;
  // 0: greedy (argmax, ties to the lowest id); otherwise logits are divided by it before softmax.
  double temperature = 1.0;
  // Keep the k most likely tokens (ties with the k-th kept too, as nanoGPT); 0: off.
  int64_t top_k = 0;
  // Keep the smallest set of most likely tokens whose probability reaches top_p: tokens sorted by
  // probability (descending, ties by id) are kept while the mass before them is below top_p, so
  // the most likely token always stays. 1: off. Applied after temperature and top-k.
  double top_p = 1.0;
  // Stop after emitting this token (it is included in the output).
  std::optional<int64_t> stop_token;
  // A prompt longer than block_size: true keeps its last block_size tokens (as nanoGPT does);
  // false raises an ember::Error.
  bool crop_prompt = true;
  // false recomputes the whole window for every token (the reference the cache is tested against).
  bool use_cache = true;
  // Called with each new token as soon as it is drawn (streaming output of long generations).
  std::function<void(int64_t)> on_token;
  // Throws ember::Error naming the option when a value is out of range.
  void validate(int64_t vocab_size) const;
};

// The next-token distribution for one row of logits (V): temperature, top-k, then top-p; filtered
// tokens get probability 0. With temperature 0, a one-hot at the argmax.
std::vector<double> next_token_probs(const std::vector<float>& logits, const GenerateOptions& opts);

// Draws an index from probabilities (any non-negative weights, not all zero) with one uniform from gen.
int64_t sample_from(const std::vector<double>& probs, Generator& gen);

// Continues `prompt` (token ids, non-empty) by up to max_new_tokens tokens and returns only the new
// ones. Runs in eval mode without gradients (the model's mode is restored). Past block_size the
// context slides as in nanoGPT: each new token is predicted from the last block_size tokens, which
// with the cache means recomputing the window (positions are absolute, so cached keys cannot shift).
std::vector<int64_t> generate(GPT& model, const std::vector<int64_t>& prompt, const GenerateOptions& opts,
                              Generator& gen);

}  // namespace ember::models
