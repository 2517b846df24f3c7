// text::Tokenizer read from tokenizer.json: the committed BPE fixtures (byte-level, characters) and GPT-2 (three
// ways: a tokenizer.json built here from encoder.json + vocab.bpe, from_gpt2_files, and the
// folder fallback) against Hugging Face `tokenizers`' golden encodings, GPT-2 against
// GPT2Tokenizer, and bad files and inputs.
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

// GPT-2 as Hugging Face's gpt2 tokenizer.json sets it up, written with nlohmann-json from the
// OpenAI files (merges as "a b" strings, the older format `tokenizers` still reads).
std::string gpt2_tokenizer_json(const std::string& gpt2_dir) {
  nlohmann::json vocab = nlohmann::json::parse(io::read_file_bytes(gpt2_dir + "/encoder.json", "test"));
  nlohmann::json merges = nlohmann::json::array();
  const std::string bpe = io::read_file_bytes(gpt2_dir + "/vocab.bpe", "test");
  for (size_t pos = 0; pos < bpe.size();) {
    size_t end = bpe.find('\n', pos);
    if (end == std::string::npos) end = bpe.size();
    const std::string line = bpe.substr(pos, end - pos);
    pos = end + 1;
    if (!line.empty() && !line.starts_with("#version")) merges.push_back(line);
  }
  nlohmann::json byte_level = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", true}};
  nlohmann::json j = {
      {"version", "1.0"},
      {"truncation", nullptr},
      {"padding", nullptr},
      {"added_tokens", {{{"id", 50256}, {"content", "<|endoftext|>"}, {"single_word", false}, {"lstrip", false},
                         {"rstrip", false}, {"normalized", false}, {"special", true}}}},
      {"normalizer", nullptr},
      {"pre_tokenizer", byte_level},
      {"post_processor", {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", false}, {"use_regex", true}}},
      {"decoder", byte_level},
      {"model", {{"type", "BPE"}, {"dropout", nullptr}, {"unk_token", nullptr}, {"continuing_subword_prefix", ""},
                 {"end_of_word_suffix", ""}, {"fuse_unk", false}, {"byte_fallback", false}, {"ignore_merges", false},
                 {"vocab", vocab}, {"merges", merges}}}};
  return j.dump();
}

#define GPT2_OR_SKIP(dir)                                                                       \
  const auto dir = test::data_path("gpt2");                                                     \
  if (!dir) GTEST_SKIP() << "no data: gpt2/ (encoder.json, vocab.bpe) is not under the data root (EMBER_DATA)"

// A tiny WordPiece tokenizer.json to break in the error tests.
nlohmann::json tiny_json() {
  return {{"model", {{"type", "WordPiece"}, {"unk_token", "[UNK]"}, {"vocab", {{"[UNK]", 0}, {"a", 1}, {"##b", 2}}}}},
          {"pre_tokenizer", {{"type", "BertPreTokenizer"}}}};
}

}  // namespace

TEST(TokenizerJson, BpeFixtureMatchesTokenizers) {
  const Tokenizer tok = Tokenizer::from_file(test::golden_fixture("bpe_fixture_tokenizer.json"));
  EXPECT_EQ(tok.vocab_size(), 401);  // 400 trained + <mask>
  EXPECT_GE(test::check_hf_golden("bpe_fixture", tok), 100);
  // decode(encode(s)) gives s back (byte-level), special tokens aside.
  const std::string s = "Wherefore art thou, Romeo?\n\tcafé 中文 👨‍👩‍👧";
  EXPECT_EQ(tok.decode(tok.encode(s).ids), " " + s);  // add_prefix_space adds one space
}

TEST(TokenizerJson, CharBpeFixtureMatchesTokenizers) {
  // BPE over characters: NFKD + Lowercase, Whitespace pre-tokenizer, "</w>" word ends, fused <unk>
  // for characters outside its 40-letter alphabet, BPEDecoder.
  const Tokenizer tok = Tokenizer::from_file(test::golden_fixture("bpe_char_fixture_tokenizer.json"));
  EXPECT_EQ(tok.vocab_size(), 300);
  EXPECT_GE(test::check_hf_golden("bpe_char_fixture", tok), 100);
  EXPECT_EQ(tok.decode(tok.encode("To be, or not to be").ids), "to be , or not to be");
}

TEST(TokenizerJson, Gpt2ThreeWaysMatchTokenizers) {
  GPT2_OR_SKIP(dir);
  TempDir tmp;
  tmp.write("tokenizer.json", gpt2_tokenizer_json(*dir));
  const Tokenizer from_json = Tokenizer::from_file(tmp.file("tokenizer.json"));
  const Tokenizer from_files = Tokenizer::from_gpt2_files(*dir + "/encoder.json", *dir + "/vocab.bpe");
  const Tokenizer from_folder = Tokenizer::from_pretrained(*dir);
  for (const Tokenizer* tok : {&from_json, &from_files, &from_folder}) {
    EXPECT_EQ(tok->vocab_size(), 50257);
    EXPECT_GE(test::check_hf_golden("gpt2", *tok), 150);
  }
}

TEST(TokenizerJson, Gpt2EqualsGPT2Tokenizer) {
  GPT2_OR_SKIP(dir);
  const Tokenizer tok = Tokenizer::from_gpt2_files(*dir + "/encoder.json", *dir + "/vocab.bpe");
  const text::GPT2Tokenizer gpt2 = text::GPT2Tokenizer::from_directory(*dir);
  int n = 0;
  for (const auto& t : test::hf_tokenizers_golden().at("texts")) {
    const std::string s = t;
    EXPECT_EQ(tok.encode(s).ids, gpt2.encode(s, {.allow_special = true})) << s.substr(0, 80);
    ++n;
  }
  EXPECT_GT(n, 100);
}

TEST(TokenizerJson, AddedTokensOptions) {
  // lstrip / rstrip / single_word, and a token matched after normalization.
  nlohmann::json j = {
      {"normalizer", {{"type", "Lowercase"}}},
      {"pre_tokenizer", {{"type", "WhitespaceSplit"}}},
      {"model", {{"type", "WordLevel"}, {"unk_token", "<unk>"},
                 {"vocab", {{"<unk>", 0}, {"hello", 1}, {"world", 2}, {"<mask>", 3}, {"ab", 4}, {"yes", 5}}}}},
      {"added_tokens",
       {{{"id", 3}, {"content", "<mask>"}, {"special", true}, {"lstrip", true}, {"rstrip", true}, {"normalized", false}},
        {{"id", 4}, {"content", "ab"}, {"special", false}, {"single_word", true}, {"normalized", false}},
        {{"id", 5}, {"content", "yes"}, {"special", false}, {"normalized", true}}}}};
  const Tokenizer tok = Tokenizer::from_json(j.dump());
  const std::string text = "Hello  <mask>  world ab xab YES";
  const auto e = tok.encode(text);
  EXPECT_EQ(e.tokens, (std::vector<std::string>{"hello", "  <mask>  ", "world", "ab", "<unk>", "yes"}));
  EXPECT_EQ(e.offsets, (std::vector<text::Offsets>{{0, 5}, {5, 15}, {15, 20}, {21, 23}, {24, 27}, {28, 31}}));
  EXPECT_EQ(tok.decode(e.ids), "hello world ab <unk> yes");  // no decoder: tokens joined by spaces, <mask> skipped
  EXPECT_EQ(tok.vocab_size(), 6);
}

TEST(TokenizerJson, BadFilesAreClearErrors) {
  TempDir dir;
  auto load = [&](const nlohmann::json& j) {
    dir.write("tokenizer.json", j.dump());
    return Tokenizer::from_file(dir.file("tokenizer.json"));
  };
  EXPECT_NO_THROW(load(tiny_json()));

  nlohmann::json j = tiny_json();
  j["model"]["type"] = "Unigram";
  EXPECT_EMBER_ERROR(load(j), "tokenizer.json", "model.type", "\"Unigram\"", "WordPiece, BPE, WordLevel");
  j = tiny_json();
  j["normalizer"] = {{"type", "NFC"}};
  EXPECT_EMBER_ERROR(load(j), "tokenizer.json", "normalizer.type", "\"NFC\"", "BertNormalizer");
  j = tiny_json();
  j["pre_tokenizer"] = {{"type", "Sequence"}, {"pretokenizers", {{{"type", "Whitespace"}}, {{"type", "Metaspace"}}}}};
  EXPECT_EMBER_ERROR(load(j), "pre_tokenizer.pretokenizers[1].type", "\"Metaspace\"", "ByteLevel");
  j = tiny_json();
  j["post_processor"] = {{"type", "TemplateProcessing"}, {"single", {{{"SpecialToken", {{"id", "[CLS]"}}}}}},
                         {"pair", nlohmann::json::array()}, {"special_tokens", nlohmann::json::object()}};
  EXPECT_EMBER_ERROR(load(j), "post_processor.single[0].SpecialToken.id", "[CLS]", "does not define");
  j = tiny_json();
  j["decoder"] = {{"type", "Metaspace"}};
  EXPECT_EMBER_ERROR(load(j), "decoder.type", "\"Metaspace\"", "WordPiece, ByteLevel");
  j = tiny_json();
  j.erase("model");
  EXPECT_EMBER_ERROR(load(j), "tokenizer.json", "key 'model' is missing");
  j = tiny_json();
  j["model"]["vocab"]["c"] = "x";
  EXPECT_EMBER_ERROR(load(j), "model.vocab.c", "integer id");
  j = tiny_json();
  j["model"]["vocab"]["c"] = 1;
  EXPECT_EMBER_ERROR(load(j), "id 1 is given to two tokens");
  j = tiny_json();
  j["model"]["max_input_chars_per_word"] = "many";
  EXPECT_EMBER_ERROR(load(j), "model.max_input_chars_per_word", "must be an integer");
  j = tiny_json();
  j["pre_tokenizer"] = {{"type", "ByteLevel"}};
  EXPECT_EMBER_ERROR(load(j), "ByteLevel pre-tokenizer with model.type \"WordPiece\"");
  j = {{"model", {{"type", "BPE"}, {"vocab", {{"a", 0}, {"b", 1}}}, {"merges", {"a b"}}}}};
  EXPECT_EMBER_ERROR(load(j), "model.merges[0]", "missing from model.vocab", "\"ab\"");
  j = {{"model", {{"type", "BPE"}, {"dropout", 0.1}, {"vocab", {{"a", 0}}}, {"merges", nlohmann::json::array()}}}};
  EXPECT_EMBER_ERROR(load(j), "model.dropout", "not supported");
  j = tiny_json();
  j["truncation"] = {{"max_length", 8}, {"strategy", "Sideways"}};
  EXPECT_EMBER_ERROR(load(j), "truncation.strategy", "\"Sideways\"", "LongestFirst");
  j = tiny_json();
  j["model"]["type"] = 7;
  EXPECT_EMBER_ERROR(load(j), "model.type", "must be a string");

  EXPECT_EMBER_ERROR(Tokenizer::from_file(dir.file("nope.json")), "Tokenizer::from_file", "nope.json", "does not exist");
  dir.write("broken.json", tiny_json().dump().substr(0, 30));
  EXPECT_EMBER_ERROR(Tokenizer::from_file(dir.file("broken.json")), "broken.json", "not valid JSON");
  dir.write("array.json", "[1, 2]");
  EXPECT_EMBER_ERROR(Tokenizer::from_file(dir.file("array.json")), "array.json", "must be a JSON object");
  TempDir empty;
  EXPECT_EMBER_ERROR(Tokenizer::from_pretrained(empty.path()), "Tokenizer::from_pretrained", "holds no tokenizer",
                     "tokenizer.json");
  EXPECT_EMBER_ERROR(Tokenizer::from_pretrained(empty.file("missing")), "is not a directory");
}

TEST(TokenizerJson, UnknownTokenNeededButMissing) {
  nlohmann::json j = tiny_json();
  j["model"]["unk_token"] = "<nope>";
  const Tokenizer tok = Tokenizer::from_json(j.dump(), "tiny.json");
  EXPECT_EQ(tok.encode("ab", false).tokens, (std::vector<std::string>{"a", "##b"}));
  EXPECT_EMBER_ERROR(tok.encode("zzz"), "WordPiece", "\"<nope>\"", "tiny.json");
}

TEST(TokenizerJson, InvalidUtf8InBytePipeline) {
  const Tokenizer tok = Tokenizer::from_file(test::golden_fixture("bpe_fixture_tokenizer.json"));
  EXPECT_EMBER_ERROR(tok.encode(std::string("Romeo\xF0\x9F", 7)), "Tokenizer::encode", "not valid UTF-8 at byte 5");
  // A decode that ends inside a character gives U+FFFD, as `tokenizers` does.
  const auto lead = tok.token_to_id("Ã");  // byte 0xC3, the first byte of "é"
  ASSERT_TRUE(lead.has_value());
  EXPECT_EQ(tok.decode({*lead, *lead}), "\xEF\xBF\xBD\xEF\xBF\xBD");
}
