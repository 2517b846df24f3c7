// Normalizers over aligned characters: BertNormalizer, Lowercase, NFD/NFKD, StripAccents, Strip,
// Prepend, Sequence. Each does what its `tokenizers` namesake does, character by character, and
// every character it outputs keeps the input range of the character it came from (as
// `tokenizers`' alignments do), which is what makes offsets exact after normalization.
#include "text/normalizers.h"

#include <algorithm>

#include "text/unicode.h"

namespace ember::text::detail {

void NormalizedString::append(const NormChars& chars) {
  for (const NormChar& c : chars) {
    const size_t before = text.size();
    append_utf8(text, c.cp);
    for (size_t k = before; k < text.size(); ++k) {
      start.push_back(c.start);
      end.push_back(c.end);
    }
  }
}

void to_norm_chars(std::string_view text, uint32_t base, NormChars& out) {
  out.clear();
  out.reserve(text.size());
  for (size_t pos = 0; pos < text.size();) {
    size_t len = 1;
    const int32_t cp = decode_utf8(text, pos, len);  // the caller validated the text
    out.push_back({cp, base + static_cast<uint32_t>(pos), base + static_cast<uint32_t>(pos + len)});
    pos += len;
  }
}

namespace {

constexpr int kMaxDecomposition = 32;  // longest canonical/compat decomposition is 18

// Canonical ordering (part of NFD): within each run of characters with a nonzero combining
// class, a stable sort by class. Only the code points move: the alignments stay in place, as
// `tokenizers` aligns NFD's output position by position.
void canonical_reorder(NormChars& chars) {
  const size_t n = chars.size();
  std::vector<int32_t> run;
  for (size_t i = 0; i < n;) {
    if (canonical_combining_class(chars[i].cp) == 0) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < n && canonical_combining_class(chars[j].cp) != 0) ++j;
    run.clear();
    for (size_t k = i; k < j; ++k) run.push_back(chars[k].cp);
    std::stable_sort(run.begin(), run.end(), [](int32_t a, int32_t b) {
      return canonical_combining_class(a) < canonical_combining_class(b);
    });
    for (size_t k = i; k < j; ++k) chars[k].cp = run[k - i];
    i = j;
  }
}

// Decomposes every character; reorders marks when needed.
void decompose_all(NormChars& chars, bool compat) {
  NormChars out;
  out.reserve(chars.size() + chars.size() / 4);
  int32_t buf[kMaxDecomposition];
  int last_ccc = 0;
  bool reorder = false;
  for (const NormChar& c : chars) {
    if (c.cp < 0xA0) {  // nothing below U+00A0 decomposes, even under NFKD
      out.push_back(c);
      last_ccc = 0;
      continue;
    }
    const int n = decompose(c.cp, compat, buf, kMaxDecomposition);
    for (int k = 0; k < n; ++k) {
      const int ccc = canonical_combining_class(buf[k]);
      if (ccc != 0 && last_ccc > ccc) reorder = true;
      last_ccc = ccc;
      out.push_back({buf[k], c.start, c.end});
    }
  }
  if (reorder) canonical_reorder(out);
  chars.swap(out);
}

void lowercase_all(NormChars& chars) {
  // Only U+0130 lowercases to two characters: rewrite in place unless it occurs.
  bool expands = false;
  for (NormChar& c : chars) {
    if (c.cp < 0x80) {
      if (c.cp >= 'A' && c.cp <= 'Z') c.cp += 32;
    } else if (c.cp == 0x130) {
      expands = true;
    } else {
      int32_t lower[2];
      to_lowercase(c.cp, lower);
      c.cp = lower[0];
    }
  }
  if (!expands) return;
  NormChars out;
  out.reserve(chars.size() + 4);
  for (const NormChar& c : chars) {
    int32_t lower[2];
    const int n = to_lowercase(c.cp, lower);
    for (int k = 0; k < n; ++k) out.push_back({lower[k], c.start, c.end});
  }
  chars.swap(out);
}

void strip_nonspacing_marks(NormChars& chars) {
  std::erase_if(chars, [](const NormChar& c) { return c.cp >= 0x300 && is_mark_nonspacing(c.cp); });
}

class BertNormalizer : public Normalizer {
 public:
  explicit BertNormalizer(const BertNormalizerOptions& o) : o_(o) {}

