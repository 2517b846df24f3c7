// TemplateProcessing, BertProcessing, RobertaProcessing, ByteLevel and Sequence post-processors,
// each as its `tokenizers` namesake.
#include "text/post_processors.h"

#include <algorithm>

#include "ember/error.h"
#include "text/unicode.h"

namespace ember::text::detail {

namespace {

Encoding special_encoding(const std::vector<int64_t>& ids, const std::vector<std::string>& tokens, int64_t type_id) {
  Encoding e;
  for (size_t k = 0; k < ids.size(); ++k) e.push_back(ids[k], type_id, tokens[k], {0, 0}, 1, -1, -1);
  return e;
}

void set_type_ids(Encoding& e, int64_t type_id) { std::fill(e.type_ids.begin(), e.type_ids.end(), type_id); }

// Moves byte offset `pos` of valid UTF-8 `text` by `n` characters (n < 0: back), staying within
// [lo, hi]; `moved` counts the characters actually crossed.
int64_t move_chars(std::string_view text, int64_t pos, int64_t n, int64_t lo, int64_t hi, int64_t& moved) {
  auto is_cont = [&](int64_t p) { return (static_cast<unsigned char>(text[static_cast<size_t>(p)]) & 0xC0) == 0x80; };
  moved = 0;
  for (; n > 0 && pos < hi; --n, ++moved)
    do ++pos;
    while (pos < hi && is_cont(pos));
  for (; n < 0 && pos > lo; ++n, ++moved)
    do --pos;
    while (pos > lo && is_cont(pos));
  return pos;
}

// `tokenizers`' process_offsets (ByteLevel trim_offsets): offsets leave out the leading and
// trailing spaces of a token ('Ġ' in the byte-level spelling, or whitespace), except the one
// space add_prefix_space put before the first word. `tokenizers` counts in characters of the
// input; so does this (on byte offsets), which keeps a trimmed token on character boundaries.
void trim_offsets(Encoding& e, bool add_prefix_space, const std::string_view* texts) {
  auto is_space = [](int32_t cp) { return cp == 0x120 || is_whitespace(cp); };
  for (size_t i = 0; i < e.size(); ++i) {
    if (e.sequence_ids[i] < 0) continue;  // special tokens: (0, 0) stays
    const std::string& tok = e.tokens[i];
    int64_t leading = 0, trailing = 0;
    for (size_t pos = 0; pos < tok.size();) {
      size_t len = 1;
      const int32_t cp = decode_utf8(tok, pos, len);
      if (cp < 0 || !is_space(cp)) break;
      ++leading;
      pos += len;
    }
    for (size_t pos = tok.size(); pos > 0;) {
      size_t start = pos - 1;
      while (start > 0 && (static_cast<unsigned char>(tok[start]) & 0xC0) == 0x80) --start;
      size_t len = 1;
      const int32_t cp = decode_utf8(tok, start, len);
      if (cp < 0 || !is_space(cp)) break;
      ++trailing;
      pos = start;
    }
    if (leading == 0 && trailing == 0) continue;
    const std::string_view text = texts[e.sequence_ids[i]];
    Offsets& off = e.offsets[i];
    if (leading > 0) {
      const bool is_first = i == 0 || off.first == 0;
      if (is_first && add_prefix_space && leading == 1) leading = 0;
      int64_t moved = 0;
      off.first = move_chars(text, off.first, leading, 0, off.second, moved);
    }
    if (trailing > 0) {
      // `tokenizers` trims only when the end is at least `trailing` characters into the text.
      int64_t moved = 0;
      const int64_t back = move_chars(text, off.second, -trailing, 0, off.second, moved);
      if (moved == trailing) off.second = std::max(back, off.first);
    }
  }
}

class TemplateProcessing : public PostProcessor {
 public:
  TemplateProcessing(std::vector<TemplatePiece> single, std::vector<TemplatePiece> pair,
                     std::map<std::string, TemplateSpecial> specials)
      : single_(std::move(single)), pair_(std::move(pair)), specials_(std::move(specials)) {}

  int64_t added_tokens(bool pair) const override {
    int64_t n = 0;
    for (const TemplatePiece& p : pair ? pair_ : single_)
      if (!p.is_sequence) n += static_cast<int64_t>(specials_.at(p.special).ids.size());
    return n;
  }

  void process(std::vector<Encoding>& encodings, bool add_special_tokens, const std::string_view* texts) const override {
    const auto& tmpl = encodings.size() == 2 ? pair_ : single_;
    std::vector<Encoding> out;
    for (const TemplatePiece& p : tmpl) {
      if (p.is_sequence) {
        EMBER_CHECK(p.sequence >= 0 && static_cast<size_t>(p.sequence) < encodings.size(), "TemplateProcessing",
                    "the template uses sequence ", p.sequence == 0 ? "A" : "B", " but ", encodings.size(),
                    " sequence(s) reached it");
        Encoding e = encodings[static_cast<size_t>(p.sequence)];
        set_type_ids(e, p.type_id);
        out.push_back(std::move(e));
      } else if (add_special_tokens) {
        const TemplateSpecial& s = specials_.at(p.special);
        out.push_back(special_encoding(s.ids, s.tokens, p.type_id));
      }
    }
    encodings.swap(out);
  }

