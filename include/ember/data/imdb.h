#pragma once
// IMDB movie-review sentiment (Maas et al., 2011): 50,000 labelled reviews from
// <data>/imdb/reviews.json.gz, a gzip'd JSON array of {"t": text, "s": 0 or 1} (1 = positive).
//
//   auto reviews = data::read_imdb();                              // train and test, 25,000 each
//   auto vocab = std::make_shared<text::WordTokenizer>(
//       text::WordTokenizer::build(reviews.train.texts, {.min_freq = 5, .max_size = 20000}));
//   data::DataLoader loader(data::IMDB(reviews.train, vocab, 256), {.batch_size = 32, .shuffle = true});
//   for (const data::Batch& b : loader) {
//     data::TextBatch t = data::text_batch(b);   // tokens (B, T), lengths (B), labels (B)
//   }
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ember/data/dataloader.h"
#include "ember/data/dataset.h"
#include "ember/text/word_tokenizer.h"

namespace ember::data {

struct TextSplit {
  std::vector<std::string> texts;
  std::vector<int64_t> labels;  // 0 = negative, 1 = positive
  int64_t size() const { return static_cast<int64_t>(texts.size()); }
};

struct IMDBReviews {
  TextSplit train, test;
};

// Every review of a reviews.json.gz file (gzip'd or plain JSON), in file order. Errors name the
// file: missing, truncated or corrupt gzip, invalid JSON, or an entry that is not
// {"t": string, "s": 0 or 1}.
TextSplit read_imdb_file(const std::string& path);
// The project's fixed split of <root>/imdb/reviews.json.gz (root resolved when empty): review i
// is in the training set when i % 25000 < 12500, else in the test set. The file holds the 25,000
// negative reviews and then the 25,000 positive ones, so each split has 12,500 of each.
IMDBReviews read_imdb(const std::string& root = "");

// Reviews as fixed-length token rows for a DataLoader. Each review is encoded with the
// tokenizer, then cut to its first max_len tokens (or, with keep_end, its last max_len: reviews
// open with their subject and close with their verdict, so the end carries more of the sentiment)
// and padded with <pad> (0) at the end of the row either way. A review with no tokens at all (empty or only whitespace) becomes a single <unk>, so every
// length is >= 1 and pooling over the real tokens never divides by zero.
class IMDB : public Dataset {
 public:
  IMDB(const TextSplit& split, std::shared_ptr<const text::WordTokenizer> tokenizer, int64_t max_len,
       bool keep_end = false);

  int64_t size() const override { return tokens_.size(0); }
  using Dataset::get;
  // data: (max_len,) int64 token ids, target: int64 scalar label (views, no copy).
  Example get(int64_t index, Generator& gen) const override;

  const Tensor& tokens() const { return tokens_; }    // (N, max_len) int64
  const Tensor& lengths() const { return lengths_; }  // (N,) int64 in [1, max_len]
  const Tensor& labels() const { return labels_; }    // (N,) int64 in {0, 1}
  int64_t max_len() const { return tokens_.size(1); }
  const std::shared_ptr<const text::WordTokenizer>& tokenizer() const { return tokenizer_; }

 private:
  std::shared_ptr<const text::WordTokenizer> tokenizer_;
  Tensor tokens_, lengths_, labels_;
};

// A DataLoader batch of IMDB examples, with the lengths recovered from the padding.
struct TextBatch {
  Tensor tokens;   // (B, T) int64
  Tensor lengths;  // (B,) int64: tokens before the first <pad>
  Tensor labels;   // (B,) int64
};
// Padding only ever trails the real tokens (no real token is <pad>), so the length of a row is
// the position of its first pad_id, or T when it has none.
Tensor padded_lengths(const Tensor& tokens, int64_t pad_id = text::WordTokenizer::kPad);  // (B, T) -> (B,)
TextBatch text_batch(const Batch& batch);

}  // namespace ember::data
