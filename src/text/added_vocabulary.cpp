// Matching added tokens: leftmost-longest over all patterns, the way `tokenizers`' Aho-Corasick
// automaton finds them (a rejected single_word match is skipped whole, as there).
#include "text/added_vocabulary.h"

#include <algorithm>

#include "text/normalizers.h"
#include "text/unicode.h"

namespace ember::text::detail {

namespace {

// The character ending right before byte `pos` (valid UTF-8), or -1 at the start.
int32_t char_before(std::string_view text, size_t pos) {
  if (pos == 0) return -1;
  size_t start = pos - 1;
  while (start > 0 && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) --start;
  size_t len = 1;
  return decode_utf8(text, start, len);
}

int32_t char_at(std::string_view text, size_t pos) {
  if (pos >= text.size()) return -1;
  size_t len = 1;
  return decode_utf8(text, pos, len);
}

}  // namespace

AddedVocabulary::AddedVocabulary(std::vector<AddedToken> tokens, const Normalizer* normalizer)
    : tokens_(std::move(tokens)) {
  for (size_t i = 0; i < tokens_.size(); ++i) {
    const AddedToken& t = tokens_[i];
    by_id_[t.id] = i;
    by_content_[t.content] = i;
    if (t.content.empty()) continue;
    if (t.normalized && normalizer != nullptr) {
      NormChars chars;
      to_norm_chars(t.content, 0, chars);
      normalizer->normalize(chars);
      NormalizedString ns;
      ns.append(chars);
      if (ns.text.empty()) continue;
      norm_.patterns.push_back(ns.text);
      norm_.token.push_back(i);
    } else if (t.normalized) {
      norm_.patterns.push_back(t.content);
      norm_.token.push_back(i);
    } else {
      raw_.patterns.push_back(t.content);
      raw_.token.push_back(i);
    }
  }
  build(raw_);
  build(norm_);
}

void AddedVocabulary::build(Patterns& p) {
  p.by_first.assign(256, {});
  for (size_t k = 0; k < p.patterns.size(); ++k)
    p.by_first[static_cast<unsigned char>(p.patterns[k][0])].push_back(static_cast<uint32_t>(k));
  for (auto& list : p.by_first)
    std::stable_sort(list.begin(), list.end(),
                     [&](uint32_t a, uint32_t b) { return p.patterns[a].size() > p.patterns[b].size(); });
}

void AddedVocabulary::find(std::string_view text, bool normalized, std::vector<Match>& out) const {
  const Patterns& p = normalized ? norm_ : raw_;
  out.clear();
  if (p.patterns.empty()) return;
  uint32_t start_offset = 0;  // end of the previous accepted match
  for (size_t pos = 0; pos < text.size();) {
    const auto& candidates = p.by_first[static_cast<unsigned char>(text[pos])];
    size_t hit = SIZE_MAX;
    for (uint32_t k : candidates) {
      const std::string& pat = p.patterns[k];
      if (text.size() - pos >= pat.size() && text.compare(pos, pat.size(), pat) == 0) {
        hit = k;
        break;
      }
    }
    if (hit == SIZE_MAX) {
      ++pos;
      continue;
    }
    const AddedToken& tok = tokens_[p.token[hit]];
    size_t begin = pos, end = pos + p.patterns[hit].size();
    pos = end;  // the search resumes after this match, accepted or not
    if (tok.single_word) {
      const int32_t before = char_before(text, begin), after = char_at(text, end);
      if ((before >= 0 && is_word_char(before)) || (after >= 0 && is_word_char(after))) continue;
    }
    if (tok.lstrip) {
      while (begin > start_offset) {
        const int32_t c = char_before(text, begin);
        if (c < 0 || !is_whitespace(c)) break;
        size_t b = begin - 1;
        while (b > 0 && (static_cast<unsigned char>(text[b]) & 0xC0) == 0x80) --b;
        begin = b;
      }
    }
    if (tok.rstrip) {
      while (end < text.size()) {
        size_t len = 1;
        const int32_t c = decode_utf8(text, end, len);
        if (c < 0 || !is_whitespace(c)) break;
        end += len;
      }
    }
    if (end <= start_offset) continue;  // inside the whitespace an rstrip token took
    begin = std::max<size_t>(begin, start_offset);
    out.push_back({static_cast<uint32_t>(begin), static_cast<uint32_t>(end), tok.id});
    start_offset = static_cast<uint32_t>(end);
  }
}

const AddedToken* AddedVocabulary::by_id(int64_t id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &tokens_[it->second];
}

std::optional<int64_t> AddedVocabulary::id_of(std::string_view content) const {
  auto it = by_content_.find(std::string(content));
  if (it == by_content_.end()) return std::nullopt;
  return tokens_[it->second].id;
}

}  // namespace ember::text::detail
