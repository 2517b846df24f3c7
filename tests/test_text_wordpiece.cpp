// text::Tokenizer with BERT's WordPiece pipeline: the released all-MiniLM-L6-v2 tokenizer.json
// against Hugging Face `tokenizers` on every golden case (tests/golden/text/gen_hf_tokenizers.py),
// the vocab.txt fallback, and the pipeline's rules on a small vocabulary (no data needed).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "ember/ember.h"
#include "ember/io/file.h"
#include "hf_tokenizers_golden.h"
#include "op_registry.h"
#include "temp_dir.h"

using namespace ember;
using ember::test::TempDir;
using text::Tokenizer;

namespace {

const char* kMiniLM = "models/all-MiniLM-L6-v2";

#define MINILM_OR_SKIP(var)                                                                               \
  const auto var##_dir = test::data_path(kMiniLM);                                                        \
  if (!var##_dir) GTEST_SKIP() << "no data: " << kMiniLM << " is not under the data root (EMBER_DATA)"; \
  const Tokenizer var = Tokenizer::from_pretrained(*var##_dir)

// A BERT vocabulary small enough to reason about: ids are line numbers.
std::string small_vocab(TempDir& dir) {
  const std::vector<std::string> tokens = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "un", "##aff", "##able",
                                           "aff", "able", "hello", "world", ",", "!", "##s", "cafe", "中", "文",
                                           "##ing", "play", "a", "##a", "'", "t", "don"};
  std::string text;
  for (const auto& t : tokens) text += t + "\n";
  dir.write("vocab.txt", text);
  return dir.file("vocab.txt");
}

}  // namespace

TEST(WordPiece, MiniLMMatchesTokenizersOnEveryGoldenCase) {
  MINILM_OR_SKIP(tok);
  EXPECT_EQ(tok.vocab_size(), 30522);
  // The file's own sections: truncation at 128, fixed padding to 128.
  ASSERT_TRUE(tok.truncation().has_value());
  EXPECT_EQ(tok.truncation()->max_length, 128);
  ASSERT_TRUE(tok.padding().has_value());
  EXPECT_EQ(tok.padding()->length, 128);
  const int n = test::check_hf_golden("minilm", tok);
  EXPECT_GE(n, 150);
}

TEST(WordPiece, SwappedComponentsMatchTokenizers) {
  // The MiniLM vocabulary behind Sequence normalizers/pre-tokenizers and BertProcessing.
  const auto dir = test::data_path(kMiniLM);
  if (!dir) GTEST_SKIP() << "no data: " << kMiniLM << " is not under the data root (EMBER_DATA)";
  nlohmann::json j = nlohmann::json::parse(io::read_file_bytes(*dir + "/tokenizer.json", "test"));
  for (const auto& [k, v] : test::hf_tokenizers_golden().at("minilm_seq_override").items()) j[k] = v;
  const Tokenizer tok = Tokenizer::from_json(j.dump(), "minilm_seq");
  EXPECT_GE(test::check_hf_golden("minilm_seq", tok), 100);
}

TEST(WordPiece, VocabTxtFallbackEqualsTokenizerJson) {
  // A folder with only vocab.txt + tokenizer_config.json builds the same pipeline as Hugging
  // Face's converter (uncased: do_lower_case true).
  MINILM_OR_SKIP(json_tok);
  TempDir dir;
  dir.write("vocab.txt", io::read_file_bytes(*json_tok_dir + "/vocab.txt", "test"));
  dir.write("tokenizer_config.json", io::read_file_bytes(*json_tok_dir + "/tokenizer_config.json", "test"));
  const Tokenizer txt_tok = Tokenizer::from_pretrained(dir.path());
  Tokenizer plain = json_tok;
  plain.no_padding();
  plain.no_truncation();
  const auto& g = test::hf_tokenizers_golden();
  int n = 0;
  for (const auto& t : g.at("texts")) {
    const std::string s = t;
    const auto a = plain.encode(s), b = txt_tok.encode(s);
    EXPECT_EQ(a.ids, b.ids) << s.substr(0, 80);
    EXPECT_EQ(a.offsets, b.offsets) << s.substr(0, 80);
    EXPECT_EQ(plain.decode(a.ids), txt_tok.decode(b.ids));
    ++n;
  }
  EXPECT_GT(n, 100);
  EXPECT_EQ(plain.encode("a", "b").type_ids, txt_tok.encode("a", "b").type_ids);
}

TEST(WordPiece, GreedyLongestMatchAndUnknowns) {
  TempDir dir;
  const Tokenizer tok = Tokenizer::from_wordpiece_vocab(small_vocab(dir));
  auto ids = [&](const std::string& s) { return tok.encode(s, false).tokens; };
  using V = std::vector<std::string>;
  EXPECT_EQ(ids("unaffable"), (V{"un", "##aff", "##able"}));
  EXPECT_EQ(ids("Hello, world!"), (V{"hello", ",", "world", "!"}));
  EXPECT_EQ(ids("playing plays"), (V{"play", "##ing", "play", "##s"}));
  EXPECT_EQ(ids("xyz hello"), (V{"[UNK]", "hello"}));          // unsplittable
  EXPECT_EQ(ids("unaffablex"), (V{"[UNK]"}));                  // a partial split is still unknown
  V hundred(100, "##a");
  hundred[0] = "a";
  EXPECT_EQ(ids(std::string(100, 'a')), hundred);              // 100 characters: split
  EXPECT_EQ(ids(std::string(101, 'a')), (V{"[UNK]"}));         // over max_input_chars_per_word
  EXPECT_EQ(ids("Café"), (V{"cafe"}));                         // lowercased, accent stripped
  EXPECT_EQ(ids("中文"), (V{"中", "文"}));                       // CJK characters split
  EXPECT_EQ(ids("don't"), (V{"don", "'", "t"}));
  EXPECT_EQ(ids("hello\x01\x7f world\xe2\x80\x8b"), (V{"hello", "world"}));  // controls and format chars dropped
  EXPECT_EQ(ids(""), V{});
  EXPECT_EQ(ids(" \t\n "), V{});
  EXPECT_EQ(tok.encode("hello").tokens, (V{"[CLS]", "hello", "[SEP]"}));
  EXPECT_EQ(tok.encode("hello", "world").type_ids, (std::vector<int64_t>{0, 0, 0, 1, 1}));
  // Special tokens in the text are found before normalization (case-sensitive), never split.
  EXPECT_EQ(ids("hello [SEP] [sep]"), (V{"hello", "[SEP]", "[UNK]", "[UNK]", "[UNK]"}));
}

TEST(WordPiece, CasedVocabularyKeepsAccents) {
  TempDir dir;
  dir.write("vocab.txt", "[UNK]\n[CLS]\n[SEP]\nCafé\ncafe\n");
  const Tokenizer cased = Tokenizer::from_wordpiece_vocab(dir.file("vocab.txt"), /*lowercase=*/false);
  EXPECT_EQ(cased.encode("Café", false).tokens, (std::vector<std::string>{"Café"}));
  const Tokenizer uncased = Tokenizer::from_wordpiece_vocab(dir.file("vocab.txt"), /*lowercase=*/true);
  EXPECT_EQ(uncased.encode("Café", false).tokens, (std::vector<std::string>{"cafe"}));
}

TEST(WordPiece, OffsetsAreBytesAndConvertToCharacters) {
  TempDir dir;
  const Tokenizer tok = Tokenizer::from_wordpiece_vocab(small_vocab(dir));
  const std::string text = "Café, 中文 unaffable";
  const auto e = tok.encode(text);
  EXPECT_EQ(e.tokens, (std::vector<std::string>{"[CLS]", "cafe", ",", "中", "文", "un", "##aff", "##able", "[SEP]"}));
  using O = std::vector<text::Offsets>;
  EXPECT_EQ(e.offsets, (O{{0, 0}, {0, 5}, {5, 6}, {7, 10}, {10, 13}, {14, 16}, {16, 19}, {19, 23}, {0, 0}}));
  EXPECT_EQ(e.char_offsets(text), (O{{0, 0}, {0, 4}, {4, 5}, {6, 7}, {7, 8}, {9, 11}, {11, 14}, {14, 18}, {0, 0}}));
  EXPECT_EQ(e.word_ids, (std::vector<int64_t>{-1, 0, 1, 2, 3, 4, 4, 4, -1}));
  EXPECT_EQ(e.special_tokens_mask, (std::vector<int64_t>{1, 0, 0, 0, 0, 0, 0, 0, 1}));
  EXPECT_EQ(e.sequence_ids, (std::vector<int64_t>{-1, 0, 0, 0, 0, 0, 0, 0, -1}));
}

TEST(WordPiece, TruncationPaddingAndTensors) {
  TempDir dir;
  Tokenizer tok = Tokenizer::from_wordpiece_vocab(small_vocab(dir));
  tok.enable_truncation({.max_length = 5});
  tok.enable_padding({.length = std::nullopt, .pad_to_multiple_of = 4});
  const std::vector<std::string> texts = {"hello", "hello world hello world", ""};
  const auto batch = tok.encode_batch_tensors(texts);
  EXPECT_EQ(batch.input_ids.shape(), (Shape{3, 8}));  // longest 5, rounded up to 8
  EXPECT_EQ(batch.input_ids.to_vector<int64_t>(),
            (std::vector<int64_t>{2, 10, 3, 0, 0, 0, 0, 0, 2, 10, 11, 10, 3, 0, 0, 0, 2, 3, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(batch.attention_mask.to_vector<int64_t>(),
            (std::vector<int64_t>{1, 1, 1, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(batch.token_type_ids.dtype(), kInt64);
  tok.no_padding();
  EXPECT_EMBER_ERROR(tok.encode_batch_tensors(texts), "Tokenizer::encode_batch_tensors", "enable padding");
  tok.enable_truncation({.max_length = 1});
  EXPECT_EMBER_ERROR(tok.encode("hello"), "Tokenizer::encode", "max_length 1", "adds 2 special tokens");
  tok.enable_truncation({.max_length = 4, .strategy = text::TruncationStrategy::OnlySecond});
  EXPECT_EMBER_ERROR(tok.encode("hello world hello"), "only_second needs a pair");
}

TEST(WordPiece, BatchOnThreadsEqualsOneByOne) {
  TempDir dir;
  const Tokenizer tok = Tokenizer::from_wordpiece_vocab(small_vocab(dir));
  std::vector<std::string> texts;
  for (int i = 0; i < 300; ++i) texts.push_back(std::string(i % 7, ' ') + "unaffable hello, " + std::to_string(i) + " 中文");
  const int before = get_num_threads();
  set_num_threads(2);
  const auto batch = tok.encode_batch(texts);
  set_num_threads(before);
  ASSERT_EQ(batch.size(), texts.size());
  for (size_t i = 0; i < texts.size(); ++i) {
    const auto one = tok.encode(texts[i]);
    EXPECT_EQ(batch[i].ids, one.ids);
    EXPECT_EQ(batch[i].offsets, one.offsets);
  }
  // A failure inside the batch is the first bad text's error.
  texts[250] = "bad \xff";
  texts[280] = "worse \xc3";
  set_num_threads(2);
  EXPECT_EMBER_ERROR(tok.encode_batch(texts), "not valid UTF-8 at byte 4");
  set_num_threads(before);
}

TEST(WordPiece, DecodeJoinsContinuationsAndCleansUp) {
  TempDir dir;
  const Tokenizer tok = Tokenizer::from_wordpiece_vocab(small_vocab(dir));
  const auto e = tok.encode("Hello, world! unaffable playing");
  EXPECT_EQ(tok.decode(e.ids), "hello, world! unaffable playing");
  EXPECT_EQ(tok.decode(e.ids, /*skip_special_tokens=*/false), "[CLS] hello, world! unaffable playing [SEP]");
  EXPECT_EQ(tok.decode(ember::tensor(std::vector<int64_t>{10, 11}, {2})), "hello world");
  EXPECT_EMBER_ERROR(tok.decode(std::vector<int64_t>{10, 999}), "Tokenizer::decode", "id 999 at position 1");
  EXPECT_EQ(tok.token_to_id("##aff"), 6);
  EXPECT_EQ(tok.id_to_token(6), "##aff");
  EXPECT_EQ(tok.token_to_id("nope"), std::nullopt);
  EXPECT_EQ(tok.id_to_token(1000), std::nullopt);
}

TEST(WordPiece, InvalidUtf8NamesTheByte) {
  TempDir dir;
  const Tokenizer tok = Tokenizer::from_wordpiece_vocab(small_vocab(dir));
  EXPECT_EMBER_ERROR(tok.encode(std::string("ok \xC3(", 5)), "Tokenizer::encode", "not valid UTF-8 at byte 3", "\\xC3");
  EXPECT_EMBER_ERROR(tok.encode("fine", std::string("\xED\xA0\x80", 3)), "not valid UTF-8 at byte 0");  // a surrogate
  EXPECT_EMBER_ERROR(tok.encode(std::string("\xC0\xAF", 2)), "not valid UTF-8 at byte 0");               // overlong
}
