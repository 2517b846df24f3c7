// Reading GPT-2's encoder.json (token -> id) and vocab.bpe (ranked merges) into byte-level tables.
#include "text/gpt2_files.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "ember/error.h"
#include "ember/io/file.h"
#include "text/gpt2_bytes.h"

namespace ember::text::detail {

namespace {

constexpr const char* kEndOfText = "<|endoftext|>";

// Reads encoder.json's {"token": id, ...} with nlohmann's SAX interface: a DOM of 50,257 entries
// in a std::map would double the load time. Anything but string keys with integer values throws.
class EncoderSax : public nlohmann::json_sax<nlohmann::json> {
 public:
  EncoderSax(const std::string& path, const char* op) : path_(path), op_(op) {}
  std::vector<std::pair<std::string, int64_t>> entries;

  bool start_object(std::size_t) override {
    if (depth_++ != 0) fail_value("an object");
    return true;
  }
  bool end_object() override {
    --depth_;
    return true;
  }
  bool key(string_t& k) override {
    key_ = std::move(k);
    return true;
  }
  bool number_integer(number_integer_t v) override { return add(v); }
  bool number_unsigned(number_unsigned_t v) override {
    return add(v > static_cast<number_unsigned_t>(INT64_MAX) ? -1 : static_cast<int64_t>(v));
  }
  bool number_float(number_float_t, const string_t& s) override { fail_value(s); }
  bool null() override { fail_value("null"); }
  bool boolean(bool b) override { fail_value(b ? "true" : "false"); }
  bool string(string_t& v) override { fail_value("\"" + v + "\""); }
  bool binary(binary_t&) override { fail_value("binary data"); }
  bool start_array(std::size_t) override {
    if (depth_ == 0) top_level("an array");
    fail_value("an array");
  }
  bool end_array() override { return true; }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override {
    EMBER_FAIL(op_, "vocabulary file '", path_, "' is not valid JSON: ", e.what(),
               "; re-download encoder.json");
  }
  void finish() const {
    EMBER_CHECK(!entries.empty(), op_, "vocabulary file '", path_,
                "' must hold a non-empty JSON object mapping tokens to ids; re-download encoder.json");
  }

