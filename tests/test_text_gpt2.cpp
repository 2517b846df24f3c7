// GPT2Tokenizer: exact ids against known encodings from independent references
// (tests/golden/text/gen_gpt2_bpe.py), lossless round trips over real text, special-token
// handling, and missing or corrupt vocabulary files.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "ember/ember.h"
#include "op_registry.h"
#include "temp_dir.h"
#include "text_test_data.h"

using namespace std::string_literals;

using namespace ember;
using ember::test::TempDir;
using ember::text::GPT2EncodeOptions;
using ember::text::GPT2Tokenizer;

namespace {

const GPT2Tokenizer& gpt2() {
  static const GPT2Tokenizer tok = GPT2Tokenizer::from_directory(data::resolve_data_root("") + "/gpt2");
  return tok;
}

}  // namespace

TEST(GPT2Tokenizer, LoadsTheVocabulary) {
  EXPECT_EQ(gpt2().vocab_size(), 50257);
  EXPECT_EQ(gpt2().num_merges(), 50000);
  EXPECT_EQ(gpt2().eot_token(), 50256);
  EXPECT_EQ(gpt2().token_bytes(50256), "<|endoftext|>");
  EXPECT_EQ(gpt2().token_bytes(15496), "Hello");
  EXPECT_EQ(gpt2().token_bytes(995), " world");  // spelled "Ġworld" in encoder.json
  EXPECT_EQ(gpt2().token_bytes(198), "\n");      // spelled "Ċ"
}

TEST(GPT2Tokenizer, MatchesReferenceEncodings) {
  std::ifstream f(std::string(EMBER_GOLDEN_DIR) + "/text/gpt2_bpe.json");
  ASSERT_TRUE(f.good()) << "missing tests/golden/text/gpt2_bpe.json";
  const auto golden = nlohmann::json::parse(f);
  ASSERT_GE(golden.at("cases").size(), 40u);
  for (const auto& c : golden.at("cases")) {
    const std::string text = c.at("text");
    const GPT2EncodeOptions opt{.allow_special = c.at("allow_special").get<bool>()};
    const auto want = c.at("ids").get<std::vector<int64_t>>();
    const auto got = gpt2().encode(text, opt);
    EXPECT_EQ(got, want) << "case " << c.at("name");
    EXPECT_EQ(gpt2().decode(got), text) << "case " << c.at("name");
  }
}

TEST(GPT2Tokenizer, SpecialTokenOnlyWhenAllowed) {
  const std::string text = "a<|endoftext|>b";
  auto plain = gpt2().encode(text);
  auto special = gpt2().encode(text, {.allow_special = true});
  EXPECT_EQ(std::count(plain.begin(), plain.end(), 50256), 0);
  EXPECT_EQ(special, (std::vector<int64_t>{64, 50256, 65}));
  EXPECT_EQ(gpt2().decode(plain), text);
  EXPECT_EQ(gpt2().decode(special), text);
  Tensor t = gpt2().encode_tensor(text, {.allow_special = true});
  EXPECT_EQ(t.shape(), (Shape{3}));
  EXPECT_EQ(t.dtype(), kInt64);
  EXPECT_EQ(gpt2().decode(t), text);
}

TEST(GPT2Tokenizer, RoundTripsRealText) {
  const std::string shakespeare = ember::test::tinyshakespeare_text().substr(0, 20000);
  auto ids = gpt2().encode(shakespeare);
  EXPECT_EQ(gpt2().decode(ids), shakespeare);
  // About 4 characters per token on English prose (2.9 to 3.6 for this verse-and-names text).
  EXPECT_GT(ids.size(), shakespeare.size() / 5);
  EXPECT_LT(ids.size(), shakespeare.size() / 2);
  // A few IMDB reviews: HTML tags, quotes, accents.
  const auto& reviews = ember::test::imdb_reviews();
  for (const data::TextSplit* split : {&reviews.train, &reviews.test})
    for (size_t i = 0; i < split->texts.size(); i += 499)
      EXPECT_EQ(gpt2().decode(gpt2().encode(split->texts[i])), split->texts[i]) << "review " << i;
}

