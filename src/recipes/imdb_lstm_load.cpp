// Loading a trained imdb-lstm checkpoint for inference (ember explain, distillation's student).
#include <algorithm>
#include <cstdint>
#include <map>
#include <sstream>

#include "ember/error.h"
#include "ember/io/safetensors.h"
#include "ember/recipes/imdb_lstm.h"
#include "ember/train/checkpoint.h"

namespace ember::recipes {

namespace {

constexpr const char* kOp = "load_imdb_lstm";

const std::string& meta(const io::SafetensorsFile& f, const std::string& key, const std::string& path) {
  auto it = f.metadata.find(key);
  EMBER_CHECK(it != f.metadata.end(), kOp, "'", path, "' has no '", key,
              "' metadata; it was not written by ember train imdb-lstm");
  return it->second;
}

// The "config" metadata: space-separated key=value pairs (config_string in imdb_lstm.cpp).
std::map<std::string, std::string> parse_pairs(const std::string& config) {
  std::map<std::string, std::string> kv;
  std::istringstream is(config);
  for (std::string item; is >> item;) {
    const size_t eq = item.find('=');
    if (eq != std::string::npos) kv[item.substr(0, eq)] = item.substr(eq + 1);
  }
  return kv;
}

int64_t positive(const std::map<std::string, std::string>& kv, const std::string& key, const std::string& path,
                 int64_t most) {
  auto it = kv.find(key);
  EMBER_CHECK(it != kv.end(), kOp, "'", path, "': the 'config' metadata has no ", key);
  int64_t v = 0;
  size_t used = 0;
  try {
    v = std::stoll(it->second, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  EMBER_CHECK(used == it->second.size() && v > 0 && v <= most, kOp, "'", path, "': config ", key, "=",
              it->second, " is not a whole number in [1, ", most, "]");
  return v;
}

std::string word(const std::map<std::string, std::string>& kv, const std::string& key, const std::string& path) {
  auto it = kv.find(key);
  EMBER_CHECK(it != kv.end(), kOp, "'", path, "': the 'config' metadata has no ", key);
  return it->second;
}

}  // namespace

std::vector<int64_t> ImdbLstmModel::tokens(const std::string& review) const {
  std::vector<int64_t> ids = vocab->encode(review);
  if (static_cast<int64_t>(ids.size()) > max_len) {
    if (keep_end)
      ids.erase(ids.begin(), ids.end() - max_len);
    else
      ids.resize(static_cast<size_t>(max_len));
  }
  return ids;
}

ImdbLstmModel load_imdb_lstm(const std::string& checkpoint) {
  io::SafetensorsFile head = io::load_safetensors(checkpoint);
  auto recipe = head.metadata.find("recipe");
  EMBER_CHECK(recipe != head.metadata.end() && recipe->second == "imdb-lstm", kOp, "'", checkpoint,
              "' is a checkpoint of recipe '", recipe == head.metadata.end() ? std::string("(none)") : recipe->second,
              "', not 'imdb-lstm'");
  const auto kv = parse_pairs(meta(head, "config", checkpoint));
  ImdbLstmModel m;
  try {
    m.vocab = std::make_shared<const text::WordTokenizer>(text::WordTokenizer::from_json(meta(head, "vocab", checkpoint)));
  } catch (const Error& e) {
    throw Error(std::string(kOp) + ": '" + checkpoint + "': the 'vocab' metadata is not a vocabulary: " + e.what());
  }
  // Bounds well above any sensible model: a corrupt config fails here, not in the allocator.
  const int64_t embed = positive(kv, "embed_dim", checkpoint, 1 << 16);
  const int64_t hidden = positive(kv, "hidden", checkpoint, 1 << 16);
  const int64_t layers = positive(kv, "layers", checkpoint, 64);
  m.max_len = positive(kv, "max_len", checkpoint, int64_t{1} << 31);
  const std::string bidir = word(kv, "bidirectional", checkpoint), truncate = word(kv, "truncate", checkpoint);
  EMBER_CHECK(bidir == "0" || bidir == "1", kOp, "'", checkpoint, "': config bidirectional=", bidir, " is not 0 or 1");
  EMBER_CHECK(truncate == "head" || truncate == "tail", kOp, "'", checkpoint, "': config truncate=", truncate,
              " is not head or tail");
  m.keep_end = truncate == "tail";
  // Dropout is off in eval mode, so its rate does not matter here.
  m.net = std::make_shared<SentimentLSTM>(m.vocab->vocab_size(), embed, hidden, layers, bidir == "1", 0.0,
                                          word(kv, "pool", checkpoint));
  train::load_checkpoint(checkpoint, *m.net, nullptr, "imdb-lstm");
  m.net->eval();
  return m;
}

}  // namespace ember::recipes
