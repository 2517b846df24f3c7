#pragma once
// The golden encodings of Hugging Face `tokenizers` (tests/golden/text/gen_hf_tokenizers.py) and
// the helpers that compare a text::Tokenizer with them, field by field.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "ember/ember.h"

namespace ember::test {

inline const nlohmann::json& hf_tokenizers_golden() {
  static const nlohmann::json j = [] {
    std::ifstream f(std::string(EMBER_GOLDEN_DIR) + "/text/hf_tokenizers.json");
    EXPECT_TRUE(f.good()) << "missing tests/golden/text/hf_tokenizers.json";
    return f.good() ? nlohmann::json::parse(f) : nlohmann::json::object();
  }();
  return j;
}

inline std::string golden_fixture(const std::string& name) { return std::string(EMBER_GOLDEN_DIR) + "/text/" + name; }

// <data root>/rel when the data root and that path exist, else nullopt (the caller skips).
inline std::optional<std::string> data_path(const std::string& rel) {
  try {
    const std::string p = data::resolve_data_root() + "/" + rel;
    if (std::filesystem::exists(p)) return p;
  } catch (const Error&) {
  }
  return std::nullopt;
}

// A case's settings applied to a copy of the tokenizer as loaded (null: the file's own).
inline text::Tokenizer with_settings(const text::Tokenizer& base, const nlohmann::json& s) {
  text::Tokenizer tok = base;
  if (s.is_null()) return tok;
  if (s.at("truncation").is_null()) {
    tok.no_truncation();
  } else {
    const auto& t = s.at("truncation");
    text::TruncationParams p;
    p.max_length = t.at("max_length");
    const std::string strategy = t.at("strategy");
    p.strategy = strategy == "longest_first" ? text::TruncationStrategy::LongestFirst
                 : strategy == "only_first"  ? text::TruncationStrategy::OnlyFirst
                                             : text::TruncationStrategy::OnlySecond;
    p.direction = t.at("direction") == "left" ? text::Direction::Left : text::Direction::Right;
    tok.enable_truncation(p);
  }
  if (s.at("padding").is_null()) {
    tok.no_padding();
  } else {
    const auto& q = s.at("padding");
    text::PaddingParams p;
    if (!q.at("length").is_null()) p.length = q.at("length").get<int64_t>();
    if (!q.at("pad_to_multiple_of").is_null()) p.pad_to_multiple_of = q.at("pad_to_multiple_of").get<int64_t>();
    p.direction = q.at("direction") == "left" ? text::Direction::Left : text::Direction::Right;
    p.pad_id = q.at("pad_id");
    p.pad_type_id = q.at("pad_type_id");
    p.pad_token = q.at("pad_token");
    tok.enable_padding(p);
  }
  return tok;
}

inline std::vector<int64_t> digits(const nlohmann::json& v) {
  if (v.is_array()) return v.get<std::vector<int64_t>>();
  std::vector<int64_t> out;
  for (char c : v.get<std::string>()) out.push_back(c - '0');
  return out;
}

// Every field of `e` against the golden record `want`; `what` names the case in failures.
inline void expect_encoding(const text::Encoding& e, const nlohmann::json& want, std::string_view text,
                            std::string_view pair, const std::string& what) {
  EXPECT_EQ(e.ids, want.at("ids").get<std::vector<int64_t>>()) << what;
  EXPECT_EQ(e.type_ids, digits(want.at("type_ids"))) << what;
  EXPECT_EQ(e.attention_mask, digits(want.at("attention_mask"))) << what;
  EXPECT_EQ(e.special_tokens_mask, digits(want.at("special_tokens_mask"))) << what;
  EXPECT_EQ(e.word_ids, want.at("word_ids").get<std::vector<int64_t>>()) << what;
  std::vector<int64_t> offsets;
  for (const auto& [s, t] : e.char_offsets(text, pair)) {
    offsets.push_back(s);
    offsets.push_back(t);
  }
  EXPECT_EQ(offsets, want.at("offsets").get<std::vector<int64_t>>()) << what;
  if (want.contains("tokens")) {
    EXPECT_EQ(e.tokens, want.at("tokens").get<std::vector<std::string>>()) << what;
  }
}

// Compares `base` with every golden case, batch and decode of `name`; returns the case count.
inline int check_hf_golden(const std::string& name, const text::Tokenizer& base) {
  const auto& g = hf_tokenizers_golden();
  const auto& texts = g.at("texts");
  int checked = 0;
  for (const auto& c : g.at("cases")) {
    if (c.at("tokenizer") != name) continue;
    const std::string text = texts.at(c.at("text").get<size_t>());
    const bool has_pair = c.contains("pair");
    const std::string pair = has_pair ? texts.at(c.at("pair").get<size_t>()).get<std::string>() : "";
    const text::Tokenizer tok = with_settings(base, c.at("settings"));
    const bool special = c.at("add_special_tokens");
    const std::string what = name + " case: \"" + text.substr(0, 60) + (has_pair ? "\" + \"" + pair.substr(0, 40) : "") +
                             "\" settings " + c.at("settings").dump() + (special ? "" : " no specials");
    if (c.contains("error")) {
      EXPECT_THROW(tok.encode(text, pair, special), Error) << what;
    } else {
      const text::Encoding e = has_pair ? tok.encode(text, pair, special) : tok.encode(text, special);
      expect_encoding(e, c, text, pair, what);
    }
    ++checked;
  }
  for (const auto& b : g.at("batches")) {
    if (b.at("tokenizer") != name) continue;
    const text::Tokenizer tok = with_settings(base, b.at("settings"));
    const auto& inputs = b.at("inputs");
    const auto& want = b.at("encodings");
    if (inputs.at(0).is_array()) {
      std::vector<std::pair<std::string, std::string>> pairs;
      for (const auto& p : inputs) pairs.emplace_back(texts.at(p.at(0).get<size_t>()), texts.at(p.at(1).get<size_t>()));
      const auto got = tok.encode_batch(pairs);
      EXPECT_EQ(got.size(), want.size());
      for (size_t i = 0; i < got.size() && i < want.size(); ++i)
        expect_encoding(got[i], want.at(i), pairs[i].first, pairs[i].second, name + " pair batch item " + std::to_string(i));
    } else {
      std::vector<std::string> batch;
      for (const auto& t : inputs) batch.push_back(texts.at(t.get<size_t>()));
      const auto got = tok.encode_batch(batch);
      EXPECT_EQ(got.size(), want.size());
      for (size_t i = 0; i < got.size() && i < want.size(); ++i)
        expect_encoding(got[i], want.at(i), batch[i], "", name + " batch item " + std::to_string(i));
    }
    ++checked;
  }
  for (const auto& d : g.at("decodes")) {
    if (d.at("tokenizer") != name) continue;
    const auto ids = d.at("ids").get<std::vector<int64_t>>();
    EXPECT_EQ(base.decode(ids, d.at("skip_special_tokens").get<bool>()), d.at("text").get<std::string>())
        << name << " decode of " << d.at("ids").dump() << " skip_special_tokens " << d.at("skip_special_tokens");
    ++checked;
  }
  return checked;
}

}  // namespace ember::test
