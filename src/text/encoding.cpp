// Encoding's helpers, and truncating / padding one encoding.
#include "ember/text/encoding.h"

#include "ember/error.h"
#include "text/tokenizer_impl.h"
#include "text/unicode.h"

namespace ember::text {

void Encoding::push_back(int64_t id, int64_t type_id, std::string token, Offsets offset, int64_t special,
                         int64_t word_id, int64_t sequence_id) {
  ids.push_back(id);
  type_ids.push_back(type_id);
  tokens.push_back(std::move(token));
  offsets.push_back(offset);
  special_tokens_mask.push_back(special);
  attention_mask.push_back(1);
  word_ids.push_back(word_id);
  sequence_ids.push_back(sequence_id);
}

void Encoding::append(const Encoding& o) {
  ids.insert(ids.end(), o.ids.begin(), o.ids.end());
  type_ids.insert(type_ids.end(), o.type_ids.begin(), o.type_ids.end());
  tokens.insert(tokens.end(), o.tokens.begin(), o.tokens.end());
  offsets.insert(offsets.end(), o.offsets.begin(), o.offsets.end());
  special_tokens_mask.insert(special_tokens_mask.end(), o.special_tokens_mask.begin(), o.special_tokens_mask.end());
  attention_mask.insert(attention_mask.end(), o.attention_mask.begin(), o.attention_mask.end());
  word_ids.insert(word_ids.end(), o.word_ids.begin(), o.word_ids.end());
  sequence_ids.insert(sequence_ids.end(), o.sequence_ids.begin(), o.sequence_ids.end());
}

std::vector<Offsets> Encoding::char_offsets(std::string_view text, std::string_view pair) const {
  // Byte -> character index, per text; offsets sit on character boundaries.
  auto table = [](std::string_view t) {
    std::vector<int64_t> idx(t.size() + 1);
    int64_t c = 0;
    for (size_t b = 0; b < t.size(); ++b) {
      idx[b] = c;
      c += (static_cast<unsigned char>(t[b]) & 0xC0) != 0x80;
    }
    idx[t.size()] = c;
    return idx;
  };
  const std::vector<int64_t> a = table(text), b = table(pair);
  std::vector<Offsets> out(offsets.size());
  for (size_t i = 0; i < offsets.size(); ++i) {
    const std::vector<int64_t>& t = sequence_ids[i] == 1 ? b : a;
    const auto [s, e] = offsets[i];
    EMBER_CHECK(s >= 0 && e >= s && e < static_cast<int64_t>(t.size()), "Encoding::char_offsets", "token ", i,
                " has byte offsets (", s, ", ", e, ") outside the text of ", t.size() - 1,
                " bytes; pass the text(s) that were encoded");
    out[i] = {t[static_cast<size_t>(s)], t[static_cast<size_t>(e)]};
  }
  return out;
}

namespace detail {

void truncate_encoding(Encoding& e, int64_t max_length, Direction direction) {
  const auto n = static_cast<int64_t>(e.size());
  if (n <= max_length) return;
  auto cut = [&](auto& v) {
    if (direction == Direction::Right) {
      v.resize(static_cast<size_t>(max_length));
    } else {
      v.erase(v.begin(), v.begin() + (n - max_length));
    }
  };
  cut(e.ids);
  cut(e.type_ids);
  cut(e.tokens);
  cut(e.offsets);
  cut(e.special_tokens_mask);
  cut(e.attention_mask);
  cut(e.word_ids);
  cut(e.sequence_ids);
}

void pad_encoding(Encoding& e, int64_t length, const PaddingParams& p) {
  const auto n = static_cast<int64_t>(e.size());
  if (n >= length) return;
  const auto k = static_cast<size_t>(length - n);
  auto pad = [&](auto& v, const auto& value) {
    if (p.direction == Direction::Right) {
      v.insert(v.end(), k, value);
    } else {
      v.insert(v.begin(), k, value);
    }
  };
  pad(e.ids, p.pad_id);
  pad(e.type_ids, p.pad_type_id);
  pad(e.tokens, p.pad_token);
  pad(e.offsets, Offsets{0, 0});
  pad(e.special_tokens_mask, int64_t{1});
  pad(e.attention_mask, int64_t{0});
  pad(e.word_ids, int64_t{-1});
  pad(e.sequence_ids, int64_t{-1});
}

}  // namespace detail

}  // namespace ember::text