TEST(GPT2Tokenizer, RoundTripsEveryCodePointClass) {
  // Every byte that starts or continues valid UTF-8, in all four lengths, plus long runs that
  // exercise the BPE heap and the uncached path.
  std::string s;
  for (int c = 1; c < 0x80; ++c) s.push_back(static_cast<char>(c));
  for (char32_t cp : {0x80u, 0x7FFu, 0x800u, 0xFFFDu, 0xFFFFu, 0x10000u, 0x1F600u, 0x10FFFFu}) {
    if (cp < 0x800) {
      s += static_cast<char>(0xC0 | (cp >> 6));
    } else if (cp < 0x10000) {
      s += static_cast<char>(0xE0 | (cp >> 12));
      s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    } else {
      s += static_cast<char>(0xF0 | (cp >> 18));
      s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    }
    s += static_cast<char>(0x80 | (cp & 0x3F));
  }
  s += std::string(1000, 'a') + " " + std::string(300, ' ') + std::string(500, '!') + "\0x"s;
  EXPECT_EQ(gpt2().decode(gpt2().encode(s)), s);
  // Runs far longer than any cached piece, in each branch of the pattern: no recursion limit
  // or quadratic blow-up in PCRE2's matching or in the merges.
  for (const std::string& run : {std::string(200000, ' ') + "x", std::string(200000, 'q'),
                                 std::string(200000, '7'), std::string(200000, '!'), std::string(100000, '\n') + " "}) {
    auto ids = gpt2().encode(run);
    EXPECT_LE(ids.size(), run.size());
    EXPECT_EQ(gpt2().decode(ids), run);
  }
  // A long run of one letter merges like the short one repeated: "aaaa..." is deterministic.
  auto a1 = gpt2().encode(std::string(1000, 'a'));
  auto a2 = gpt2().encode(std::string(1000, 'a'));
  EXPECT_EQ(a1, a2);
  EXPECT_LT(a1.size(), 400u);
}

TEST(GPT2Tokenizer, SameIdsFromManyThreads) {
  const std::string text = ember::test::tinyshakespeare_text().substr(0, 4000);
  const auto want = GPT2Tokenizer::from_directory(data::resolve_data_root("") + "/gpt2").encode(text);  // a fresh cache
  std::vector<std::vector<int64_t>> got(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) threads.emplace_back([&, t] { got[t] = gpt2().encode(text); });
  for (auto& th : threads) th.join();
  for (const auto& g : got) EXPECT_EQ(g, want);
}

TEST(GPT2Tokenizer, InvalidUtf8AndBadIds) {
  EXPECT_EMBER_ERROR(gpt2().encode(std::string("ok \xC3(", 5)), "GPT2Tokenizer::encode", "not valid UTF-8 at byte 3");
  EXPECT_EMBER_ERROR(gpt2().encode(std::string("a<|endoftext|>b\xFF", 16), {.allow_special = true}),
                     "not valid UTF-8 at byte 15");
  EXPECT_EMBER_ERROR(gpt2().decode(std::vector<int64_t>{15496, 50257}), "GPT2Tokenizer::decode",
                     "id 50257 at position 1", "0 to 50256");
  EXPECT_EMBER_ERROR(gpt2().decode(std::vector<int64_t>{-1}), "GPT2Tokenizer::decode", "id -1");
  EXPECT_EMBER_ERROR(gpt2().token_bytes(60000), "GPT2Tokenizer::token_bytes", "60000");
  EXPECT_EMBER_ERROR(gpt2().decode(zeros({2, 3}, kInt64)), "GPT2Tokenizer::decode", "1-D");
}

// A tiny but complete vocabulary (256 bytes, two merges, <|endoftext|>) written in GPT-2's
// spelling, to corrupt one piece at a time.
class GPT2Files : public ::testing::Test {
 protected:
  void SetUp() override {
    // Byte b's spelling: printable Latin-1 as itself, the rest U+0100 + n (as encoder.json).
    nlohmann::json enc = nlohmann::json::object();
    int next = 256;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      const int cp = printable ? b : next++;
      std::string utf8 = cp < 0x80 ? std::string(1, static_cast<char>(cp))
                                   : std::string{static_cast<char>(0xC0 | (cp >> 6)), static_cast<char>(0x80 | (cp & 0x3F))};
      enc[utf8] = b;
    }
    enc["ab"] = 256;
    enc["abc"] = 257;
    enc["<|endoftext|>"] = 258;
    encoder = enc;
  }
  std::string write(const std::string& name, const std::string& bytes) {
    dir.write(name, bytes);
    return dir.file(name);
  }
  GPT2Tokenizer load(const std::string& merges = "#version: 0.2\na b\nab c\n") {
    return GPT2Tokenizer::from_files(write("encoder.json", encoder.dump()), write("vocab.bpe", merges));
  }
  TempDir dir;
  nlohmann::json encoder;
};

TEST_F(GPT2Files, SmallVocabularyWorks) {
  auto tok = load();
  EXPECT_EQ(tok.vocab_size(), 259);
  EXPECT_EQ(tok.num_merges(), 2);
  EXPECT_EQ(tok.encode("abc abcab"), (std::vector<int64_t>{257, ' ', 257, 256}));
  EXPECT_EQ(tok.encode("x<|endoftext|>", {.allow_special = true}), (std::vector<int64_t>{'x', 258}));
  // CRLF line ends and a missing header are accepted.
  EXPECT_EQ(load("a b\r\nab c\r\n").encode("abc"), (std::vector<int64_t>{257}));
}

