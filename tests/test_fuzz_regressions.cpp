// Inputs the fuzz harnesses (fuzz/, scripts/fuzz.sh) found to crash, leak or misbehave, kept as
// unit tests so that the gcc builds check them too. Each names its harness.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "ember/data/imdb.h"
#include "ember/error.h"
#include "ember/text/tokenizer.h"
#include "ember/train/checkpoint.h"

namespace ember {
namespace {

// fuzz_checkpoint (the case came from issue 19): an "epoch" that is not a count threw
// std::invalid_argument ("stoll").
TEST(FuzzRegressions, CheckpointEpochNotANumber) {
  for (const char* bad : {"two", "", "-1", "3x", "99999999999999999999999", " 4"}) {
    train::Checkpoint ck{{{"epoch", bad}}};
    EXPECT_THROW((void)ck.epoch(), Error) << bad;
  }
  EXPECT_EQ((train::Checkpoint{{{"epoch", "12"}}}.epoch()), 12);
  EXPECT_EQ(train::Checkpoint{}.epoch(), 0);
}

// fuzz_tokenizer_json (seen reading the padding code, confirmed by the harness on this input, now
// in its corpus): a tokenizer.json padding every encoding to 10^12 tokens (or to a multiple of
// that) made encode allocate terabytes.
TEST(FuzzRegressions, TokenizerJsonHugePadding) {
  const std::string head = R"({"model": {"type": "WordPiece", "unk_token": "[UNK]", "vocab": {"[UNK]": 0, "a": 1}},
                               "padding": )";
  EXPECT_NO_THROW((void)text::Tokenizer::from_json(head + R"({"strategy": {"Fixed": 8}, "pad_id": 0})" + "}").encode("a"));
  for (const char* padding : {R"({"strategy": {"Fixed": 1000000000000}})",
                              R"({"strategy": "BatchLongest", "pad_to_multiple_of": 1000000000000})",
                              R"({"strategy": {"Fixed": -1}})"}) {
    try {
      (void)text::Tokenizer::from_json(head + padding + "}", "tokenizer.json").encode("a");
      ADD_FAILURE() << "accepted " << padding;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("tokenizer.json"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("must be in [0, 1048576]"), std::string::npos) << e.what();
    }
  }
  text::Tokenizer tok = text::Tokenizer::from_json(head + "null}");
  text::PaddingParams fixed, multiple;
  fixed.length = int64_t{1} << 40;
  multiple.pad_to_multiple_of = int64_t{1} << 40;
  EXPECT_THROW(tok.enable_padding(fixed), Error);
  EXPECT_THROW(tok.enable_padding(multiple), Error);
}

// fuzz_tokenizer_json (seen in the code, confirmed by the harness): one token with id 2^31 - 1 in a
// model's vocabulary made the id -> token table 64 GB.
TEST(FuzzRegressions, TokenizerJsonSparseHugeId) {
  auto json = [](int64_t id) {
    return R"({"model": {"type": "WordPiece", "unk_token": "[UNK]", "vocab": {"[UNK]": 0, "a": )" +
           std::to_string(id) + "}}}";
  };
  EXPECT_EQ(text::Tokenizer::from_json(json(1000)).encode("a", false).ids, std::vector<int64_t>{1000});  // a gap is fine
  try {
    (void)text::Tokenizer::from_json(json(2147483647), "tokenizer.json");
    ADD_FAILURE() << "accepted id 2^31 - 1";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("ids must stay below the token count"), std::string::npos) << e.what();
  }
}

// fuzz_tokenizer_json, fuzz_config_json: a number too large for a double (1e999) throws
// nlohmann's out_of_range, not parse_error, and escaped as an unknown exception from
// Tokenizer::from_json, tokenizer_config.json and the IMDB reader.
TEST(FuzzRegressions, JsonNumberOverflow) {
  EXPECT_THROW((void)text::Tokenizer::from_json(R"({"version": 1e999})"), Error);
  const auto dir = std::filesystem::temp_directory_path() / ("ember_fuzz_regress_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "reviews.json") << R"([{"t": "a", "s": 1e999}])";
  EXPECT_THROW((void)data::read_imdb_file((dir / "reviews.json").string()), Error);
  std::ofstream(dir / "vocab.txt") << "[UNK]\na\n";
  std::ofstream(dir / "tokenizer_config.json") << R"({"do_lower_case": 1e999})";
  EXPECT_THROW((void)text::Tokenizer::from_pretrained(dir.string()), Error);
  std::filesystem::remove_all(dir);
}

// fuzz_tokenizer_json: a TemplateProcessing whose pair template names no sequence left the
// post-processor with no parts, and post_process read parts[0] of an empty vector (UBSan); a
// single template naming $B would have read past the one encoding.
TEST(FuzzRegressions, TemplateProcessingWithoutSequences) {
  auto json = [](const std::string& single, const std::string& pair) {
    return R"({"model": {"type": "WordPiece", "unk_token": "[UNK]", "vocab": {"[UNK]": 0, "a": 1, "[CLS]": 2}},
               "post_processor": {"type": "TemplateProcessing", "single": )" + single + R"(, "pair": )" + pair +
           R"(, "special_tokens": {"[CLS]": {"id": "[CLS]", "ids": [2], "tokens": ["[CLS]"]}}}})";
  };
  const std::string cls = R"({"SpecialToken": {"id": "[CLS]"}})", a = R"({"Sequence": {"id": "A"}})",
                    b = R"({"Sequence": {"id": "B", "type_id": 1}})";
  text::Tokenizer ok = text::Tokenizer::from_json(json("[" + cls + ", " + a + "]", "[" + cls + ", " + a + ", " + b + "]"));
  EXPECT_EQ(ok.encode("a", "a").ids, (std::vector<int64_t>{2, 1, 1}));
  for (auto [single, pair] : {std::pair{"[" + cls + "]", "[" + a + ", " + b + "]"},
                              std::pair{"[" + a + ", " + b + "]", "[" + a + ", " + b + "]"},
                              std::pair{"[" + a + "]", "[" + cls + "]"}, std::pair{"[" + a + "]", "[" + a + "]"}}) {
    try {
      (void)text::Tokenizer::from_json(json(single, pair), "tokenizer.json").encode("a", "a");
      ADD_FAILURE() << "accepted single " << single << ", pair " << pair;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("post_processor."), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace ember
