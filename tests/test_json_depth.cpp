// io::parse_json (issue 19): nesting beyond 128 levels is an error, not a stack overflow later,
// and io::describe_json keeps error messages short whatever the value. Also the parsers of
// outside files that use it (IMDB, safetensors, tokenizers, config.json).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "ember/ember.h"
#include "ember/io/json.h"
#include "models/hf_config_reader.h"
#include "op_registry.h"
#include "temp_dir.h"

using namespace ember;
using ember::test::TempDir;

namespace {
std::string nested(size_t depth, const std::string& inner = "") {
  return std::string(depth, '[') + inner + std::string(depth, ']');
}
}  // namespace

TEST(JsonDepth, AcceptsUpTo128LevelsAndRejectsMore) {
  auto j = io::parse_json<nlohmann::json>(nested(128, "1"), "op", "'x.json'");
  EXPECT_TRUE(j.is_array());
  EXPECT_EMBER_ERROR(io::parse_json<nlohmann::json>(nested(129, "1"), "op", "'x.json'", "re-download it"),
                     "op: 'x.json' nests arrays or objects more than 128 levels deep (at byte 128)",
                     "; re-download it");
  // Brackets inside strings (escaped quotes included) are text, not nesting.
  const std::string in_string = "[\"" + std::string(500, '[') + "\\\"" + std::string(500, '{') + "\"]";
  EXPECT_EQ(io::parse_json<nlohmann::json>(in_string, "op", "x")[0].get<std::string>().size(), 1001u);
  // Objects count too, and ordered_json (safetensors headers) the same.
  std::string objects;
  for (int i = 0; i < 200; ++i) objects += "{\"a\":";
  objects += "1" + std::string(200, '}');
  EXPECT_EMBER_ERROR(io::parse_json<nlohmann::ordered_json>(objects, "op", "the header"), "the header nests");
}

TEST(JsonDepth, HundredThousandLevelsFailCleanly) {
  // The probe's IMDB file: 74,830 frames deep in dump() before; now an error while parsing.
  EXPECT_EMBER_ERROR(io::parse_json<nlohmann::json>(nested(100000), "IMDB", "'r.json.gz'"), "more than 128 levels",
                     "(at byte 128)");
  EXPECT_EMBER_ERROR(io::parse_json<nlohmann::json>(std::string(100000, '['), "IMDB", "'r.json.gz'"),
                     "more than 128 levels");  // unterminated: the depth limit comes first
}

TEST(JsonDepth, SyntaxErrorsNameTheSource) {
  EXPECT_EMBER_ERROR(io::parse_json<nlohmann::json>("{\"a\": ", "op", "'c.json'", "fix it"),
                     "op: 'c.json' is not valid JSON (", "; fix it");
}

TEST(JsonDepth, DescribeIsBounded) {
  EXPECT_EQ(io::describe_json(nlohmann::json(3)), "3");
  EXPECT_EQ(io::describe_json(nlohmann::json("é")), "\"\\u00e9\"");  // ASCII: safe to cut anywhere
  EXPECT_EQ(io::describe_json(nlohmann::json::parse("[1,2]")), "[1,2]");
  const std::string long_text(100000, 'x');
  const std::string d = io::describe_json(nlohmann::json(long_text));
  EXPECT_LT(d.size(), 120u);
  EXPECT_EQ(d.rfind("string \"xxx", 0), 0u) << d;
  EXPECT_NE(d.find("(100002 characters)"), std::string::npos) << d;
  const std::string deep = io::describe_json(io::parse_json<nlohmann::json>(nested(100), "op", "x"));
  EXPECT_EQ(deep.rfind("array [[[[", 0), 0u) << deep;
  EXPECT_LT(deep.size(), 120u);
}

TEST(JsonDepth, ImdbReviewThatIsADeepArrayIsNamedShortly) {
  TempDir dir;
  // Review 1 is 100 arrays deep (within the limit): the error names it without printing it all.
  dir.write("deep.json", "[{\"t\": \"fine\", \"s\": 1}, " + nested(100, "0") + "]");
  try {
    data::read_imdb_file(dir.file("deep.json"));
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("review 1 is not an object with a string \"t\" (the text): it is array [[[["), std::string::npos)
        << m;
    EXPECT_LT(m.size(), 400u) << m;
  }
  dir.write("deeper.json", "[" + nested(100000) + "]");
  EXPECT_EMBER_ERROR(data::read_imdb_file(dir.file("deeper.json")), "IMDB: '", "deeper.json' nests arrays or objects",
                     "re-download the file");
  dir.write("label.json", "[{\"t\": \"fine\", \"s\": " + nested(50, "1") + "}]");
  EXPECT_EMBER_ERROR(data::read_imdb_file(dir.file("label.json")), "review 0 has label \"s\": array [[[[");
}

TEST(JsonDepth, EveryOutsideParserIsBounded) {
  const std::string deep = "{\"a\": " + nested(1000) + "}";
  EXPECT_EMBER_ERROR(models::hf::parse_config(deep, "config.json", "BertConfig"), "'config.json' nests");
  EXPECT_EMBER_ERROR(text::Tokenizer::from_json(deep, "tokenizer.json"), "'tokenizer.json' nests");
  EXPECT_EMBER_ERROR(text::CharTokenizer::from_json(deep), "CharTokenizer::from_json: the text nests");
  EXPECT_EMBER_ERROR(text::WordTokenizer::from_json(deep), "WordTokenizer::from_json: the text nests");
  TempDir dir;
  std::string header = nested(5000);
  std::string bytes(8, '\0');
  const uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) bytes[static_cast<size_t>(i)] = static_cast<char>((n >> (8 * i)) & 0xFF);
  dir.write("deep.safetensors", bytes + header);
  EXPECT_EMBER_ERROR(io::load_safetensors(dir.file("deep.safetensors")), "the header nests arrays or objects");
}
