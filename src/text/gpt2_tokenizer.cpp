// GPT2Tokenizer: loading encoder.json / vocab.bpe, PCRE2 pre-tokenization and rank-ordered BPE.
#include "ember/text/gpt2_tokenizer.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <algorithm>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <queue>
#include <unordered_map>

#include "ember/error.h"
#include "ember/io/file.h"
#include "text/gpt2_bytes.h"
#include "text/token_ids.h"

namespace ember::text {

namespace {

constexpr const char* kEndOfText = "<|endoftext|>";

// GPT-2's pre-tokenization pattern (OpenAI's encoder.py):
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// for PCRE2 in UTF + UCP mode, with \s spelled \p{White_Space}: that is exactly what Python's
// `regex` module calls \s, while PCRE2's own \s also takes U+180E (MONGOLIAN VOWEL SEPARATOR,
// no longer whitespace since Unicode 6.3) and would split " \u180e" differently from GPT-2.
constexpr const char* kPattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\p{White_Space}\p{L}\p{N}]+)"
    R"(|\p{White_Space}+(?!\P{White_Space})|\p{White_Space}+)";

// Pieces longer than this are not cached: they are rare, and would let one odd input fill the cache.
constexpr size_t kMaxCachedPiece = 64;
constexpr size_t kMaxCacheEntries = size_t(1) << 18;

std::string pcre2_message(int code) {
  PCRE2_UCHAR buf[256];
  int n = pcre2_get_error_message(code, buf, sizeof(buf));
  return n < 0 ? "unknown PCRE2 error " + std::to_string(code) : std::string(reinterpret_cast<char*>(buf));
}

class Regex {
 public:
  Regex() {
    int err = 0;
    PCRE2_SIZE err_offset = 0;
    code_ = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(kPattern), PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_UCP, &err,
                          &err_offset, nullptr);
    EMBER_CHECK(code_ != nullptr, "GPT2Tokenizer", "PCRE2 cannot compile the pre-tokenization pattern at offset ",
                err_offset, ": ", pcre2_message(err), " (is libpcre2-8 built with Unicode support?)");
    // The JIT is several times faster; without it (an unsupported CPU) the interpreter still works.
    (void)pcre2_jit_compile(code_, PCRE2_JIT_COMPLETE);
  }
  ~Regex() { pcre2_code_free(code_); }
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;
  const pcre2_code* get() const { return code_; }

 private:
  pcre2_code* code_ = nullptr;
};

class MatchData {
 public:
  explicit MatchData(const pcre2_code* code) : md_(pcre2_match_data_create_from_pattern(code, nullptr)) {
    EMBER_CHECK(md_ != nullptr, "GPT2Tokenizer::encode", "out of memory allocating PCRE2 match data");
  }
  ~MatchData() { pcre2_match_data_free(md_); }
  MatchData(const MatchData&) = delete;
  MatchData& operator=(const MatchData&) = delete;
  pcre2_match_data* get() const { return md_; }

 private:
  pcre2_match_data* md_;
};

uint64_t pair_key(int32_t left, int32_t right) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
}

}  // namespace

struct GPT2Tokenizer::Impl {
  struct Merge {
    int32_t rank;
    int32_t merged;
  };

  std::vector<std::string> id_to_bytes;
  std::array<int32_t, 256> byte_id{};
  std::unordered_map<uint64_t, Merge> merges;  // (left id, right id) -> rank and merged id
  int64_t eot = -1;
  Regex regex;

  mutable std::mutex cache_mu;
  mutable std::unordered_map<std::string, std::vector<int32_t>> cache;  // piece bytes -> ids

  // Appends the BPE ids of one pre-tokenized piece.
  void encode_piece(std::string_view piece, std::vector<int64_t>& out) const {
    if (piece.size() == 1) {
      out.push_back(byte_id[static_cast<unsigned char>(piece[0])]);
      return;
    }
    const bool cacheable = piece.size() <= kMaxCachedPiece;
    if (cacheable) {
      std::lock_guard<std::mutex> lock(cache_mu);
      if (auto it = cache.find(std::string(piece)); it != cache.end()) {
        out.insert(out.end(), it->second.begin(), it->second.end());
        return;
      }
    }
    std::vector<int32_t> ids = bpe(piece);
    out.insert(out.end(), ids.begin(), ids.end());
    if (cacheable) {
      std::lock_guard<std::mutex> lock(cache_mu);
      if (cache.size() >= kMaxCacheEntries) cache.clear();  // bounded memory on endless novel input
      cache.emplace(piece, std::move(ids));
    }
  }

