// Encode throughput of Ember's tokenizers on real documents encoded one at a time, one thread:
// GPT-2 BPE with a cold (first pass, empty cache) and a warm cache, and the char and word
// tokenizers.
// Prints one JSON object per line; bench/text_tokenizers_vs_hf.py runs this program and Hugging
// Face `tokenizers` on the same text and prints the ratios.
//   ./build/bench/text_tokenizers [data_root] [reps]
// The WordPiece mode: all-MiniLM-L6-v2's tokenizer.json, encode_batch of the first 1,000 IMDB
// reviews truncated at 256 tokens (no padding) on `threads` threads, one line per rep (driven by
// bench/text_wordpiece_vs_hf.py, which interleaves it with Hugging Face `tokenizers`):
//   ./build/bench/text_tokenizers wordpiece data_root threads reps
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "ember/ember.h"

using namespace ember;

namespace {

double cpu_s() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

// Median wall and best CPU seconds of fn over reps runs; `setup` runs untimed before each.
void measure(const char* name, const std::string& corpus, size_t bytes, int reps, const std::function<void()>& setup,
             const std::function<size_t()>& fn) {
  std::vector<double> wall;
  double best_cpu = 1e300;
  size_t tokens = 0;
  for (int r = 0; r < reps; ++r) {
    setup();
    const auto t0 = std::chrono::steady_clock::now();
    const double c0 = cpu_s();
    tokens = fn();
    best_cpu = std::min(best_cpu, cpu_s() - c0);
    wall.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::nth_element(wall.begin(), wall.begin() + wall.size() / 2, wall.end());
  const double med = wall[wall.size() / 2];
  std::printf("{\"name\": \"%s\", \"corpus\": \"%s\", \"bytes\": %zu, \"tokens\": %zu, \"median_s\": %.6f, "
              "\"best_cpu_s\": %.6f, \"mb_per_s\": %.3f, \"mb_per_cpu_s\": %.3f}\n",
              name, corpus.c_str(), bytes, tokens, med, best_cpu, bytes / med / 1e6, bytes / best_cpu / 1e6);
  std::fflush(stdout);
}

// Splits at blank lines, keeping the separator with the chunk before (Shakespeare's speeches).
std::vector<std::string> paragraphs(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t hit; (hit = text.find("\n\n", start)) != std::string::npos; start = hit + 2)
    out.push_back(text.substr(start, hit + 2 - start));
  if (start < text.size()) out.push_back(text.substr(start));
  return out;
}

// encode_batch of the first 1,000 IMDB reviews with MiniLM's WordPiece, truncation 256.
int wordpiece(const std::string& root, int threads, int reps) {
  set_num_threads(threads);
  text::Tokenizer tok = text::Tokenizer::from_pretrained(root + "/models/all-MiniLM-L6-v2");
  tok.no_padding();
  tok.enable_truncation({.max_length = 256});
  data::TextSplit imdb = data::read_imdb_file(root + "/imdb/reviews.json.gz");
  const std::vector<std::string> reviews(imdb.texts.begin(), imdb.texts.begin() + 1000);
  size_t bytes = 0;
  for (const auto& r : reviews) bytes += r.size();
  (void)tok.encode_batch(reviews);  // warm-up: thread pool, scratch buffers, page faults
  for (int r = 0; r < reps; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    const double c0 = cpu_s();
    const auto out = tok.encode_batch(reviews);
    const double cpu = cpu_s() - c0;
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    size_t tokens = 0;
    for (const auto& e : out) tokens += e.size();
    std::printf("{\"name\": \"wordpiece_batch\", \"threads\": %d, \"texts\": %zu, \"bytes\": %zu, \"tokens\": %zu, "
                "\"wall_s\": %.6f, \"cpu_s\": %.6f}\n",
                threads, reviews.size(), bytes, tokens, wall, cpu);
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "wordpiece")
    return wordpiece(data::resolve_data_root(argc > 2 ? argv[2] : ""), argc > 3 ? std::atoi(argv[3]) : 1,
                     argc > 4 ? std::atoi(argv[4]) : 5);
  set_num_threads(1);
  const std::string root = data::resolve_data_root(argc > 1 ? argv[1] : "");
  const int reps = argc > 2 ? std::atoi(argv[2]) : 5;
  const std::string shakespeare = data::read_text_file(root + "/tinyshakespeare/input.txt");
  data::TextSplit imdb = data::read_imdb_file(root + "/imdb/reviews.json.gz");
  // Documents encoded one by one: Shakespeare's speeches, and the first 2,000 reviews (2.6 MB).
  const std::vector<std::string> speeches = paragraphs(shakespeare);
  const std::vector<std::string> reviews(imdb.texts.begin(), imdb.texts.begin() + 2000);
  for (const auto& [corpus, docs] : {std::pair<std::string, const std::vector<std::string>*>{"tinyshakespeare", &speeches},
                                     {"imdb2000", &reviews}}) {
    size_t bytes = 0;
    for (const auto& d : *docs) bytes += d.size();
    auto encode_all = [&](const text::GPT2Tokenizer& tok) {
      size_t n = 0;
      for (const auto& d : *docs) n += tok.encode(d).size();
      return n;
    };
    std::optional<text::GPT2Tokenizer> tok;
    measure("gpt2_cold", corpus, bytes, reps,
            [&] { tok = text::GPT2Tokenizer::from_directory(root + "/gpt2"); },  // a fresh, empty cache
            [&] { return encode_all(*tok); });
    measure("gpt2_warm", corpus, bytes, reps, [] {}, [&] { return encode_all(*tok); });
  }
  const auto chars = text::CharTokenizer::from_text(shakespeare);
  measure("char", "tinyshakespeare", shakespeare.size(), reps, [] {}, [&] { return chars.encode(shakespeare).size(); });
  const auto words = text::WordTokenizer::build(imdb.texts, {.min_freq = 5, .max_size = 20000});
  size_t review_bytes = 0;
  for (const auto& r : reviews) review_bytes += r.size();
  measure("word", "imdb2000", review_bytes, reps, [] {}, [&] {
    size_t n = 0;
    for (const auto& r : reviews) n += words.encode(r).size();
    return n;
  });
  return 0;
}
