// WordTokenizer: the splitting rules, vocabulary building and JSON form (see the header).
#include "ember/text/word_tokenizer.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "ember/error.h"
#include "ember/io/json.h"
#include "text/token_ids.h"

namespace ember::text {

namespace {

constexpr const char* kJsonType = "ember.WordTokenizer";

bool is_word_byte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
}

char lower(unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c); }

// Length of an HTML line break starting at text[i] ('<'): <br>, <br/>, <br />, any case; else 0.
size_t br_tag_length(std::string_view text, size_t i) {
  size_t j = i + 1;
  if (j + 1 >= text.size() || lower(text[j]) != 'b' || lower(text[j + 1]) != 'r') return 0;
  j += 2;
  while (j < text.size() && text[j] == ' ') ++j;
  if (j < text.size() && text[j] == '/') ++j;
  return j < text.size() && text[j] == '>' ? j + 1 - i : 0;
}

}  // namespace

void WordTokenizer::for_each_word(std::string_view text, const std::function<void(std::string_view)>& fn) {
  std::string word;
  auto flush = [&] {
    if (!word.empty()) fn(word);
    word.clear();
  };
  const size_t n = text.size();
  for (size_t i = 0; i < n;) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '<') {
      if (size_t len = br_tag_length(text, i)) {
        flush();
        i += len;
        continue;
      }
    }
    if (is_word_byte(c)) {
      word += lower(c);
    } else if (c == '\'' && !word.empty() && i + 1 < n && is_word_byte(static_cast<unsigned char>(text[i + 1]))) {
      word += '\'';  // inside a word: don't, o'clock
    } else {
      flush();
      if (c > 0x20 && c < 0x7F) fn(text.substr(i, 1));  // punctuation: a token per character
    }
    ++i;
  }
  flush();
}

std::vector<std::string> WordTokenizer::split_words(std::string_view text) {
  std::vector<std::string> words;
  for_each_word(text, [&](std::string_view w) { words.emplace_back(w); });
  return words;
}

WordTokenizer WordTokenizer::build(const std::vector<std::string>& texts, const WordVocabOptions& options) {
  EMBER_CHECK(options.min_freq >= 1, "WordTokenizer::build", "min_freq must be at least 1, got ", options.min_freq);
  EMBER_CHECK(!options.max_size || *options.max_size >= 0, "WordTokenizer::build",
              "max_size must be >= 0 (or unset for no limit), got ", options.max_size.value_or(0));
  std::unordered_map<std::string, int64_t> counts;
  std::string key;
  for (const std::string& t : texts)
    for_each_word(t, [&](std::string_view w) {
      key.assign(w);
      ++counts[key];
    });
  std::vector<std::pair<std::string, int64_t>> kept;
  for (auto& [w, n] : counts)
    if (n >= options.min_freq) kept.emplace_back(w, n);
  // Most frequent first; ties in byte order, so the ids never depend on hash-map order.
  std::sort(kept.begin(), kept.end(),
            [](const auto& a, const auto& b) { return a.second != b.second ? a.second > b.second : a.first < b.first; });
  if (options.max_size && static_cast<int64_t>(kept.size()) > *options.max_size)
    kept.resize(static_cast<size_t>(*options.max_size));
  std::vector<std::string> words;
  words.reserve(kept.size());
  for (auto& [w, n] : kept) words.push_back(std::move(w));
  return from_words(words);
}

WordTokenizer WordTokenizer::from_words(const std::vector<std::string>& words) {
  WordTokenizer tok;
  tok.itos_.reserve(words.size() + 2);
  tok.itos_.push_back(kPadToken);
  tok.itos_.push_back(kUnkToken);
  tok.stoi_.reserve(words.size() + 2);
  tok.stoi_.emplace(kPadToken, kPad);
  tok.stoi_.emplace(kUnkToken, kUnk);
  for (const std::string& w : words) {
    EMBER_CHECK(!w.empty(), "WordTokenizer", "word ", tok.itos_.size() - 2, " of the vocabulary is empty");
    const bool fresh = tok.stoi_.emplace(w, static_cast<int64_t>(tok.itos_.size())).second;
    EMBER_CHECK(fresh, "WordTokenizer", "word '", w, "' appears twice in the vocabulary",
                (w == kPadToken || w == kUnkToken) ? " (it is a special token, which the tokenizer adds itself)" : "");
    tok.itos_.push_back(w);
  }
  return tok;
}

