// WordPiece (BERT): greedy longest-match-first over the vocabulary, "##" marking a token that
// continues a word; a word longer than max_input_chars_per_word characters, or one that cannot be
// split into vocabulary tokens, is the unknown token. Also WordLevel (one token per piece).
#include <algorithm>

#include "ember/error.h"
#include "text/model_vocab.h"
#include "text/models.h"
#include "text/unicode.h"
#include "text/vocab_map.h"

namespace ember::text::detail {

namespace {

class WordPiece : public Model {
 public:
  WordPiece(const VocabEntries& vocab, const WordPieceOptions& o, const std::string& source)
      : vocab_(vocab, "WordPiece", source), options_(o) {
    EMBER_CHECK(o.max_input_chars_per_word >= 0, "WordPiece", source, ": max_input_chars_per_word must be >= 0, got ",
                o.max_input_chars_per_word);
    // Continuation tokens are also indexed without their prefix: no string is built per lookup.
    const std::string& prefix = o.continuing_subword_prefix;
    for (size_t id = 0; id < vocab_.id_to_token.size(); ++id) {
      const std::string& tok = vocab_.id_to_token[id];
      if (vocab_.present[id] && tok.size() >= prefix.size() && tok.compare(0, prefix.size(), prefix) == 0)
        continuation_.insert(std::string_view(tok).substr(prefix.size()), static_cast<int32_t>(id));
    }
    continuation_.build();  // distinct: distinct tokens with one prefix stay distinct without it
    unk_id_ = vocab_.map.find(o.unk_token);
  }

  void tokenize(std::string_view word, std::vector<ModelToken>& out) const override {
    const auto n = static_cast<uint32_t>(word.size());
    if (static_cast<int64_t>(utf8_length(word)) > options_.max_input_chars_per_word) {
      out.push_back({unk(), 0, n});
      return;
    }
    const size_t first = out.size();
    for (uint32_t start = 0; start < n;) {
      const VocabMap& map = start == 0 ? vocab_.map : continuation_;
      // No token is longer than the map's longest key: start there (on a character boundary).
      uint32_t end = static_cast<uint32_t>(std::min<size_t>(n, start + map.max_key_length()));
      while (end < n && (static_cast<unsigned char>(word[end]) & 0xC0) == 0x80) --end;
      int32_t id = -1;
      while (end > start) {
        id = map.find(word.substr(start, end - start));
        if (id >= 0) break;
        do --end;  // drop the last character
        while (end > start && (static_cast<unsigned char>(word[end]) & 0xC0) == 0x80);
      }
      if (id < 0) {  // no token fits: the whole word is unknown
        out.resize(first);
        out.push_back({unk(), 0, n});
        return;
      }
      out.push_back({id, start, end});
      start = end;
    }
  }

  int64_t vocab_size() const override { return static_cast<int64_t>(vocab_.map.size()); }
  const std::string* id_to_token(int64_t id) const override { return vocab_.token(id); }
  int64_t token_to_id(std::string_view token) const override { return vocab_.map.find(token); }

 private:
  int32_t unk() const {
    EMBER_CHECK(unk_id_ >= 0, "WordPiece", "the unknown token \"", options_.unk_token, "\" is not in the vocabulary (",
                vocab_.source, "), and this word needs it; add it or set model.unk_token");
    return unk_id_;
  }
  ModelVocab vocab_;
  VocabMap continuation_;  // continuation tokens, keyed without the prefix
  WordPieceOptions options_;
  int32_t unk_id_ = -1;
};

class WordLevel : public Model {
 public:
  WordLevel(const VocabEntries& vocab, const std::string& unk_token, const std::string& source)
      : vocab_(vocab, "WordLevel", source), unk_token_(unk_token), unk_id_(vocab_.map.find(unk_token)) {}

  void tokenize(std::string_view word, std::vector<ModelToken>& out) const override {
    int32_t id = vocab_.map.find(word);
    if (id < 0) {
      EMBER_CHECK(unk_id_ >= 0, "WordLevel", "the unknown token \"", unk_token_, "\" is not in the vocabulary (",
                  vocab_.source, "), and the word \"", word, "\" needs it");
      id = unk_id_;
    }
    out.push_back({id, 0, static_cast<uint32_t>(word.size())});
  }
  int64_t vocab_size() const override { return static_cast<int64_t>(vocab_.map.size()); }
  const std::string* id_to_token(int64_t id) const override { return vocab_.token(id); }
  int64_t token_to_id(std::string_view token) const override { return vocab_.map.find(token); }

 private:
  ModelVocab vocab_;
  std::string unk_token_;
  int32_t unk_id_;
};

}  // namespace

std::unique_ptr<Model> make_wordpiece(const VocabEntries& vocab, const WordPieceOptions& options,
                                      const std::string& source) {
  return std::make_unique<WordPiece>(vocab, options, source);
}

std::unique_ptr<Model> make_word_level(const VocabEntries& vocab, const std::string& unk_token,
                                       const std::string& source) {
  return std::make_unique<WordLevel>(vocab, unk_token, source);
}

}  // namespace ember::text::detail
