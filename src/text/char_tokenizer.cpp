// CharTokenizer: byte vocabulary, table-driven encode/decode and JSON form.
#include "ember/text/char_tokenizer.h"

#include <nlohmann/json.hpp>

#include "ember/error.h"
#include "text/token_ids.h"

namespace ember::text {

namespace {
constexpr const char* kJsonType = "ember.CharTokenizer";
}  // namespace

CharTokenizer CharTokenizer::from_text(std::string_view text) {
  EMBER_CHECK(!text.empty(), "CharTokenizer", "cannot build a vocabulary from an empty text");
  std::array<bool, 256> seen{};
  for (char c : text) seen[static_cast<unsigned char>(c)] = true;
  std::vector<uint8_t> bytes;
  for (int b = 0; b < 256; ++b)
    if (seen[b]) bytes.push_back(static_cast<uint8_t>(b));
  return from_vocab(bytes);
}

CharTokenizer CharTokenizer::from_vocab(const std::vector<uint8_t>& bytes) {
  EMBER_CHECK(!bytes.empty(), "CharTokenizer", "the vocabulary is empty; it needs at least one byte");
  CharTokenizer tok;
  for (size_t i = 0; i < bytes.size(); ++i) {
    EMBER_CHECK(i == 0 || bytes[i - 1] < bytes[i], "CharTokenizer", "the vocabulary must hold distinct bytes in "
                "ascending order, but entry ", i, " (byte ", int(bytes[i]), ") follows byte ", int(bytes[i - 1]));
    tok.stoi_[bytes[i]] = static_cast<int16_t>(i);
  }
  tok.itos_ = bytes;
  return tok;
}

std::vector<int64_t> CharTokenizer::encode(std::string_view text) const {
  std::vector<int64_t> ids(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const int16_t id = stoi_[static_cast<unsigned char>(text[i])];
    if (id < 0) [[unlikely]]
      EMBER_FAIL("CharTokenizer::encode", "character ", detail::describe_byte(text, i), " at byte position ", i,
                 " is not in the vocabulary of ", vocab_size(),
                 " characters; build the tokenizer from a text that contains it, or clean the input");
    ids[i] = id;
  }
  return ids;
}

Tensor CharTokenizer::encode_tensor(std::string_view text) const { return detail::ids_to_tensor(encode(text)); }

std::string CharTokenizer::decode(const std::vector<int64_t>& ids) const {
  std::string out(ids.size(), '\0');
  for (size_t i = 0; i < ids.size(); ++i) {
    EMBER_CHECK(ids[i] >= 0 && ids[i] < vocab_size(), "CharTokenizer::decode", "id ", ids[i], " at position ", i,
                " is out of range for a vocabulary of ", vocab_size(), " (valid ids: 0 to ", vocab_size() - 1, ")");
    out[i] = static_cast<char>(itos_[static_cast<size_t>(ids[i])]);
  }
  return out;
}

std::string CharTokenizer::decode(const Tensor& ids) const {
  return decode(detail::tensor_to_ids(ids, "CharTokenizer::decode"));
}

std::string CharTokenizer::to_json() const {
  nlohmann::json j = {{"type", kJsonType}, {"version", 1}, {"vocab", itos_}};
  return j.dump();
}

CharTokenizer CharTokenizer::from_json(const std::string& json) {
  const char* op = "CharTokenizer::from_json";
  nlohmann::json j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  EMBER_CHECK(!j.is_discarded(), op, "the text is not valid JSON (", json.size(), " bytes)");
  EMBER_CHECK(j.is_object() && j.contains("type") && j["type"] == kJsonType, op, "expected an object with \"type\": \"",
              kJsonType, "\" (as written by CharTokenizer::to_json)");
  EMBER_CHECK(j.contains("version") && j["version"] == 1, op, "unsupported version ",
              j.contains("version") ? j["version"].dump() : "(missing)", "; this build reads version 1");
  const auto it = j.find("vocab");
  EMBER_CHECK(it != j.end() && it->is_array(), op, "\"vocab\" must be an array of byte values");
  std::vector<uint8_t> bytes;
  for (const auto& v : *it) {
    EMBER_CHECK(v.is_number_integer() && v.get<int64_t>() >= 0 && v.get<int64_t>() <= 255, op,
                "\"vocab\" entry ", bytes.size(), " is ", v.dump(), "; expected a byte value 0-255");
    bytes.push_back(static_cast<uint8_t>(v.get<int64_t>()));
  }
  return from_vocab(bytes);
}

}  // namespace ember::text
