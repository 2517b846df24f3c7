#pragma once
// Reading Hugging Face config.json files: typed look-ups with defaults and bounds, whose errors
// name the file and the key. Sizes are bounded before any model is built, so that a corrupt or
// hostile config.json is a clear error rather than a huge allocation.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace ember::models::hf {

using json = nlohmann::json;

// Upper bounds on config.json's sizes: far above every released BERT or GPT-2 (bert-large: hidden
// 1024, GPT-2 XL: 1600 wide, 48 layers; the largest vocabularies ~250,000), far below what fits in
// memory when multiplied together.
constexpr int64_t kMaxVocab = int64_t{1} << 24;        // vocab_size
constexpr int64_t kMaxWidth = int64_t{1} << 16;        // hidden_size, n_embd
constexpr int64_t kMaxInner = int64_t{1} << 18;        // intermediate_size, n_inner
constexpr int64_t kMaxLayers = 1024;                   // num_hidden_layers, n_layer
constexpr int64_t kMaxPositions = int64_t{1} << 20;    // max_position_embeddings, n_positions
constexpr int64_t kMaxTypeVocab = int64_t{1} << 16;    // type_vocab_size
constexpr int64_t kMaxLabels = int64_t{1} << 20;       // num_labels
constexpr int64_t kMaxParameters = int64_t{1} << 32;   // a whole model: 16 GiB of float32

// Parses config.json's text; errors name `source` (the file) and the JSON error's position.
json parse_config(const std::string& text, const std::string& source, const char* op);

class ConfigReader {
 public:
  // j must be a JSON object; `source` names the file in errors, `op` the caller.
  ConfigReader(json j, std::string source, const char* op);

  // The key is present and not null.
  bool has(const char* key) const;
  // An integer in [lo, hi]; `def` when absent or null.
  int64_t integer(const char* key, int64_t def, int64_t lo, int64_t hi) const;
  // An integer in [lo, hi], or nullopt when absent or null.
  std::optional<int64_t> optional_integer(const char* key, int64_t lo, int64_t hi) const;
  // A number in [lo, hi) (hi_inclusive: [lo, hi]); `def` when absent or null.
  double number(const char* key, double def, double lo, double hi, bool hi_inclusive = false) const;
  std::optional<double> optional_number(const char* key, double lo, double hi) const;  // [lo, hi)
  std::string string(const char* key, const std::string& def) const;
  bool boolean(const char* key, bool def) const;
  // A boolean option Ember does not implement: must be absent, null or `supported`.
  void require_bool(const char* key, bool supported, const std::string& why) const;
  const json& raw() const { return j_; }
  const std::string& source() const { return source_; }

  [[noreturn]] void fail(const char* key, const std::string& what) const;

 private:
  const json& at(const char* key) const;
  json j_;
  std::string source_;
  const char* op_;
};

// "1,234,567" for error messages about sizes.
std::string with_commas(int64_t n);

}  // namespace ember::models::hf