  // Merges the piece's bytes, lowest rank first; among equal ranks (the same pair occurring
  // several times) leftmost first. A min-heap of candidate pairs keeps long pieces O(n log n).
  // This equals GPT-2's loop (merge every occurrence of the lowest-rank pair, repeat) because a
  // merge can only create pairs of higher rank: a token is used by merges learned after it.
  std::vector<int32_t> bpe(std::string_view piece) const {
    const auto n = static_cast<int32_t>(piece.size());
    std::vector<int32_t> id(n), next(n), prev(n);
    for (int32_t i = 0; i < n; ++i) {
      id[i] = byte_id[static_cast<unsigned char>(piece[i])];
      prev[i] = i - 1;
      next[i] = i + 1 < n ? i + 1 : -1;
    }
    struct Candidate {
      int32_t rank, pos, left, right, merged;
      bool operator>(const Candidate& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
    };
    std::priority_queue<Candidate, std::vector<Candidate>, std::greater<>> heap;
    auto push_pair = [&](int32_t i) {
      const int32_t j = next[i];
      if (j < 0) return;
      if (auto it = merges.find(pair_key(id[i], id[j])); it != merges.end())
        heap.push({it->second.rank, i, id[i], id[j], it->second.merged});
    };
    for (int32_t i = 0; i + 1 < n; ++i) push_pair(i);
    while (!heap.empty()) {
      const Candidate c = heap.top();
      heap.pop();
      // Stale when either symbol has merged since: ids only grow, so equal ids mean the same pair.
      const int32_t j = next[c.pos];
      if (id[c.pos] != c.left || j < 0 || id[j] != c.right) continue;
      id[c.pos] = c.merged;
      id[j] = -1;  // dead: no candidate's left or right is -1
      next[c.pos] = next[j];
      if (next[j] >= 0) prev[next[j]] = c.pos;
      if (prev[c.pos] >= 0) push_pair(prev[c.pos]);
      push_pair(c.pos);
    }
    std::vector<int32_t> out;
    for (int32_t i = 0; i >= 0; i = next[i]) out.push_back(id[i]);
    return out;
  }

  // Pre-tokenizes and encodes `text` (no special tokens); `base` is its offset in the caller's
  // text, for error messages.
  void encode_ordinary(std::string_view text, size_t base, std::vector<int64_t>& out) const {
    if (text.empty()) return;
    MatchData md(regex.get());
    const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
    uint32_t options = 0;  // the first match validates the UTF-8 of the whole text
    for (size_t offset = 0; offset < text.size();) {
      const int rc = pcre2_match(regex.get(), subject, text.size(), offset, options, md.get(), nullptr);
      if (rc == PCRE2_ERROR_NOMATCH) break;  // cannot happen: every character matches one branch
      if (rc < 0) {
        if (rc <= PCRE2_ERROR_UTF8_ERR1 && rc >= PCRE2_ERROR_UTF8_ERR21) {
          const size_t at = base + pcre2_get_startchar(md.get());
          EMBER_FAIL("GPT2Tokenizer::encode", "the text is not valid UTF-8 at byte ", at, " (", pcre2_message(rc),
                     "); GPT-2 encodes UTF-8 text: convert or clean the input");
        }
        EMBER_FAIL("GPT2Tokenizer::encode", "PCRE2 failed at byte ", base + offset, ": ", pcre2_message(rc));
      }
      options = PCRE2_NO_UTF_CHECK;
      const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md.get());
      encode_piece(text.substr(ov[0], ov[1] - ov[0]), out);
      offset = ov[1];
    }
  }
};

namespace {

// Reads encoder.json's {"token": id, ...} with nlohmann's SAX interface: a DOM of 50,257 entries
// in a std::map would double the load time. Anything but string keys with integer values throws.
class EncoderSax : public nlohmann::json_sax<nlohmann::json> {
 public:
  explicit EncoderSax(const std::string& path) : path_(path) {}
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
    EMBER_FAIL("GPT2Tokenizer", "vocabulary file '", path_, "' is not valid JSON: ", e.what(),
               "; re-download encoder.json");
  }
  void finish() const {
    EMBER_CHECK(!entries.empty(), "GPT2Tokenizer", "vocabulary file '", path_,
                "' must hold a non-empty JSON object mapping tokens to ids; re-download encoder.json");
  }

 private:
  bool add(int64_t id) {
    if (depth_ != 1) top_level("a number");
    entries.emplace_back(std::move(key_), id);
    return true;
  }
  [[noreturn]] void top_level(const std::string& what) const {
    EMBER_FAIL("GPT2Tokenizer", "vocabulary file '", path_, "' holds ", what,
               " but must hold a JSON object mapping tokens to ids; re-download encoder.json");
  }
  [[noreturn]] void fail_value(const std::string& what) const {
    if (depth_ == 0) top_level(what);
    EMBER_FAIL("GPT2Tokenizer", "vocabulary file '", path_, "' maps token \"", key_, "\" to ", what,
               "; ids must be integers (the file is corrupt)");
  }
  const std::string& path_;
  std::string key_;
  int depth_ = 0;
};