int64_t WordTokenizer::id_of(std::string_view word) const {
  auto it = stoi_.find(std::string(word));
  return it == stoi_.end() ? kUnk : it->second;
}

const std::string& WordTokenizer::token(int64_t id) const {
  EMBER_CHECK(id >= 0 && id < vocab_size(), "WordTokenizer::token", "id ", id, " is out of range for a vocabulary of ",
              vocab_size(), " (valid ids: 0 to ", vocab_size() - 1, ")");
  return itos_[static_cast<size_t>(id)];
}

std::vector<int64_t> WordTokenizer::encode(std::string_view text) const {
  std::vector<int64_t> ids;
  std::string key;
  for_each_word(text, [&](std::string_view w) {
    key.assign(w);
    auto it = stoi_.find(key);
    ids.push_back(it == stoi_.end() ? kUnk : it->second);
  });
  return ids;
}

Tensor WordTokenizer::encode_tensor(std::string_view text) const { return detail::ids_to_tensor(encode(text)); }

std::string WordTokenizer::decode(const std::vector<int64_t>& ids, bool keep_padding) const {
  std::string out;
  for (size_t i = 0; i < ids.size(); ++i) {
    EMBER_CHECK(ids[i] >= 0 && ids[i] < vocab_size(), "WordTokenizer::decode", "id ", ids[i], " at position ", i,
                " is out of range for a vocabulary of ", vocab_size(), " (valid ids: 0 to ", vocab_size() - 1, ")");
    if (ids[i] == kPad && !keep_padding) continue;
    if (!out.empty()) out += ' ';
    out += itos_[static_cast<size_t>(ids[i])];
  }
  return out;
}

std::string WordTokenizer::decode(const Tensor& ids, bool keep_padding) const {
  return decode(detail::tensor_to_ids(ids, "WordTokenizer::decode"), keep_padding);
}

std::string WordTokenizer::to_json() const {
  nlohmann::json j = {{"type", kJsonType},
                      {"version", 1},
                      {"words", std::vector<std::string>(itos_.begin() + 2, itos_.end())}};
  try {
    return j.dump();
  } catch (const nlohmann::json::type_error&) {
    // Words of valid UTF-8 text are valid UTF-8 (a multi-byte character is never split), so only
    // invalid input text gets here. Name the first word JSON cannot hold.
    for (size_t i = 2; i < itos_.size(); ++i) {
      try {
        (void)nlohmann::json(itos_[i]).dump();
      } catch (const nlohmann::json::type_error&) {
        EMBER_FAIL("WordTokenizer::to_json", "word ", i, " ('", itos_[i], "') is not valid UTF-8, which JSON cannot ",
                   "hold; build the vocabulary from UTF-8 text");
      }
    }
    throw;
  }
}

WordTokenizer WordTokenizer::from_json(const std::string& json) {
  const char* op = "WordTokenizer::from_json";
  auto j = io::parse_json<nlohmann::json>(json, op, "the text");
  EMBER_CHECK(j.is_object() && j.contains("type") && j["type"] == kJsonType, op, "expected an object with \"type\": \"",
              kJsonType, "\" (as written by WordTokenizer::to_json)");
  EMBER_CHECK(j.contains("version") && j["version"] == 1, op, "unsupported version ",
              j.contains("version") ? io::describe_json(j["version"]) : "(missing)", "; this build reads version 1");
  const auto it = j.find("words");
  EMBER_CHECK(it != j.end() && it->is_array(), op, "\"words\" must be an array of strings");
  std::vector<std::string> words;
  words.reserve(it->size());
  for (const auto& v : *it) {
    EMBER_CHECK(v.is_string(), op, "\"words\" entry ", words.size(), " is ", io::describe_json(v), "; expected a string");
    words.push_back(v.get<std::string>());
  }
  return from_words(words);
}

}  // namespace ember::text
