// CharTokenizer: vocabulary from a text, encode/decode, JSON round trip and bad input.
#include <gtest/gtest.h>

#include "ember/ember.h"
#include "op_registry.h"
#include "text_test_data.h"

using namespace ember;
using ember::text::CharTokenizer;

TEST(CharTokenizer, SortedVocabulary) {
  auto tok = CharTokenizer::from_text("hello world");
  EXPECT_EQ(tok.vocab_size(), 8);
  EXPECT_EQ(tok.vocab(), (std::vector<char32_t>{' ', 'd', 'e', 'h', 'l', 'o', 'r', 'w'}));
  EXPECT_EQ(tok.encode("hello"), (std::vector<int64_t>{3, 2, 4, 4, 5}));
  EXPECT_EQ(tok.decode(std::vector<int64_t>{7, 5, 6, 4, 1}), "world");
  EXPECT_EQ(tok.encode(""), std::vector<int64_t>{});
  EXPECT_EQ(tok.decode(std::vector<int64_t>{}), "");
  EXPECT_TRUE(tok.contains('w'));
  EXPECT_FALSE(tok.contains('x'));
}

TEST(CharTokenizer, TensorForms) {
  auto tok = CharTokenizer::from_text("abc");
  Tensor t = tok.encode_tensor("cab");
  EXPECT_EQ(t.shape(), (Shape{3}));
  EXPECT_EQ(t.dtype(), kInt64);
  EXPECT_EQ(t.to_vector<int64_t>(), (std::vector<int64_t>{2, 0, 1}));
  EXPECT_EQ(tok.decode(t), "cab");
  EXPECT_EQ(tok.decode(t.to(kInt32)), "cab");
  EXPECT_EQ(tok.decode(tensor(std::vector<int64_t>{0, 1, 2, 1, 0}, {5}).slice(0, 0, 5, 2)), "aca");  // strided
  EXPECT_EQ(tok.encode_tensor("").shape(), (Shape{0}));
}

TEST(CharTokenizer, Utf8IsCharacters) {
  const std::string text = "naïve café 日本";  // 13 characters in 18 bytes (Python: len(text) == 13)
  auto tok = CharTokenizer::from_text(text);
  auto ids = tok.encode(text);
  EXPECT_EQ(ids.size(), 13u);
  EXPECT_EQ(tok.decode(ids), text);
  // sorted(set(text)) in Python: ' ', a, c, e, f, n, v, é, ï, 日, 本
  EXPECT_EQ(tok.vocab(), (std::vector<char32_t>{U' ', U'a', U'c', U'e', U'f', U'n', U'v', U'é', U'ï', U'日', U'本'}));
  EXPECT_EQ(tok.vocab_utf8(), " acefnvéï日本");
  // Every ASCII value, including NUL, is an ordinary character.
  std::string all;
  for (int b = 0; b < 128; ++b) all.push_back(static_cast<char>(b));
  auto full = CharTokenizer::from_text(all);
  EXPECT_EQ(full.vocab_size(), 128);
  auto all_ids = full.encode(all);
  for (int b = 0; b < 128; ++b) EXPECT_EQ(all_ids[b], b);
  EXPECT_EQ(full.decode(all_ids), all);
}

TEST(CharTokenizer, TinyShakespeareHas65Characters) {
  const std::string& text = ember::test::tinyshakespeare_text();
  auto tok = CharTokenizer::from_text(text);
  EXPECT_EQ(tok.vocab_size(), 65);
  // The ids nanoGPT's shakespeare_char gives (computed with Python).
  EXPECT_EQ(tok.encode(text.substr(0, 20)),
            (std::vector<int64_t>{18, 47, 56, 57, 58, 1, 15, 47, 58, 47, 64, 43, 52, 10, 0, 14, 43, 44, 53, 56}));
  EXPECT_EQ(tok.decode(tok.encode(text)), text);
}

TEST(CharTokenizer, JsonRoundTrip) {
  std::string text = "Hi!\n\t\"quoted\" \\ é 🎉";
  text.push_back('\0');
  auto tok = CharTokenizer::from_text(text);
  const std::string json = tok.to_json();
  auto back = CharTokenizer::from_json(json);
  EXPECT_EQ(back, tok);
  EXPECT_EQ(back.encode(text), tok.encode(text));
  EXPECT_NE(json.find("\"type\":\"ember.CharTokenizer\""), std::string::npos);
}