void load_encoder(GPT2Tokenizer::Impl& impl, const std::string& path,
                  std::unordered_map<std::string, int32_t>& bytes_to_id) {
  const char* op = "GPT2Tokenizer";
  const std::string text = io::read_file_bytes(path, op);
  EMBER_CHECK(!text.empty(), op, "vocabulary file '", path, "' is empty; re-download encoder.json");
  EncoderSax sax(path);
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
    EMBER_CHECK(detail::gpt2_spelling_to_bytes(token, bytes), op, "vocabulary file '", path, "' has token \"", token,
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

void load_merges(GPT2Tokenizer::Impl& impl, const std::string& path,
                 const std::unordered_map<std::string, int32_t>& bytes_to_id) {
  const char* op = "GPT2Tokenizer";
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
    const bool ok = detail::gpt2_spelling_to_bytes(line.substr(0, space), left) &&
                    detail::gpt2_spelling_to_bytes(line.substr(space + 1), right);
    EMBER_CHECK(ok, op, "merges file '", path, "' line ", line_no, " (\"", line,
                "\") is not in GPT-2's byte-to-unicode spelling (the file is corrupt)");
    auto l = bytes_to_id.find(left), r = bytes_to_id.find(right), m = bytes_to_id.find(left + right);
    EMBER_CHECK(l != bytes_to_id.end() && r != bytes_to_id.end() && m != bytes_to_id.end(), op, "merges file '", path,
                "' line ", line_no, " (\"", line, "\") uses or makes a token missing from the vocabulary; "
                "encoder.json and vocab.bpe must come from the same model");
    const bool fresh = impl.merges.emplace(pair_key(l->second, r->second), GPT2Tokenizer::Impl::Merge{rank, m->second}).second;
    EMBER_CHECK(fresh, op, "merges file '", path, "' line ", line_no, " (\"", line,
                "\") repeats an earlier merge (the file is corrupt)");
    ++rank;
  }
}

}  // namespace

GPT2Tokenizer GPT2Tokenizer::from_files(const std::string& encoder_json_path, const std::string& vocab_bpe_path) {
  auto impl = std::make_shared<Impl>();
  std::unordered_map<std::string, int32_t> bytes_to_id;
  load_encoder(*impl, encoder_json_path, bytes_to_id);
  load_merges(*impl, vocab_bpe_path, bytes_to_id);
  return GPT2Tokenizer(std::move(impl));
}

GPT2Tokenizer GPT2Tokenizer::from_directory(const std::string& dir) {
  const std::filesystem::path d(dir);
  return from_files((d / "encoder.json").string(), (d / "vocab.bpe").string());
}

std::vector<int64_t> GPT2Tokenizer::encode(std::string_view text, const GPT2EncodeOptions& options) const {
  std::vector<int64_t> out;
  out.reserve(text.size() / 3);
  if (!options.allow_special) {
    impl_->encode_ordinary(text, 0, out);
    return out;
  }
  // The special token splits the text; the pieces between are encoded on their own, so no
  // pre-tokenized piece spans a "<|endoftext|>".
  const std::string_view eot(kEndOfText);
  size_t start = 0;
  for (size_t hit; (hit = text.find(eot, start)) != std::string_view::npos; start = hit + eot.size()) {
    impl_->encode_ordinary(text.substr(start, hit - start), start, out);
    out.push_back(impl_->eot);
  }
  impl_->encode_ordinary(text.substr(start), start, out);
  return out;
}

Tensor GPT2Tokenizer::encode_tensor(std::string_view text, const GPT2EncodeOptions& options) const {
  return detail::ids_to_tensor(encode(text, options));
}

std::string GPT2Tokenizer::decode(const std::vector<int64_t>& ids) const {
  std::string out;
  out.reserve(ids.size() * 4);
  for (size_t i = 0; i < ids.size(); ++i) {
    EMBER_CHECK(ids[i] >= 0 && ids[i] < vocab_size(), "GPT2Tokenizer::decode", "id ", ids[i], " at position ", i,
                " is out of range for a vocabulary of ", vocab_size(), " (valid ids: 0 to ", vocab_size() - 1, ")");
    out += impl_->id_to_bytes[static_cast<size_t>(ids[i])];
  }
  return out;
}

std::string GPT2Tokenizer::decode(const Tensor& ids) const {
  return decode(detail::tensor_to_ids(ids, "GPT2Tokenizer::decode"));
}

int64_t GPT2Tokenizer::vocab_size() const { return static_cast<int64_t>(impl_->id_to_bytes.size()); }
int64_t GPT2Tokenizer::eot_token() const { return impl_->eot; }
int64_t GPT2Tokenizer::num_merges() const { return static_cast<int64_t>(impl_->merges.size()); }

const std::string& GPT2Tokenizer::token_bytes(int64_t id) const {
  EMBER_CHECK(id >= 0 && id < vocab_size(), "GPT2Tokenizer::token_bytes", "id ", id,
              " is out of range for a vocabulary of ", vocab_size());
  return impl_->id_to_bytes[static_cast<size_t>(id)];
}

}  // namespace ember::text