 private:
  std::vector<TemplatePiece> single_, pair_;
  std::map<std::string, TemplateSpecial> specials_;
};

class BertProcessing : public PostProcessor {
 public:
  BertProcessing(std::pair<std::string, int64_t> sep, std::pair<std::string, int64_t> cls)
      : sep_(std::move(sep)), cls_(std::move(cls)) {}
  int64_t added_tokens(bool pair) const override { return pair ? 3 : 2; }
  void process(std::vector<Encoding>& encodings, bool add_special_tokens, const std::string_view* texts) const override {
    if (!add_special_tokens) return;  // the type ids stay 0 and 1
    std::vector<Encoding> out;
    out.push_back(special_encoding({cls_.second}, {cls_.first}, 0));
    out.push_back(std::move(encodings[0]));
    out.push_back(special_encoding({sep_.second}, {sep_.first}, 0));
    if (encodings.size() == 2) {
      out.push_back(std::move(encodings[1]));
      out.push_back(special_encoding({sep_.second}, {sep_.first}, 1));
    }
    encodings.swap(out);
  }

 private:
  std::pair<std::string, int64_t> sep_, cls_;
};

class RobertaProcessing : public PostProcessor {
 public:
  RobertaProcessing(std::pair<std::string, int64_t> sep, std::pair<std::string, int64_t> cls, bool trim,
                    bool add_prefix_space)
      : sep_(std::move(sep)), cls_(std::move(cls)), trim_(trim), add_prefix_space_(add_prefix_space) {}
  int64_t added_tokens(bool pair) const override { return pair ? 4 : 2; }
  void process(std::vector<Encoding>& encodings, bool add_special_tokens, const std::string_view* texts) const override {
    for (Encoding& e : encodings) {
      if (trim_) trim_offsets(e, add_prefix_space_, texts);
      set_type_ids(e, 0);  // RoBERTa has one segment
    }
    if (!add_special_tokens) return;
    std::vector<Encoding> out;
    out.push_back(special_encoding({cls_.second}, {cls_.first}, 0));
    out.push_back(std::move(encodings[0]));
    out.push_back(special_encoding({sep_.second}, {sep_.first}, 0));
    if (encodings.size() == 2) {
      out.push_back(special_encoding({sep_.second}, {sep_.first}, 0));
      out.push_back(std::move(encodings[1]));
      out.push_back(special_encoding({sep_.second}, {sep_.first}, 0));
    }
    encodings.swap(out);
  }

 private:
  std::pair<std::string, int64_t> sep_, cls_;
  bool trim_, add_prefix_space_;
};

class ByteLevelProcessing : public PostProcessor {
 public:
  ByteLevelProcessing(bool trim, bool add_prefix_space) : trim_(trim), add_prefix_space_(add_prefix_space) {}
  int64_t added_tokens(bool) const override { return 0; }
  void process(std::vector<Encoding>& encodings, bool, const std::string_view* texts) const override {
    if (trim_)
      for (Encoding& e : encodings) trim_offsets(e, add_prefix_space_, texts);
  }

 private:
  bool trim_, add_prefix_space_;
};

class PostProcessorSequence : public PostProcessor {
 public:
  explicit PostProcessorSequence(std::vector<std::unique_ptr<PostProcessor>> parts) : parts_(std::move(parts)) {}
  int64_t added_tokens(bool pair) const override {
    int64_t n = 0;
    for (const auto& p : parts_) n += p->added_tokens(pair);
    return n;
  }
  void process(std::vector<Encoding>& encodings, bool add_special_tokens, const std::string_view* texts) const override {
    for (const auto& p : parts_) p->process(encodings, add_special_tokens, texts);
  }

 private:
  std::vector<std::unique_ptr<PostProcessor>> parts_;
};

}  // namespace

std::unique_ptr<PostProcessor> make_template_processing(std::vector<TemplatePiece> single, std::vector<TemplatePiece> pair,
                                                        std::map<std::string, TemplateSpecial> specials) {
  return std::make_unique<TemplateProcessing>(std::move(single), std::move(pair), std::move(specials));
}
std::unique_ptr<PostProcessor> make_bert_processing(std::pair<std::string, int64_t> sep,
                                                    std::pair<std::string, int64_t> cls) {
  return std::make_unique<BertProcessing>(std::move(sep), std::move(cls));
}
std::unique_ptr<PostProcessor> make_roberta_processing(std::pair<std::string, int64_t> sep,
                                                       std::pair<std::string, int64_t> cls, bool trim_offsets,
                                                       bool add_prefix_space) {
  return std::make_unique<RobertaProcessing>(std::move(sep), std::move(cls), trim_offsets, add_prefix_space);
}
std::unique_ptr<PostProcessor> make_byte_level_processing(bool trim_offsets, bool add_prefix_space) {
  return std::make_unique<ByteLevelProcessing>(trim_offsets, add_prefix_space);
}
std::unique_ptr<PostProcessor> make_post_processor_sequence(std::vector<std::unique_ptr<PostProcessor>> parts) {
  return std::make_unique<PostProcessorSequence>(std::move(parts));
}

}  // namespace ember::text::detail
