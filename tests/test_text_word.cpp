// WordTokenizer: splitting rules, deterministic vocabulary, encode/decode, JSON and bad input.
#include <gtest/gtest.h>

#include "ember/ember.h"
#include "op_registry.h"

using namespace ember;
using ember::text::WordTokenizer;
using Words = std::vector<std::string>;

TEST(WordTokenizer, SplitsWordsAndPunctuation) {
  EXPECT_EQ(WordTokenizer::split_words("This movie was GREAT!! Don't miss it."),
            (Words{"this", "movie", "was", "great", "!", "!", "don't", "miss", "it", "."}));
  // <br /> in its spellings becomes a space; it never glues words together.
  EXPECT_EQ(WordTokenizer::split_words("end.<br /><br />Next<br/>line<BR>x<br  />y"),
            (Words{"end", ".", "next", "line", "x", "y"}));
  // A lone '<' or an unfinished tag is punctuation.
  EXPECT_EQ(WordTokenizer::split_words("a < b <br c"), (Words{"a", "<", "b", "<", "br", "c"}));
  // Apostrophes only inside words; quotes around a word are tokens.
  EXPECT_EQ(WordTokenizer::split_words("'quoted' students' rock'n'roll o'clock"),
            (Words{"'", "quoted", "'", "students", "'", "rock'n'roll", "o'clock"}));
  EXPECT_EQ(WordTokenizer::split_words("10/10, 7.5 stars; 1990s"),
            (Words{"10", "/", "10", ",", "7", ".", "5", "stars", ";", "1990s"}));
  // Whitespace and control characters separate and vanish.
  EXPECT_EQ(WordTokenizer::split_words("  a\tb\r\nc\x01" "d  "), (Words{"a", "b", "c", "d"}));
  // UTF-8 letters stay inside words (bytes >= 0x80 are word characters; no Unicode lower-casing).
  EXPECT_EQ(WordTokenizer::split_words("Café Amélie, ÉTÉ"), (Words{"café", "amélie", ",", "ÉtÉ"}));
  EXPECT_EQ(WordTokenizer::split_words(""), Words{});
  EXPECT_EQ(WordTokenizer::split_words(" \n<br />\t"), Words{});
}

TEST(WordTokenizer, VocabularyByFrequencyThenBytes) {
  const std::vector<std::string> texts = {"b a a z", "c b a y", "z y x"};
  // Counts: a 3; b, y, z 2; c, x 1. Ties in byte order.
  auto tok = WordTokenizer::build(texts);
  EXPECT_EQ(tok.vocab(), (Words{"<pad>", "<unk>", "a", "b", "y", "z", "c", "x"}));
  EXPECT_EQ(tok.vocab_size(), 8);
  auto min2 = WordTokenizer::build(texts, {.min_freq = 2});
  EXPECT_EQ(min2.vocab(), (Words{"<pad>", "<unk>", "a", "b", "y", "z"}));
  auto top3 = WordTokenizer::build(texts, {.min_freq = 1, .max_size = 3});
  EXPECT_EQ(top3.vocab(), (Words{"<pad>", "<unk>", "a", "b", "y"}));
  auto none = WordTokenizer::build(texts, {.min_freq = 1, .max_size = 0});
  EXPECT_EQ(none.vocab_size(), 2);
  // Same texts in another order: the same ids.
  EXPECT_EQ(WordTokenizer::build({"z y x", "c b a y", "b a a z"}), tok);
}

