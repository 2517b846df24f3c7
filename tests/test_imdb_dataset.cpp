// IMDB: the real reviews file (read once), the fixed split, tokenized rows through the
// DataLoader, zero-length reviews, and missing, truncated or malformed files.
#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>

#include "ember/ember.h"
#include "op_registry.h"
#include "temp_dir.h"
#include "text_test_data.h"

using namespace ember;
using namespace ember::data;
using ember::test::TempDir;
using ember::text::WordTokenizer;

namespace {

const IMDBReviews& reviews() { return ember::test::imdb_reviews(); }

std::string gzip(const std::string& bytes) {
  uLongf n = compressBound(static_cast<uLong>(bytes.size())) + 32;
  std::string out(n, '\0');
  z_stream zs{};
  deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);  // gzip wrapper
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  zs.avail_in = static_cast<uInt>(bytes.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

}  // namespace

TEST(IMDB, FixedSplitOfTheRealFile) {
  const auto& r = reviews();
  ASSERT_EQ(r.train.size(), 25000);
  ASSERT_EQ(r.test.size(), 25000);
  ASSERT_EQ(r.train.labels.size(), 25000u);
  int64_t pos_train = 0, pos_test = 0;
  for (int64_t l : r.train.labels) pos_train += l;
  for (int64_t l : r.test.labels) pos_test += l;
  EXPECT_EQ(pos_train, 12500);
  EXPECT_EQ(pos_test, 12500);
  // Reviews 0, 12500 and 25000 of the file (checked with Python).
  EXPECT_TRUE(r.train.texts[0].starts_with("Once again Mr. Costner has dragged out a"));
  EXPECT_EQ(r.train.labels[0], 0);
  EXPECT_TRUE(r.test.texts[0].starts_with("Story of a man who has unnatural feeling"));
  EXPECT_TRUE(r.train.texts[12500].starts_with("I went and saw this movie last night aft"));
  EXPECT_EQ(r.train.labels[12500], 1);
}

TEST(IMDB, TokenizedRowsThroughTheDataLoader) {
  const auto& r = reviews();
  auto vocab = std::make_shared<WordTokenizer>(WordTokenizer::build(r.train.texts, {.min_freq = 5, .max_size = 20000}));
  EXPECT_EQ(vocab->vocab_size(), 20002);
  EXPECT_EQ(vocab->token(2), "the");  // the most frequent word
  EXPECT_EQ(vocab->id_of("br"), WordTokenizer::kUnk);  // <br /> tags are gone
  // The same reviews in another order give the same vocabulary (frequency ties broken by bytes).
  std::vector<std::string> some(r.train.texts.begin(), r.train.texts.begin() + 3000);
  auto forward = WordTokenizer::build(some, {.min_freq = 2});
  std::reverse(some.begin(), some.end());
  EXPECT_EQ(WordTokenizer::build(some, {.min_freq = 2}), forward);
  EXPECT_GT(forward.vocab_size(), 10000);

  TextSplit few;
  for (int i = 0; i < 50; ++i) {
    few.texts.push_back(r.test.texts[static_cast<size_t>(i * 500)]);
    few.labels.push_back(r.test.labels[static_cast<size_t>(i * 500)]);
  }
  IMDB ds(few, vocab, 128);
  EXPECT_EQ(ds.size(), 50);
  EXPECT_EQ(ds.tokens().shape(), (Shape{50, 128}));
  DataLoader loader(ds, {.batch_size = 16});
  int64_t seen = 0;
  for (const Batch& b : loader) {
    TextBatch t = text_batch(b);
    const int64_t B = t.tokens.size(0);
    EXPECT_EQ(t.tokens.shape(), (Shape{B, 128}));
    EXPECT_EQ(t.lengths.shape(), (Shape{B}));
    EXPECT_EQ(t.labels.shape(), (Shape{B}));
    EXPECT_EQ(t.tokens.dtype(), kInt64);
    EXPECT_EQ(t.lengths.to_vector<int64_t>(), ds.lengths().narrow(0, seen, B).to_vector<int64_t>());
    EXPECT_EQ(t.labels.to_vector<int64_t>(), ds.labels().narrow(0, seen, B).to_vector<int64_t>());
    seen += B;
  }
  EXPECT_EQ(seen, 50);
  // Row i holds the first max_len ids of review i, then padding.
  for (int i : {0, 7, 49}) {
    auto ids = vocab->encode(few.texts[static_cast<size_t>(i)]);
    auto row = ds.tokens().select(0, i).to_vector<int64_t>();
    const size_t L = std::min<size_t>(ids.size(), 128);
    EXPECT_EQ(ds.lengths().select(0, i).item<int64_t>(), static_cast<int64_t>(L));
    EXPECT_EQ(std::vector<int64_t>(row.begin(), row.begin() + L), std::vector<int64_t>(ids.begin(), ids.begin() + L));
    for (size_t k = L; k < 128; ++k) EXPECT_EQ(row[k], 0);
  }
}

TEST(IMDB, EmptyReviewsBecomeOneUnknownToken) {
  auto vocab = std::make_shared<WordTokenizer>(WordTokenizer::build({"good bad"}));  // bad = 2, good = 3
  TextSplit s{{"", "  <br /><br />  ", "good", "good bad good bad"}, {0, 1, 1, 0}};
  IMDB ds(s, vocab, 3);
  EXPECT_EQ(ds.lengths().to_vector<int64_t>(), (std::vector<int64_t>{1, 1, 1, 3}));
  EXPECT_EQ(ds.tokens().to_vector<int64_t>(), (std::vector<int64_t>{1, 0, 0, 1, 0, 0, 3, 0, 0, 3, 2, 3}));
  EXPECT_EQ(padded_lengths(ds.tokens()).to_vector<int64_t>(), ds.lengths().to_vector<int64_t>());
  Example e = ds.get(3);
  EXPECT_EQ(e.data.shape(), (Shape{3}));
  EXPECT_EQ(e.target.item<int64_t>(), 0);
}

TEST(IMDB, KeepEndKeepsTheLastTokens) {
  auto vocab = std::make_shared<WordTokenizer>(WordTokenizer::build({"good bad"}));  // bad = 2, good = 3
  TextSplit s{{"good bad good bad", "good", "bad bad good", ""}, {0, 1, 1, 0}};
  IMDB tail(s, vocab, 3, /*keep_end=*/true);
  // The last max_len tokens, still padded at the end of the row; an empty review is one <unk>.
  EXPECT_EQ(tail.lengths().to_vector<int64_t>(), (std::vector<int64_t>{3, 1, 3, 1}));
  EXPECT_EQ(tail.tokens().to_vector<int64_t>(), (std::vector<int64_t>{2, 3, 2, 3, 0, 0, 2, 2, 3, 1, 0, 0}));
  EXPECT_EQ(padded_lengths(tail.tokens()).to_vector<int64_t>(), tail.lengths().to_vector<int64_t>());
  // The start instead, by default.
  IMDB head(s, vocab, 3);
  EXPECT_EQ(head.tokens().select(0, 0).to_vector<int64_t>(), (std::vector<int64_t>{3, 2, 3}));
}

TEST(IMDB, BadFiles) {
  TempDir dir;
  const std::string good = R"([{"t": "Great film!", "s": 1}, {"t": "Awful.<br />Really.", "s": 0}])";
  dir.write("ok.json.gz", gzip(good));
  TextSplit s = read_imdb_file(dir.file("ok.json.gz"));
  EXPECT_EQ(s.texts, (std::vector<std::string>{"Great film!", "Awful.<br />Really."}));
  EXPECT_EQ(s.labels, (std::vector<int64_t>{1, 0}));
  dir.write("plain.json", good);  // not compressed: read as is
  EXPECT_EQ(read_imdb_file(dir.file("plain.json")).labels, s.labels);

  EXPECT_EMBER_ERROR(read_imdb_file(dir.file("missing.json.gz")), "IMDB", "missing.json.gz", "cannot find");
  EXPECT_EMBER_ERROR(read_imdb(dir.path()), "IMDB", "imdb/reviews.json.gz");
  dir.write("empty.json.gz", "");
  EXPECT_EMBER_ERROR(read_imdb_file(dir.file("empty.json.gz")), "IMDB", "empty.json.gz", "is empty");
  const std::string big = gzip(std::string(1 << 16, ' ') + good);
  dir.write("truncated.json.gz", big.substr(0, big.size() / 2));
  EXPECT_EMBER_ERROR(read_imdb_file(dir.file("truncated.json.gz")), "IMDB", "truncated.json.gz", "truncated");
  std::string corrupt = gzip(good);
  corrupt[corrupt.size() / 2] ^= 0x5A;
  corrupt[corrupt.size() / 2 + 1] ^= 0x33;
  dir.write("corrupt.json.gz", corrupt);
  EXPECT_EMBER_ERROR(read_imdb_file(dir.file("corrupt.json.gz")), "IMDB", "corrupt.json.gz", "cannot be read");

  auto bad = [&](const std::string& json) {
    dir.write("bad.json.gz", gzip(json));
    return read_imdb_file(dir.file("bad.json.gz"));
  };
  EXPECT_EMBER_ERROR(bad(R"([{"t": "x", "s": 1}, {"t": "y")"), "IMDB", "bad.json.gz", "not valid JSON");
  EXPECT_EMBER_ERROR(bad(R"({"t": "x", "s": 1})"), "IMDB", "bad.json.gz", "holds a JSON object", "array");
  EXPECT_EMBER_ERROR(bad(R"([{"t": "x", "s": 1}, {"text": "y", "s": 0}])"), "bad.json.gz", "review 1", "\"t\"");
  EXPECT_EMBER_ERROR(bad(R"([{"t": 5, "s": 1}])"), "review 0", "string \"t\"");
  EXPECT_EMBER_ERROR(bad(R"([{"t": "x", "s": 2}])"), "review 0", "label \"s\": 2", "0 (negative) or 1");
  EXPECT_EMBER_ERROR(bad(R"([{"t": "x", "s": "1"}])"), "review 0", "label \"s\": \"1\"");
  EXPECT_EMBER_ERROR(bad(R"([{"t": "x"}])"), "review 0", "(missing)");
}

TEST(IMDB, BadArguments) {
  auto vocab = std::make_shared<WordTokenizer>(WordTokenizer::build({"a"}));
  TextSplit s{{"a", "b"}, {0, 1}};
  EXPECT_EMBER_ERROR(IMDB(s, vocab, 0), "IMDB", "max_len", "got 0");
  EXPECT_EMBER_ERROR(IMDB(s, nullptr, 4), "IMDB", "tokenizer is null");
  EXPECT_EMBER_ERROR(IMDB(TextSplit{{"a"}, {0, 1}}, vocab, 4), "IMDB", "1 texts but 2 labels");
  EXPECT_EMBER_ERROR(IMDB(TextSplit{{"a"}, {3}}, vocab, 4), "IMDB", "label 3 of text 0");
  EXPECT_EMBER_ERROR(IMDB(s, vocab, 4).get(2), "IMDB::get", "index 2");
  EXPECT_EMBER_ERROR(padded_lengths(zeros({3}, kInt64)), "padded_lengths", "(B, T)", "[3]");
  EXPECT_EMBER_ERROR(text_batch(Batch{zeros({2, 3}, kInt64), Tensor()}), "text_batch", "(none)");
}
