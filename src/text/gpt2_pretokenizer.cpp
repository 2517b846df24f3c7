// GPT-2's pre-tokenization regex, compiled once per process with PCRE2 (JIT when available).
#include "text/gpt2_pretokenizer.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <string>

#include "ember/error.h"

namespace ember::text::detail {

namespace {

// GPT-2's pre-tokenization pattern (OpenAI's encoder.py):
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// for PCRE2 in UTF + UCP mode, with \s spelled \p{White_Space}: that is exactly what Python's
// `regex` module calls \s, while PCRE2's own \s also takes U+180E (MONGOLIAN VOWEL SEPARATOR,
// no longer whitespace since Unicode 6.3) and would split " \u180e" differently from GPT-2.
constexpr const char* kPattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\p{White_Space}\p{L}\p{N}]+)"
    R"(|\p{White_Space}+(?!\P{White_Space})|\p{White_Space}+)";

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
    EMBER_CHECK(code_ != nullptr, "GPT-2 pre-tokenizer", "PCRE2 cannot compile the pre-tokenization pattern at offset ",
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

const Regex& regex() {
  static const Regex r;
  return r;
}

// Match data per thread: created once, not per call (small texts are the common case).
class MatchData {
 public:
  explicit MatchData(const pcre2_code* code) : md_(pcre2_match_data_create_from_pattern(code, nullptr)) {
    EMBER_CHECK(md_ != nullptr, "GPT-2 pre-tokenizer", "out of memory allocating PCRE2 match data");
  }
  ~MatchData() { pcre2_match_data_free(md_); }
  MatchData(const MatchData&) = delete;
  MatchData& operator=(const MatchData&) = delete;
  pcre2_match_data* get() const { return md_; }

 private:
  pcre2_match_data* md_;
};

}  // namespace

void gpt2_split(std::string_view text, size_t base, bool validate, const char* op,
                std::vector<std::pair<uint32_t, uint32_t>>& out) {
  if (text.empty()) return;
  const Regex& re = regex();
  thread_local MatchData md(re.get());
  const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  uint32_t options = validate ? 0 : PCRE2_NO_UTF_CHECK;  // the first match validates the whole text
  size_t offset = 0;
  while (offset < text.size()) {
    const int rc = pcre2_match(re.get(), subject, text.size(), offset, options, md.get(), nullptr);
    if (rc == PCRE2_ERROR_NOMATCH) break;  // cannot happen: every character matches one branch
    if (rc < 0) {
      if (rc <= PCRE2_ERROR_UTF8_ERR1 && rc >= PCRE2_ERROR_UTF8_ERR21) {
        const size_t at = base + pcre2_get_startchar(md.get());
        EMBER_FAIL(op, "the text is not valid UTF-8 at byte ", at, " (", pcre2_message(rc),
                   "); convert or clean the input");
      }
      EMBER_FAIL(op, "PCRE2 failed at byte ", base + offset, ": ", pcre2_message(rc));
    }
    options = PCRE2_NO_UTF_CHECK;
    const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md.get());
    if (ov[0] > offset) out.emplace_back(static_cast<uint32_t>(offset), static_cast<uint32_t>(ov[0]));  // a gap: keep it
    out.emplace_back(static_cast<uint32_t>(ov[0]), static_cast<uint32_t>(ov[1]));
    offset = ov[1];
  }
  if (offset < text.size()) out.emplace_back(static_cast<uint32_t>(offset), static_cast<uint32_t>(text.size()));
}

}  // namespace ember::text::detail