TEST(CharTokenizer, UnknownCharacterNamesItAndItsPosition) {
  auto tok = CharTokenizer::from_text("abc ");
  EXPECT_EMBER_ERROR(tok.encode("abc d"), "CharTokenizer::encode", "character 'd' (U+0064) at position 4 (byte 4)",
                     "vocabulary of 4 characters");
  EXPECT_EMBER_ERROR(tok.encode("ab\ncd"), "CharTokenizer::encode", "character U+000A at position 2 (byte 2)");
  // A character beyond ASCII: its position counts characters, its byte offset bytes.
  EXPECT_EMBER_ERROR(CharTokenizer::from_text("é a").encode("é a 日"), "character '日' (U+65E5) at position 4 (byte 5)");
  // Invalid UTF-8 (a stray continuation byte): its byte offset and bytes.
  EXPECT_EMBER_ERROR(tok.encode(std::string("ab\xA9", 3)), "CharTokenizer::encode",
                     "the text is not valid UTF-8 at byte 2 (\\xA9)");
}

TEST(CharTokenizer, BadInput) {
  EXPECT_EMBER_ERROR(CharTokenizer::from_text(""), "CharTokenizer", "empty text");
  EXPECT_EMBER_ERROR(CharTokenizer::from_vocab({}), "CharTokenizer", "empty");
  EXPECT_EMBER_ERROR(CharTokenizer::from_vocab({'b', 'a'}), "CharTokenizer", "ascending", "entry 1");
  EXPECT_EMBER_ERROR(CharTokenizer::from_vocab({'a', 0xD800}), "CharTokenizer", "entry 1", "not a Unicode character");
  EXPECT_EMBER_ERROR(CharTokenizer::from_vocab({'a', 0x110000}), "CharTokenizer", "not a Unicode character");
  EXPECT_EMBER_ERROR(CharTokenizer::from_vocab({'a', 'a'}), "CharTokenizer", "distinct");
  auto tok = CharTokenizer::from_text("ab");
  EXPECT_EMBER_ERROR(tok.decode(std::vector<int64_t>{0, 2}), "CharTokenizer::decode", "id 2 at position 1",
                     "vocabulary of 2", "0 to 1");
  EXPECT_EMBER_ERROR(tok.decode(std::vector<int64_t>{-1}), "CharTokenizer::decode", "id -1");
  EXPECT_EMBER_ERROR(tok.decode(zeros({2, 2}, kInt64)), "CharTokenizer::decode", "1-D", "[2, 2]");
  EXPECT_EMBER_ERROR(tok.decode(zeros({2}, kFloat32)), "CharTokenizer::decode", "int64", "float32");
  EXPECT_EMBER_ERROR(tok.decode(Tensor()), "CharTokenizer::decode", "undefined");
  EXPECT_EMBER_ERROR(CharTokenizer::from_json("{not json"), "CharTokenizer::from_json", "not valid JSON");
  EXPECT_EMBER_ERROR(CharTokenizer::from_json("[1, 2]"), "CharTokenizer::from_json", "ember.CharTokenizer");
  EXPECT_EMBER_ERROR(CharTokenizer::from_json(R"({"type": "ember.WordTokenizer", "version": 1, "words": []})"),
                     "CharTokenizer::from_json", "ember.CharTokenizer");
  EXPECT_EMBER_ERROR(CharTokenizer::from_json(R"({"type": "ember.CharTokenizer", "version": 3, "vocab": [97]})"),
                     "CharTokenizer::from_json", "version 3");
  EXPECT_EMBER_ERROR(CharTokenizer::from_json(R"({"type": "ember.CharTokenizer", "version": "1", "vocab": [97]})"),
                     "CharTokenizer::from_json", "version \"1\"");
  EXPECT_EMBER_ERROR(CharTokenizer::from_json(R"({"type": "ember.CharTokenizer", "version": 1})"),
                     "CharTokenizer::from_json", "\"vocab\" must be an array");
  EXPECT_EMBER_ERROR(CharTokenizer::from_json(R"({"type": "ember.CharTokenizer", "version": 1, "vocab": [97, 300]})"),
                     "CharTokenizer::from_json", "entry 1 is 300", "ASCII code 0-127");
  EXPECT_EMBER_ERROR(CharTokenizer::from_json(R"({"type": "ember.CharTokenizer", "version": 2, "vocab": [97, -1]})"),
                     "CharTokenizer::from_json", "entry 1 is -1", "0-0x10FFFF");
  EXPECT_EMBER_ERROR(CharTokenizer::from_json(R"({"type": "ember.CharTokenizer", "version": 1, "vocab": [98, 97]})"),
                     "CharTokenizer", "ascending");
}
