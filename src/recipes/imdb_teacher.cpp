// The teacher's side of `ember distill imdb-lstm`: a fine-tuned classifier's logits over the
// training reviews, computed once and optionally cached on disk keyed by what produced them.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <ostream>

#include "ember/autocast.h"
#include "ember/error.h"
#include "ember/io/safetensors.h"
#include "ember/models/pretrained.h"
#include "ember/recipes/bert_classifier.h"
#include "ember/recipes/imdb_lstm.h"

namespace ember::recipes {

namespace {

// FNV-1a over the texts, each followed by a 0 byte (which UTF-8 text never holds): any change to
// the reviews or their order changes it.
std::string texts_fingerprint(const std::vector<std::string>& texts) {
  uint64_t h = 1469598103934665603ull;
  auto add = [&h](unsigned char c) { h = (h ^ c) * 1099511628211ull; };
  for (const std::string& t : texts) {
    for (char c : t) add(static_cast<unsigned char>(c));
    add(0);
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

}  // namespace

Tensor imdb_teacher_logits(const ImdbLstmConfig& cfg, const std::vector<std::string>& reviews, std::ostream& out,
                           bool write_cache) {
  const std::string dir = models::resolve_model_dir(cfg.teacher, cfg.data_root);
  const std::map<std::string, std::string> key = {
      {"teacher", std::filesystem::weakly_canonical(dir).string()},
      {"teacher_max_len", std::to_string(cfg.teacher_max_len)},
      {"reviews", std::to_string(reviews.size())},
      {"reviews_fingerprint", texts_fingerprint(reviews)},
      {"precision", cfg.teacher_precision}};
  const auto n = static_cast<int64_t>(reviews.size());
  if (!cfg.teacher_cache.empty() && std::filesystem::exists(cfg.teacher_cache)) {
    io::SafetensorsFile f = io::load_safetensors(cfg.teacher_cache);  // errors name the file
    bool same = f.contains("logits");
    for (const auto& [k, v] : key) {
      auto it = f.metadata.find(k);
      same = same && it != f.metadata.end() && it->second == v;
    }
    if (same) {
      const Tensor& t = f.at("logits");
      EMBER_CHECK(t.dim() == 2 && t.size(0) == n && t.size(1) == 2, "--teacher-cache", "'", cfg.teacher_cache,
                  "': 'logits' has shape ", shape_str(t.shape()), ", expected (", n, ", 2)");
      out << "Teacher logits for " << n << " training reviews read from " << cfg.teacher_cache << "\n";
      return t.to(kFloat32);
    }
    out << "Teacher cache " << cfg.teacher_cache
        << " holds another teacher, length or set of reviews; running the teacher again\n";
  }
  out << "Teacher " << dir << ": logits for " << n << " training reviews (max " << cfg.teacher_max_len
      << " tokens" << (cfg.teacher_precision == "bf16" ? ", bf16 autocast" : "") << ")\n";
  const auto t0 = std::chrono::steady_clock::now();
  Tensor logits;
  try {
    AutocastGuard autocast(cfg.teacher_precision == "bf16");
    logits = classifier_logits(dir, reviews, cfg.teacher_max_len, 32, &out);
  } catch (const Error& e) {
    throw Error(std::string("--teacher: '") + dir + "' is not a usable classifier (fine-tune one with ember train " +
                "bert-classifier --save-model DIR): " + e.what());
  }
  EMBER_CHECK(logits.size(1) == 2, "--teacher", "'", dir, "' classifies into ", logits.size(1),
              " labels; IMDB sentiment needs 2 (negative, positive)");
  out << "  in " << std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() << " s\n";
  if (!cfg.teacher_cache.empty() && write_cache) {
    io::save_safetensors(cfg.teacher_cache, {{"logits", logits}}, key);
    out << "  saved to " << cfg.teacher_cache << "\n";
  }
  return logits;
}

}  // namespace ember::recipes