  void normalize(NormChars& chars) const override {
    NormChars out;
    out.reserve(chars.size() + 8);
    bool non_ascii = false;
    for (const NormChar& c : chars) {
      int32_t cp = c.cp;
      if (cp < 0x80) {
        if (o_.clean_text) {
          // ASCII controls are category Cc: dropped, except \t \n \r, which are whitespace.
          if (cp == '\t' || cp == '\n' || cp == '\r') {
            cp = ' ';
          } else if (cp < 0x20 || cp == 0x7F) {
            continue;
          }
        }
        out.push_back({cp, c.start, c.end});
        continue;
      }
      non_ascii = true;
      if (o_.clean_text) {
        if (cp == 0xFFFD || is_other(cp)) continue;
        if (is_whitespace(cp)) cp = ' ';
      }
      if (o_.handle_chinese_chars && cp >= 0x3400 && is_chinese_char(cp)) {
        out.push_back({' ', c.start, c.end});
        out.push_back({cp, c.start, c.end});
        out.push_back({' ', c.start, c.end});
        continue;
      }
      out.push_back({cp, c.start, c.end});
    }
    if (non_ascii && o_.strip_accents) {
      decompose_all(out, false);
      strip_nonspacing_marks(out);
    }
    if (o_.lowercase) lowercase_all(out);
    chars.swap(out);
  }

 private:
  BertNormalizerOptions o_;
};

class Lowercase : public Normalizer {
 public:
  void normalize(NormChars& chars) const override { lowercase_all(chars); }
};

class Nfd : public Normalizer {
 public:
  explicit Nfd(bool compat) : compat_(compat) {}
  void normalize(NormChars& chars) const override { decompose_all(chars, compat_); }

 private:
  bool compat_;
};

// Unlike BertNormalizer's accent stripping (Mn only), `tokenizers`' StripAccents drops every
// combining mark (Mn, Mc, Me): Devanagari's vowel signs go too.
class StripAccents : public Normalizer {
 public:
  void normalize(NormChars& chars) const override {
    std::erase_if(chars, [](const NormChar& c) { return c.cp >= 0x300 && is_mark(c.cp); });
  }
};

class Strip : public Normalizer {
 public:
  Strip(bool left, bool right) : left_(left), right_(right) {}
  void normalize(NormChars& chars) const override {
    size_t b = 0, e = chars.size();
    if (right_)
      while (e > b && is_whitespace(chars[e - 1].cp)) --e;
    if (left_)
      while (b < e && is_whitespace(chars[b].cp)) ++b;
    chars.erase(chars.begin() + static_cast<std::ptrdiff_t>(e), chars.end());
    chars.erase(chars.begin(), chars.begin() + static_cast<std::ptrdiff_t>(b));
  }

 private:
  bool left_, right_;
};

class Prepend : public Normalizer {
 public:
  explicit Prepend(const std::string& prefix) {
    for (size_t pos = 0; pos < prefix.size();) {
      size_t len = 1;
      prefix_.push_back(decode_utf8(prefix, pos, len));
      pos += len;
    }
  }
  void normalize(NormChars& chars) const override {
    if (chars.empty()) return;
    // The prefix aligns with the first character, as `tokenizers`' NormalizedString::prepend.
    const NormChar first = chars.front();
    NormChars head;
    for (int32_t cp : prefix_) head.push_back({cp, first.start, first.end});
    chars.insert(chars.begin(), head.begin(), head.end());
  }

 private:
  std::vector<int32_t> prefix_;
};

class NormalizerSequence : public Normalizer {
 public:
  explicit NormalizerSequence(std::vector<std::unique_ptr<Normalizer>> parts) : parts_(std::move(parts)) {}
  void normalize(NormChars& chars) const override {
    for (const auto& p : parts_) p->normalize(chars);
  }

 private:
  std::vector<std::unique_ptr<Normalizer>> parts_;
};

}  // namespace

std::unique_ptr<Normalizer> make_bert_normalizer(const BertNormalizerOptions& options) {
  return std::make_unique<BertNormalizer>(options);
}
std::unique_ptr<Normalizer> make_lowercase() { return std::make_unique<Lowercase>(); }
std::unique_ptr<Normalizer> make_nfd(bool compat) { return std::make_unique<Nfd>(compat); }
std::unique_ptr<Normalizer> make_strip_accents() { return std::make_unique<StripAccents>(); }
std::unique_ptr<Normalizer> make_strip(bool left, bool right) { return std::make_unique<Strip>(left, right); }
std::unique_ptr<Normalizer> make_prepend(const std::string& prefix) { return std::make_unique<Prepend>(prefix); }
std::unique_ptr<Normalizer> make_normalizer_sequence(std::vector<std::unique_ptr<Normalizer>> parts) {
  return std::make_unique<NormalizerSequence>(std::move(parts));
}

}  // namespace ember::text::detail