TEST(WordTokenizer, EncodeDecode) {
  auto tok = WordTokenizer::build({"the film was good . the end"});
  EXPECT_EQ(tok.id_of("the"), 2);
  EXPECT_EQ(tok.id_of("zebra"), WordTokenizer::kUnk);
  EXPECT_EQ(tok.token(0), "<pad>");
  EXPECT_EQ(tok.token(1), "<unk>");
  auto ids = tok.encode("The FILM was bad.");
  EXPECT_EQ(ids, (std::vector<int64_t>{tok.id_of("the"), tok.id_of("film"), tok.id_of("was"), 1, tok.id_of(".")}));
  EXPECT_EQ(tok.decode(ids), "the film was <unk> .");
  EXPECT_EQ(tok.decode(tok.encode_tensor("the end")), "the end");
  // <pad> is skipped unless asked for.
  std::vector<int64_t> padded = {tok.id_of("the"), tok.id_of("end"), 0, 0};
  EXPECT_EQ(tok.decode(padded), "the end");
  EXPECT_EQ(tok.decode(padded, true), "the end <pad> <pad>");
  // Text that looks like a special token is split like any other: never <pad> or <unk>'s ids.
  EXPECT_EQ(tok.encode("<pad>"), (std::vector<int64_t>{1, 1, 1}));
  EXPECT_EQ(tok.encode(""), std::vector<int64_t>{});
}

TEST(WordTokenizer, JsonRoundTrip) {
  auto tok = WordTokenizer::build({"Ça va? \"Très\" bien, merci! don't \\ / x"});
  const std::string json = tok.to_json();
  auto back = WordTokenizer::from_json(json);
  EXPECT_EQ(back, tok);
  EXPECT_EQ(back.encode("très bien"), tok.encode("très bien"));
  EXPECT_NE(json.find("\"type\":\"ember.WordTokenizer\""), std::string::npos);
}

TEST(WordTokenizer, BadInput) {
  EXPECT_EMBER_ERROR(WordTokenizer::build({"a"}, {.min_freq = 0}), "WordTokenizer::build", "min_freq", "got 0");
  EXPECT_EMBER_ERROR(WordTokenizer::build({"a"}, {.min_freq = 1, .max_size = -2}), "WordTokenizer::build",
                     "max_size", "-2");
  EXPECT_EMBER_ERROR(WordTokenizer::from_words({"a", "b", "a"}), "WordTokenizer", "'a' appears twice");
  EXPECT_EMBER_ERROR(WordTokenizer::from_words({"<unk>"}), "WordTokenizer", "special token");
  EXPECT_EMBER_ERROR(WordTokenizer::from_words({""}), "WordTokenizer", "empty");
  auto tok = WordTokenizer::build({"a b"});
  EXPECT_EMBER_ERROR(tok.decode(std::vector<int64_t>{2, 4}), "WordTokenizer::decode", "id 4 at position 1",
                     "vocabulary of 4", "0 to 3");
  EXPECT_EMBER_ERROR(tok.token(-1), "WordTokenizer::token", "id -1");
  EXPECT_EMBER_ERROR(tok.decode(zeros({1, 2}, kInt64)), "WordTokenizer::decode", "1-D");
  EXPECT_EMBER_ERROR(WordTokenizer::from_json("nope"), "WordTokenizer::from_json", "not valid JSON");
  EXPECT_EMBER_ERROR(WordTokenizer::from_json(R"({"type": "ember.CharTokenizer", "version": 1, "vocab": []})"),
                     "WordTokenizer::from_json", "ember.WordTokenizer");
  EXPECT_EMBER_ERROR(WordTokenizer::from_json(R"({"type": "ember.WordTokenizer", "version": 1, "words": ["a", 3]})"),
                     "WordTokenizer::from_json", "entry 1 is 3");
  EXPECT_EMBER_ERROR(WordTokenizer::from_json(R"({"type": "ember.WordTokenizer", "version": 1, "words": ["a", "a"]})"),
                     "WordTokenizer", "twice");
  // Words from text that is not UTF-8 cannot go into JSON: the error names the word.
  auto latin1 = WordTokenizer::build({std::string("caf\xE9 ok")});
  EXPECT_EMBER_ERROR(latin1.to_json(), "WordTokenizer::to_json", "not valid UTF-8");
}
