// Pre-tokenizers: BertPreTokenizer, Whitespace, WhitespaceSplit, Punctuation, Digits, ByteLevel,
// Sequence, each as its `tokenizers` namesake splits.
#include "text/pre_tokenizers.h"

#include "text/gpt2_pretokenizer.h"
#include "text/unicode.h"

namespace ember::text::detail {

namespace {

// Calls fn(cp, begin, end) for each character of bytes [begin, end) of the normalized text.
template <class F>
void for_each_char(const NormalizedString& ns, uint32_t begin, uint32_t end, F&& fn) {
  const std::string_view text(ns.text);
  for (uint32_t pos = begin; pos < end;) {
    const auto b = static_cast<unsigned char>(text[pos]);
    if (b < 0x80) {
      fn(static_cast<int32_t>(b), pos, pos + 1);
      ++pos;
      continue;
    }
    size_t len = 1;
    const int32_t cp = decode_utf8(text, pos, len);
    fn(cp, pos, pos + static_cast<uint32_t>(len));
    pos += static_cast<uint32_t>(len);
  }
}

// Collects pieces; the first one emitted from a source piece inherits its prefix space (a
// ByteLevel pre-tokenizer that ran before this one added it).
class PieceSink {
 public:
  PieceSink(std::vector<Piece>& out, bool prefix) : out_(out), prefix_(prefix) {}
  void emit(uint32_t b, uint32_t e) {
    if (e <= b) return;
    out_.push_back({b, e, prefix_});
    prefix_ = false;
  }

 private:
  std::vector<Piece>& out_;
  bool prefix_;
};

// `tokenizers`' NormalizedString::split with a character predicate: each matching character is
// one match (Contiguous merges adjacent ones).
template <class Pred>
void split_by(const NormalizedString& ns, const Piece& p, Pred is_delim, SplitBehavior behavior,
              std::vector<Piece>& out) {
  PieceSink sink(out, p.prefix_space);
  uint32_t cur = p.begin;     // start of the pending piece
  int64_t run_start = -1;     // Contiguous: start of the pending run of delimiters
  for_each_char(ns, p.begin, p.end, [&](int32_t cp, uint32_t b, uint32_t e) {
    const bool delim = is_delim(cp);
    switch (behavior) {
      case SplitBehavior::Removed:
        if (delim) {
          sink.emit(cur, b);
          cur = e;
        }
        break;
      case SplitBehavior::Isolated:
        if (delim) {
          sink.emit(cur, b);
          sink.emit(b, e);
          cur = e;
        }
        break;
      case SplitBehavior::MergedWithPrevious:
        if (delim) {
          sink.emit(cur, e);
          cur = e;
        }
        break;
      case SplitBehavior::MergedWithNext:
        if (delim) {
          sink.emit(cur, b);
          cur = b;
        }
        break;
      case SplitBehavior::Contiguous:
        if (delim && run_start < 0) {
          sink.emit(cur, b);
          run_start = b;
          cur = b;
        } else if (!delim && run_start >= 0) {
          sink.emit(static_cast<uint32_t>(run_start), b);
          run_start = -1;
          cur = b;
        }
        break;
    }
  });
  sink.emit(cur, p.end);
}

template <class F>
void split_each(const NormalizedString& ns, std::vector<Piece>& pieces, F&& split_one) {
  thread_local std::vector<Piece> out;
  out.clear();
  out.reserve(pieces.size() * 2 + 8);
  for (const Piece& p : pieces) split_one(ns, p, out);
  pieces.swap(out);
}

class BertPreTokenizer : public PreTokenizer {
 public:
  void pre_tokenize(const NormalizedString& ns, std::vector<Piece>& pieces) const override {
    split_each(ns, pieces, [](const NormalizedString& s, const Piece& p, std::vector<Piece>& out) {
      // Whitespace removed, then each punctuation character isolated, in one pass.
      PieceSink sink(out, p.prefix_space);
      uint32_t cur = p.begin;
      const std::string_view text(s.text);
      for (uint32_t pos = p.begin; pos < p.end;) {
        const auto byte = static_cast<unsigned char>(text[pos]);
        int32_t cp;
        size_t len = 1;
        if (byte < 0x80) {
          cp = byte;
          // ASCII letters and digits: the common case, neither whitespace nor punctuation.
          if (static_cast<unsigned>((byte | 0x20) - 'a') < 26u || static_cast<unsigned>(byte - '0') < 10u) {
            ++pos;
            continue;
          }
        } else {
          cp = decode_utf8(text, pos, len);
        }
        const auto e = pos + static_cast<uint32_t>(len);
        if (is_whitespace(cp)) {
          sink.emit(cur, pos);
          cur = e;
        } else if (is_bert_punctuation(cp)) {
          sink.emit(cur, pos);
          sink.emit(pos, e);
          cur = e;
        }
        pos = e;
      }
      sink.emit(cur, p.end);
    });
  }
};

class WhitespaceSplit : public PreTokenizer {
 public:
  void pre_tokenize(const NormalizedString& ns, std::vector<Piece>& pieces) const override {
    split_each(ns, pieces, [](const NormalizedString& s, const Piece& p, std::vector<Piece>& out) {
      split_by(s, p, is_whitespace, SplitBehavior::Removed, out);
    });
  }
};

// Runs of word characters and runs of other non-space characters (the regex \w+|[^\w\s]+).
class Whitespace : public PreTokenizer {
 public:
  void pre_tokenize(const NormalizedString& ns, std::vector<Piece>& pieces) const override {
    split_each(ns, pieces, [](const NormalizedString& s, const Piece& p, std::vector<Piece>& out) {
      PieceSink sink(out, p.prefix_space);
      int run_class = -1;  // 0 word, 1 other, -1 none
      uint32_t run_start = p.begin;
      for_each_char(s, p.begin, p.end, [&](int32_t cp, uint32_t b, uint32_t) {
        const int cls = is_whitespace(cp) ? -1 : is_word_char(cp) ? 0 : 1;
        if (cls != run_class) {
          if (run_class >= 0) sink.emit(run_start, b);
          run_class = cls;
          run_start = b;
        }
      });
      if (run_class >= 0) sink.emit(run_start, p.end);
    });
  }
};

class Punctuation : public PreTokenizer {
 public:
  explicit Punctuation(SplitBehavior b) : behavior_(b) {}
  void pre_tokenize(const NormalizedString& ns, std::vector<Piece>& pieces) const override {
    split_each(ns, pieces, [this](const NormalizedString& s, const Piece& p, std::vector<Piece>& out) {
      split_by(s, p, is_bert_punctuation, behavior_, out);
    });
  }

