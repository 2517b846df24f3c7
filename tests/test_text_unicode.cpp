// Text is Unicode (issue 19): characters counted as Python's str counts them, UTF-8 checked with
// byte offsets, the char-LM data and the shakespeare-gpt checkpoint/generate round trip on a
// corpus with accents, Greek, Cyrillic, CJK and emoji (tests/fixtures/utf8_corpus.txt).
#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

#include "ember/ember.h"
#include "ember/recipes/shakespeare_gpt.h"
#include "ember/text/utf8.h"
#include "ember/train/checkpoint.h"
#include "op_registry.h"
#include "temp_dir.h"

using namespace ember;
using ember::test::TempDir;
using ember::text::CharTokenizer;

namespace {
const std::string kCorpus = std::string(EMBER_FIXTURES_DIR) + "/utf8_corpus.txt";
bool valid_utf8(const std::string& s) {
  try {
    text::check_utf8(s, "test", "s");
    return true;
  } catch (const Error&) {
    return false;
  }
}
}  // namespace

TEST(TextUnicode, CharacterCountsAsPython) {
  // len() in Python 3 of each string.
  EXPECT_EQ(text::utf8_char_count("naïve café 日本"), 13);
  EXPECT_EQ(text::utf8_char_count("🎉🚀✨"), 3);
  EXPECT_EQ(text::utf8_char_count("e\u0301"), 2);  // e + combining acute: two code points
  EXPECT_EQ(text::utf8_char_count(""), 0);
  EXPECT_EQ(CharTokenizer::from_text("🎉🚀✨🎉").encode("🎉🚀✨🎉"), (std::vector<int64_t>{1, 2, 0, 1}));
}

TEST(TextUnicode, InvalidUtf8NamesTheByteOffset) {
  struct Case {
    std::string bytes;
    const char* where;
  };
  for (const Case& c : {Case{std::string("ab\xC3\x28", 4), "at byte 2 (\\xC3\\x28)"},
                        Case{std::string("\xC0\xAF", 2), "at byte 0 (\\xC0\\xAF)"},             // overlong '/'
                        Case{std::string("xy\xED\xA0\x80", 5), "at byte 2 (\\xED\\xA0\\x80)"},  // a surrogate
                        Case{std::string("ab\xE6\x97", 4), "at byte 2"},                          // cut short
                        Case{std::string("\xF4\x90\x80\x80", 4), "at byte 0"},                    // > U+10FFFF
                        Case{std::string("ok\xFF", 3), "at byte 2 (\\xFF)"}}) {
    SCOPED_TRACE(c.where);
    EXPECT_EMBER_ERROR(text::check_utf8(c.bytes, "op", "'f.txt'"), "op: 'f.txt' is not valid UTF-8", c.where);
    EXPECT_EMBER_ERROR(CharTokenizer::from_text(c.bytes), "CharTokenizer: the text is not valid UTF-8", c.where);
  }
  auto tok = CharTokenizer::from_text("abc");
  EXPECT_EMBER_ERROR(tok.encode(std::string("ab\xFF", 3)), "CharTokenizer::encode", "not valid UTF-8 at byte 2");
  TempDir dir;
  dir.write("latin1.txt", "caf\xE9 au lait");
  EXPECT_EMBER_ERROR(data::read_text_file(dir.file("latin1.txt")), "read_text_file: '", "latin1.txt' is not valid UTF-8",
                     "at byte 3 (\\xE9\\x20\\x61\\x75)", "iconv");
}

TEST(TextUnicode, CorpusVocabularyIsTheSortedSetOfCharacters) {
  const std::string text = data::read_text_file(kCorpus);
  data::CharLMDataset ds(text);
  // Python: len(text) == 1638 (2358 bytes), len(set(text)) == 103, int(1638 * 0.9) == 1474.
  EXPECT_EQ(text.size(), 2358u);
  EXPECT_EQ(ds.tokenizer().vocab_size(), 103);
  EXPECT_EQ(ds.size(data::Split::Train), 1474);
  EXPECT_EQ(ds.size(data::Split::Val), 164);
  const auto& v = ds.tokenizer().vocab();
  EXPECT_TRUE(std::is_sorted(v.begin(), v.end()));
  EXPECT_EQ(v.front(), U'\n');
  EXPECT_EQ(v.back(), U'🚀');  // sorted(set(text))[-1]: U+1F680
  EXPECT_EQ(ds.tokenizer().decode(ds.tokenizer().encode(text)), text);
  EXPECT_EQ(CharTokenizer::from_vocab_utf8(ds.tokenizer().vocab_utf8()), ds.tokenizer());
}

