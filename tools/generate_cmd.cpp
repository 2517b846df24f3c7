// `ember generate <checkpoint>`: samples text from a shakespeare-gpt checkpoint.
#include <iostream>
#include <memory>

#include "ember/parallel.h"
#include "ember/recipes/shakespeare_gpt.h"
#include "shakespeare_gpt_cmd.h"

namespace ember::cli {

namespace {
struct GenerateArgs {
  std::string checkpoint, prompt = "\n";
  models::GenerateOptions opts;
  uint64_t seed = 1337;
  int threads = 0;
};
}  // namespace

void add_generate_command(CLI::App& app, Commands& out) {
  auto a = std::make_shared<GenerateArgs>();
  a->opts.max_new_tokens = 500;
  a->opts.temperature = 0.8;  // nanoGPT's sample.py defaults
  a->opts.top_k = 200;
  CLI::App* g = app.add_subcommand("generate", "Sample text from a shakespeare-gpt checkpoint");
  g->add_option("checkpoint", a->checkpoint, "A .safetensors checkpoint written by ember train shakespeare-gpt")
      ->required();
  g->add_option("--prompt", a->prompt, "Text to continue (default: a newline)");
  g->add_option("--max-new-tokens", a->opts.max_new_tokens, "Characters to generate")->check(kNonNegative);
  g->add_option("--temperature", a->opts.temperature, "Softmax temperature (0: greedy)")->check(kNonNegative);
  g->add_option("--top-k", a->opts.top_k, "Sample among the k most likely characters (0: all)")->check(kNonNegative);
  g->add_option("--top-p", a->opts.top_p, "Nucleus sampling: the smallest set with this much probability")
      ->check(CLI::Range(0.0, 1.0));
  g->add_option("--seed", a->seed, "Random seed (same seed: same text)");
  g->add_option("--threads", a->threads, "Compute threads")->check(kThreads);
  out.push_back({g, [a] {
                   if (a->threads > 0) set_num_threads(a->threads);
                   // Streamed as it is drawn: a long generation shows its progress (the prompt
                   // first, once the checkpoint and the prompt passed their checks).
                   bool started = false;
                   recipes::generate_from_checkpoint(a->checkpoint, a->prompt, a->opts, a->seed,
                                                     [&](const std::string& piece) {
                                                       if (!started) std::cout << a->prompt;
                                                       started = true;
                                                       std::cout << piece << std::flush;
                                                     });
                   if (!started) std::cout << a->prompt;
                   std::cout << "\n";
                   return 0;
                 }});
}

}  // namespace ember::cli