 private:
  SplitBehavior behavior_;
};

class Digits : public PreTokenizer {
 public:
  explicit Digits(bool individual) : individual_(individual) {}
  void pre_tokenize(const NormalizedString& ns, std::vector<Piece>& pieces) const override {
    const SplitBehavior b = individual_ ? SplitBehavior::Isolated : SplitBehavior::Contiguous;
    split_each(ns, pieces, [b](const NormalizedString& s, const Piece& p, std::vector<Piece>& out) {
      split_by(s, p, is_numeric, b, out);
    });
  }

 private:
  bool individual_;
};

// GPT-2's byte-level pre-tokenizer. The model then works on the pieces' bytes (the vocabulary's
// byte-to-unicode spelling is undone when the model loads, not applied to the text).
class ByteLevel : public PreTokenizer {
 public:
  ByteLevel(bool add_prefix_space, bool use_regex) : add_prefix_space_(add_prefix_space), use_regex_(use_regex) {}
  bool byte_level() const override { return true; }

  void pre_tokenize(const NormalizedString& ns, std::vector<Piece>& pieces) const override {
    thread_local std::vector<Piece> out;
    thread_local std::vector<std::pair<uint32_t, uint32_t>> matches;
    thread_local std::string scratch;
    out.clear();
    for (const Piece& p : pieces) {
      const bool prefix = p.prefix_space || (add_prefix_space_ && ns.text[p.begin] != ' ');
      if (!use_regex_) {
        out.push_back({p.begin, p.end, prefix});
        continue;
      }
      // The regex sees the added space (it joins the first word: " Hello").
      std::string_view subject(ns.text.data() + p.begin, p.end - p.begin);
      if (prefix) {
        scratch.assign(1, ' ');
        scratch.append(subject);
        subject = scratch;
      }
      matches.clear();
      gpt2_split(subject, 0, /*validate=*/false, "ByteLevel", matches);
      const uint32_t shift = prefix ? 1 : 0;
      for (const auto& [b, e] : matches) {
        if (prefix && b == 0) {
          out.push_back({p.begin, p.begin + e - shift, true});
        } else {
          out.push_back({p.begin + b - shift, p.begin + e - shift, false});
        }
      }
    }
    pieces.swap(out);
  }

 private:
  bool add_prefix_space_, use_regex_;
};

class PreTokenizerSequence : public PreTokenizer {
 public:
  explicit PreTokenizerSequence(std::vector<std::unique_ptr<PreTokenizer>> parts) : parts_(std::move(parts)) {}
  void pre_tokenize(const NormalizedString& ns, std::vector<Piece>& pieces) const override {
    for (const auto& p : parts_) p->pre_tokenize(ns, pieces);
  }
  bool byte_level() const override {
    for (const auto& p : parts_)
      if (p->byte_level()) return true;
    return false;
  }

 private:
  std::vector<std::unique_ptr<PreTokenizer>> parts_;
};

}  // namespace

std::unique_ptr<PreTokenizer> make_bert_pre_tokenizer() { return std::make_unique<BertPreTokenizer>(); }
std::unique_ptr<PreTokenizer> make_whitespace() { return std::make_unique<Whitespace>(); }
std::unique_ptr<PreTokenizer> make_whitespace_split() { return std::make_unique<WhitespaceSplit>(); }
std::unique_ptr<PreTokenizer> make_punctuation(SplitBehavior behavior) { return std::make_unique<Punctuation>(behavior); }
std::unique_ptr<PreTokenizer> make_digits(bool individual_digits) { return std::make_unique<Digits>(individual_digits); }
std::unique_ptr<PreTokenizer> make_byte_level(bool add_prefix_space, bool use_regex) {
  return std::make_unique<ByteLevel>(add_prefix_space, use_regex);
}
std::unique_ptr<PreTokenizer> make_pre_tokenizer_sequence(std::vector<std::unique_ptr<PreTokenizer>> parts) {
  return std::make_unique<PreTokenizerSequence>(std::move(parts));
}

}  // namespace ember::text::detail