TEST_F(GPT2Files, MissingOrEmptyFiles) {
  const std::string merges = write("vocab.bpe", "a b\n");
  EXPECT_EMBER_ERROR(GPT2Tokenizer::from_files(dir.file("nope.json"), merges), "GPT2Tokenizer", "nope.json",
                     "does not exist");
  EXPECT_EMBER_ERROR(GPT2Tokenizer::from_files(write("encoder.json", encoder.dump()), dir.file("nope.bpe")),
                     "GPT2Tokenizer", "nope.bpe", "does not exist");
  EXPECT_EMBER_ERROR(GPT2Tokenizer::from_files(write("empty.json", ""), merges), "empty.json", "is empty");
  EXPECT_EMBER_ERROR(GPT2Tokenizer::from_files(write("encoder.json", encoder.dump()), write("empty.bpe", "")),
                     "empty.bpe", "is empty");
  EXPECT_EMBER_ERROR(GPT2Tokenizer::from_files(dir.path(), merges), "GPT2Tokenizer", "is a directory");
  EXPECT_EMBER_ERROR(GPT2Tokenizer::from_directory(dir.path() + "/gpt2"), "GPT2Tokenizer", "gpt2/encoder.json", "does not exist");
}

TEST_F(GPT2Files, CorruptVocabulary) {
  const std::string merges = write("vocab.bpe", "a b\n");
  auto with = [&](const std::string& json) { return GPT2Tokenizer::from_files(write("bad.json", json), merges); };
  std::string truncated = encoder.dump();
  truncated.resize(truncated.size() / 2);
  EXPECT_EMBER_ERROR(with(truncated), "GPT2Tokenizer", "bad.json", "not valid JSON");
  EXPECT_EMBER_ERROR(with("[1, 2]"), "GPT2Tokenizer", "bad.json", "JSON object");
  nlohmann::json e = encoder;
  e["ab"] = "x";
  EXPECT_EMBER_ERROR(with(e.dump()), "bad.json", "\"ab\" to \"x\"", "integers");
  e["ab"] = nlohmann::json::array({1});
  EXPECT_EMBER_ERROR(with(e.dump()), "bad.json", "\"ab\" to an array");
  e["ab"] = -3;
  EXPECT_EMBER_ERROR(with(e.dump()), "bad.json", "\"ab\" to -3", "integers 0 to 258");
  e["ab"] = 1.5;
  EXPECT_EMBER_ERROR(with(e.dump()), "bad.json", "\"ab\" to 1.5");
  EXPECT_EMBER_ERROR(with("{}"), "bad.json", "non-empty JSON object");
  EXPECT_EMBER_ERROR(with("17"), "bad.json", "holds a number", "JSON object");
  std::string twice = encoder.dump();  // the same key again, with the next free id
  twice.insert(1, "\"ab\": 259, ");
  EXPECT_EMBER_ERROR(with(twice), "bad.json", "\"ab\" twice");
  e = encoder;
  e["ab"] = 259;
  EXPECT_EMBER_ERROR(with(e.dump()), "bad.json", "\"ab\"", "259");
  e = encoder;
  e["ab"] = 257;  // the same id as "abc"
  EXPECT_EMBER_ERROR(with(e.dump()), "bad.json", "id 257 to two tokens");
  e = encoder;
  e.erase("a");  // byte 'a' missing; 258 ids for 258 entries: renumber the special
  e["<|endoftext|>"] = 97;
  EXPECT_EMBER_ERROR(with(e.dump()), "bad.json", "no token for byte 97");
  e = encoder;
  e.erase("<|endoftext|>");
  EXPECT_EMBER_ERROR(with(e.dump()), "bad.json", "<|endoftext|>");
  e = encoder;
  e["a b"] = 259;  // a raw space is not GPT-2's spelling (that is "Ġ")
  EXPECT_EMBER_ERROR(with(e.dump()), "bad.json", "\"a b\"", "byte-to-unicode");
}

TEST_F(GPT2Files, CorruptMerges) {
  const std::string enc = write("encoder.json", encoder.dump());
  auto with = [&](const std::string& merges) { return GPT2Tokenizer::from_files(enc, write("bad.bpe", merges)); };
  EXPECT_EMBER_ERROR(with("#version: 0.2\na b\nabc\n"), "bad.bpe", "line 3", "\"abc\"", "two tokens");
  EXPECT_EMBER_ERROR(with("a b c\n"), "bad.bpe", "line 1", "two tokens");
  EXPECT_EMBER_ERROR(with("a  b\n"), "bad.bpe", "line 1", "two tokens");
  EXPECT_EMBER_ERROR(with("a b\nb c\n"), "bad.bpe", "line 2", "missing from the vocabulary");
  EXPECT_EMBER_ERROR(with("a b\na b\n"), "bad.bpe", "line 2", "repeats");
  EXPECT_EMBER_ERROR(with("a \x01\n"), "bad.bpe", "line 1", "byte-to-unicode");
}
