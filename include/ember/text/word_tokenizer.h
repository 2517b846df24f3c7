#pragma once
// WordTokenizer: a word-level vocabulary for movie reviews and similar English text (IMDB).
//
// Splitting (split_words), in order:
//  - HTML line breaks `<br />` (also `<br/>`, `<br>`, `<BR />`, any spaces before the slash)
//    become spaces;
//  - ASCII letters are lower-cased; bytes >= 0x80 are kept as they are (no Unicode case folding),
//    so UTF-8 letters such as 'é' stay inside words;
//  - a word is a run of ASCII letters, digits and bytes >= 0x80, with apostrophes allowed between
//    two such characters ("don't", "o'clock" are one word; the quotes of 'this' are not part of it);
//  - every other printable ASCII character (punctuation: . , ! ? " ' ( ) - ...) is a token of its
//    own, one per character ("!!" gives "!", "!"), because punctuation carries sentiment;
//  - whitespace and ASCII control characters separate tokens and are dropped.
//
// Vocabulary: id 0 is "<pad>", id 1 is "<unk>"; then the words of the training texts seen at
// least min_freq times, most frequent first, ties in byte order, at most max_size of them. The
// same texts and options always give the same ids.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ember/tensor.h"

namespace ember::text {

struct WordVocabOptions {
  int64_t min_freq = 1;                 // keep words seen at least this often (>= 1)
  std::optional<int64_t> max_size = std::nullopt;  // keep at most this many words (specials not counted)
};

class WordTokenizer {
 public:
  static constexpr int64_t kPad = 0;
  static constexpr int64_t kUnk = 1;
  static constexpr const char* kPadToken = "<pad>";
  static constexpr const char* kUnkToken = "<unk>";

  // Calls fn on each token of `text` (lower-cased, split as above), in order.
  static void for_each_word(std::string_view text, const std::function<void(std::string_view)>& fn);
  static std::vector<std::string> split_words(std::string_view text);

  // Counts the words of `texts` and keeps them as WordVocabOptions says.
  static WordTokenizer build(const std::vector<std::string>& texts, const WordVocabOptions& options = {});
  // `words` in id order after the two specials (distinct, none of them a special).
  static WordTokenizer from_words(const std::vector<std::string>& words);
  static WordTokenizer from_json(const std::string& json);  // inverse of to_json()

  int64_t vocab_size() const { return static_cast<int64_t>(itos_.size()); }  // specials included
  const std::vector<std::string>& vocab() const { return itos_; }            // id -> token
  int64_t id_of(std::string_view word) const;  // kUnk when absent
  const std::string& token(int64_t id) const;

  // Word ids, kUnk for words outside the vocabulary. Never kPad.
  std::vector<int64_t> encode(std::string_view text) const;
  Tensor encode_tensor(std::string_view text) const;  // (N,) int64
  // Tokens joined by single spaces; <pad> ids are skipped unless keep_padding.
  std::string decode(const std::vector<int64_t>& ids, bool keep_padding = false) const;
  std::string decode(const Tensor& ids, bool keep_padding = false) const;  // 1-D int64/int32

  // {"type": "ember.WordTokenizer", "version": 1, "words": [the tokens after the specials]}.
  std::string to_json() const;

  bool operator==(const WordTokenizer& other) const { return itos_ == other.itos_; }

 private:
  WordTokenizer() = default;
  std::vector<std::string> itos_;
  std::unordered_map<std::string, int64_t> stoi_;
};

}  // namespace ember::text