TEST(TextUnicode, JsonKeepsVersion1ForAsciiAndReadsItBack) {
  auto ascii = CharTokenizer::from_text("hello");
  EXPECT_NE(ascii.to_json().find("\"version\":1"), std::string::npos);  // what earlier versions read
  EXPECT_EQ(CharTokenizer::from_json(R"({"type": "ember.CharTokenizer", "version": 1, "vocab": [101, 104, 108, 111]})"),
            ascii);  // written by an earlier version
  auto uni = CharTokenizer::from_text("añ日🎉");
  const std::string j = uni.to_json();
  EXPECT_NE(j.find("\"version\":2"), std::string::npos);
  EXPECT_NE(j.find("[97,241,26085,127881]"), std::string::npos) << j;
  EXPECT_EQ(CharTokenizer::from_json(j), uni);
  // An earlier version's byte vocabulary of a non-ASCII text ("é" = C3 A9) cannot mean characters.
  EXPECT_EMBER_ERROR(CharTokenizer::from_json(R"({"type": "ember.CharTokenizer", "version": 1, "vocab": [97, 169, 195]})"),
                     "entry 1 is 169", "rebuild the tokenizer");
}

TEST(TextUnicode, CheckpointCarriesTheVocabularyAndGenerateGivesValidUtf8) {
  TempDir dir;
  recipes::ShakespeareGptConfig c;
  c.text_path = kCorpus;
  c.steps = 2, c.eval_interval = 2, c.eval_iters = 1, c.batch_size = 2, c.block_size = 8;
  c.n_layer = 1, c.n_head = 1, c.n_embd = 8, c.warmup_steps = 0, c.log_interval = 0;
  c.sample_tokens = 30;
  c.checkpoint_dir = dir.path();
  std::ostringstream log;
  auto r = recipes::train_shakespeare_gpt(c, log);
  EXPECT_NE(log.str().find("1638 characters, vocabulary 103, 1474 train / 164 val"), std::string::npos) << log.str();
  EXPECT_TRUE(valid_utf8(r.sample));
  EXPECT_EQ(text::utf8_char_count(r.sample), 30);  // characters, not bytes

  const std::string ckpt = dir.file("last.safetensors");
  io::SafetensorsFile f = io::load_safetensors(ckpt);
  const auto vocab_bytes = train::from_hex(f.metadata.at("vocab"), "vocab");
  const std::string vocab(vocab_bytes.begin(), vocab_bytes.end());
  const auto tok = data::CharLMDataset(data::read_text_file(kCorpus)).tokenizer();
  EXPECT_EQ(vocab, tok.vocab_utf8());  // the characters as UTF-8: for ASCII the old byte format

  models::GenerateOptions g;
  g.max_new_tokens = 50;
  g.temperature = 1.0;
  const std::string out = recipes::generate_from_checkpoint(ckpt, "Größe 日本 🎉", g, 7);
  EXPECT_TRUE(valid_utf8(out));
  EXPECT_EQ(text::utf8_char_count(out), 50);
  EXPECT_EMBER_ERROR(recipes::generate_from_checkpoint(ckpt, std::string("ab\xFF", 3), g, 7),
                     "--prompt: CharTokenizer::encode: the text is not valid UTF-8 at byte 2");

  // A checkpoint of an earlier version trained on this text held its distinct bytes: an error
  // that says so, not characters cut in pieces.
  std::vector<uint8_t> bytes(vocab.begin(), vocab.end());
  std::sort(bytes.begin(), bytes.end());
  bytes.erase(std::unique(bytes.begin(), bytes.end()), bytes.end());
  f.metadata["vocab"] = train::to_hex(bytes);
  io::save_safetensors(dir.file("old.safetensors"), f.tensors, f.metadata);
  EXPECT_EMBER_ERROR(recipes::generate_from_checkpoint(dir.file("old.safetensors"), "a", g, 7),
                     "has no character vocabulary in its 'vocab' entry", "not valid UTF-8", "retrain it");
}

TEST(TextUnicode, AsciiCheckpointVocabularyIsTheOldByteFormat) {
  // TinyShakespeare's 65 ASCII characters: the metadata is the hex of the sorted distinct bytes,
  // exactly what earlier versions wrote, so their checkpoints load unchanged.
  auto tok = CharTokenizer::from_text("First Citizen:\nBefore we proceed any further, hear me speak.");
  std::string bytes = "First Citizen:\nBefore we proceed any further, hear me speak.";
  std::sort(bytes.begin(), bytes.end());
  bytes.erase(std::unique(bytes.begin(), bytes.end()), bytes.end());
  EXPECT_EQ(tok.vocab_utf8(), bytes);
  EXPECT_EQ(CharTokenizer::from_vocab_utf8(bytes), tok);
}