 private:
  bool add(int64_t id) {
    if (depth_ != 1) top_level("a number");
    entries.emplace_back(std::move(key_), id);
    return true;
  }
  [[noreturn]] void top_level(const std::string& what) const {
    EMBER_FAIL(op_, "vocabulary file '", path_, "' holds ", what,
               " but must hold a JSON object mapping tokens to ids; re-download encoder.json");
  }
  [[noreturn]] void fail_value(const std::string& what) const {
    if (depth_ == 0) top_level(what);
    EMBER_FAIL(op_, "vocabulary file '", path_, "' maps token \"", key_, "\" to ", what,
               "; ids must be integers (the file is corrupt)");
  }
  const std::string& path_;
  const char* op_;
  std::string key_;
  int depth_ = 0;
};

void load_encoder(ByteBpeTables& impl, const std::string& path, std::unordered_map<std::string, int32_t>& bytes_to_id,
                  const char* op) {
  const std::string text = io::read_file_bytes(path, op);
  EMBER_CHECK(!text.empty(), op, "vocabulary file '", path, "' is empty; re-download encoder.json");
  EncoderSax sax(path, op);
  nlohmann::json::sax_parse(text, &sax);
  sax.finish();
  const auto n = static_cast<int64_t>(sax.entries.size());
  EMBER_CHECK(n <= INT32_MAX, op, "vocabulary file '", path, "' has ", n, " tokens, too many");
  impl.id_to_bytes.assign(static_cast<size_t>(n), std::string());
  bytes_to_id.reserve(static_cast<size_t>(n));
  std::vector<bool> seen(static_cast<size_t>(n), false);
  std::string bytes;
  for (const auto& [token, id] : sax.entries) {
    EMBER_CHECK(id >= 0 && id < n, op, "vocabulary file '", path, "' maps token \"", token, "\" to ", id,
                "; ids must be integers 0 to ", n - 1, " (the file is corrupt)");
    EMBER_CHECK(!seen[static_cast<size_t>(id)], op, "vocabulary file '", path, "' gives id ", id,
                " to two tokens (the file is corrupt)");
    seen[static_cast<size_t>(id)] = true;
    EMBER_CHECK(gpt2_spelling_to_bytes(token, bytes), op, "vocabulary file '", path, "' has token \"", token,
                "\" (id ", id, ") that is not in GPT-2's byte-to-unicode spelling (the file is corrupt)");
    impl.id_to_bytes[static_cast<size_t>(id)] = bytes;
    EMBER_CHECK(bytes_to_id.emplace(bytes, static_cast<int32_t>(id)).second, op, "vocabulary file '", path,
                "' has token \"", token, "\" twice (the file is corrupt)");
    if (token == kEndOfText) impl.eot = id;
  }
  for (int b = 0; b < 256; ++b) {
    auto it = bytes_to_id.find(std::string(1, static_cast<char>(b)));
    EMBER_CHECK(it != bytes_to_id.end(), op, "vocabulary file '", path, "' has no token for byte ", b,
                "; a byte-level vocabulary needs all 256 (the file is corrupt)");
    impl.byte_id[b] = it->second;
  }
  EMBER_CHECK(impl.eot >= 0, op, "vocabulary file '", path, "' has no \"", kEndOfText, "\" token (GPT-2's is 50256)");
}

void load_merges(ByteBpeTables& impl, const std::string& path, const std::unordered_map<std::string, int32_t>& bytes_to_id,
                 const char* op) {
  const std::string text = io::read_file_bytes(path, op);
  EMBER_CHECK(!text.empty(), op, "merges file '", path, "' is empty; re-download vocab.bpe");
  impl.merges.reserve(static_cast<size_t>(std::count(text.begin(), text.end(), '\n')) + 1);
  std::string left, right;
  int32_t rank = 0;
  size_t line_no = 0;
  for (size_t pos = 0; pos < text.size();) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || (line_no == 1 && line.starts_with("#version"))) continue;
    const size_t space = line.find(' ');
    EMBER_CHECK(space != std::string_view::npos && space > 0 && space + 1 < line.size() &&
                    line.find(' ', space + 1) == std::string_view::npos,
                op, "merges file '", path, "' line ", line_no, " is \"", line,
                "\"; expected two tokens separated by one space (the file is corrupt)");
    const bool ok = gpt2_spelling_to_bytes(line.substr(0, space), left) &&
                    gpt2_spelling_to_bytes(line.substr(space + 1), right);
    EMBER_CHECK(ok, op, "merges file '", path, "' line ", line_no, " (\"", line,
                "\") is not in GPT-2's byte-to-unicode spelling (the file is corrupt)");
    auto l = bytes_to_id.find(left), r = bytes_to_id.find(right), m = bytes_to_id.find(left + right);
    EMBER_CHECK(l != bytes_to_id.end() && r != bytes_to_id.end() && m != bytes_to_id.end(), op, "merges file '", path,
                "' line ", line_no, " (\"", line, "\") uses or makes a token missing from the vocabulary; "
                "encoder.json and vocab.bpe must come from the same model");
    const bool fresh = impl.merges.add(l->second, r->second, rank, m->second);
    EMBER_CHECK(fresh, op, "merges file '", path, "' line ", line_no, " (\"", line,
                "\") repeats an earlier merge (the file is corrupt)");
    ++rank;
  }
}

}  // namespace

ByteBpeTables load_gpt2_files(const std::string& encoder_json_path, const std::string& vocab_bpe_path,
                              const char* op) {
  ByteBpeTables tables;
  std::unordered_map<std::string, int32_t> bytes_to_id;
  load_encoder(tables, encoder_json_path, bytes_to_id, op);
  load_merges(tables, vocab_bpe_path, bytes_to_id, op);
  return tables;
}

}  // namespace ember::text::detail
