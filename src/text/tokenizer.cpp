// Tokenizer: encoding one text through the pipeline, truncation, post-processing, padding,
// batches (in parallel, same result as one by one), decoding.
#include "ember/text/tokenizer.h"

#include <algorithm>
#include <cstring>
#include <exception>

#include "ember/error.h"
#include "ember/ops.h"
#include "ember/parallel.h"
#include "text/normalizers.h"
#include "text/token_ids.h"
#include "text/tokenizer_impl.h"
#include "text/unicode.h"

namespace ember::text {

using detail::ModelToken;
using detail::NormalizedString;
using detail::Piece;

namespace {

// Per-thread scratch buffers: encoding allocates nothing per text once they have grown.
struct Scratch {
  std::vector<detail::AddedVocabulary::Match> raw_matches, norm_matches;
  detail::NormChars chars;
  NormalizedString ns;
  std::vector<Piece> pieces;
  std::vector<ModelToken> tokens;
  std::string piece_text;
};

Scratch& scratch() {
  thread_local Scratch s;
  return s;
}

}  // namespace

void Tokenizer::Impl::encode_sequence(std::string_view text, int64_t type_id, int64_t sequence_id, Encoding& out) const {
  if (const size_t bad = detail::find_invalid_utf8(text); bad != std::string_view::npos)
    EMBER_FAIL("Tokenizer::encode", "the text is not valid UTF-8 at byte ", bad, " (", detail::describe_byte(text, bad),
               "); tokenizers take UTF-8 text: convert or clean the input");
  // Offsets inside the pipeline are 32-bit, and normalization can grow a text (CJK spacing, NFKD).
  EMBER_CHECK(text.size() <= (size_t(1) << 28), "Tokenizer::encode", "the text has ", text.size(),
              " bytes; at most 256 MiB per text is supported: split it (e.g. into paragraphs)");
  Scratch& s = scratch();
  int64_t word = 0;

  auto push_added = [&](int64_t id, std::string token, Offsets off) {
    out.push_back(id, type_id, std::move(token), off, 0, word++, sequence_id);
  };

  // Normalized bytes [b, e) of s.ns: pre-tokenize, then the model per piece.
  auto tokenize_range = [&](uint32_t b, uint32_t e) {
    if (e <= b) return;
    s.pieces.assign(1, Piece{b, e, false});
    if (pre_tokenizer) pre_tokenizer->pre_tokenize(s.ns, s.pieces);
    for (const Piece& p : s.pieces) {
      std::string_view piece(s.ns.text.data() + p.begin, p.end - p.begin);
      const uint32_t shift = p.prefix_space ? 1 : 0;
      if (p.prefix_space) {
        s.piece_text.assign(1, ' ');
        s.piece_text.append(piece);
        piece = s.piece_text;
      }
      s.tokens.clear();
      model->tokenize(piece, s.tokens);
      // Piece byte k -> normalized byte p.begin + k - shift; the added space takes the alignment
      // of the piece's first character.
      auto normalized_at = [&](uint32_t k) { return k < shift ? p.begin : p.begin + k - shift; };
      for (const ModelToken& t : s.tokens) {
        const int64_t start = s.ns.start[normalized_at(t.begin)];
        const int64_t end = t.end > t.begin ? s.ns.end[normalized_at(t.end - 1)] : start;
        out.push_back(t.id, type_id, *model->id_to_token(t.id), {start, end}, 0, word, sequence_id);
      }
      ++word;
    }
  };

  // Raw text [b, e) between added tokens: normalize, find the normalized added tokens, tokenize.
  auto encode_segment = [&](uint32_t b, uint32_t e) {
    if (e <= b) return;
    detail::to_norm_chars(text.substr(b, e - b), b, s.chars);
    if (normalizer) normalizer->normalize(s.chars);
    s.ns.clear();
    s.ns.append(s.chars);
    if (s.ns.text.empty()) return;
    const auto n = static_cast<uint32_t>(s.ns.text.size());
    if (!added.has_patterns(true)) {
      tokenize_range(0, n);
      return;
    }
    added.find(s.ns.text, true, s.norm_matches);
    uint32_t pos = 0;
    for (const auto& m : s.norm_matches) {
      tokenize_range(pos, m.begin);
      push_added(m.id, s.ns.text.substr(m.begin, m.end - m.begin), {s.ns.start[m.begin], s.ns.end[m.end - 1]});
      pos = m.end;
    }
    tokenize_range(pos, n);
  };

  const auto n = static_cast<uint32_t>(text.size());
  if (!added.has_patterns(false)) {
    encode_segment(0, n);
    return;
  }
  added.find(text, false, s.raw_matches);  // encode_segment leaves s.raw_matches alone
  uint32_t pos = 0;
  for (const auto& m : s.raw_matches) {
    encode_segment(pos, m.begin);
    push_added(m.id, std::string(text.substr(m.begin, m.end - m.begin)), {m.begin, m.end});
    pos = m.end;
  }
  encode_segment(pos, n);
}

// ------------------------------------------------------------------------------------------------

Tokenizer::Tokenizer(std::shared_ptr<const Impl> impl, std::optional<TruncationParams> truncation,
                     std::optional<PaddingParams> padding)
    : impl_(std::move(impl)), truncation_(std::move(truncation)), padding_(std::move(padding)) {}

void Tokenizer::enable_truncation(const TruncationParams& p) {
  EMBER_CHECK(p.max_length >= 0, "Tokenizer::enable_truncation", "max_length must be >= 0, got ", p.max_length);
  EMBER_CHECK(p.stride >= 0, "Tokenizer::enable_truncation", "stride must be >= 0, got ", p.stride);
  truncation_ = p;
}

void Tokenizer::enable_padding(const PaddingParams& p) {
  EMBER_CHECK(!p.length || (*p.length >= 0 && *p.length <= PaddingParams::kMaxLength), "Tokenizer::enable_padding",
              "length must be in [0, ", PaddingParams::kMaxLength, "], got ", *p.length);
  EMBER_CHECK(!p.pad_to_multiple_of || (*p.pad_to_multiple_of >= 0 && *p.pad_to_multiple_of <= PaddingParams::kMaxLength),
              "Tokenizer::enable_padding", "pad_to_multiple_of must be in [0, ", PaddingParams::kMaxLength, "], got ",
              *p.pad_to_multiple_of);
  padding_ = p;
}

namespace {

// `tokenizers`' truncate_encodings, with max_length the room left for the text(s).
void truncate_pair(Encoding& a, Encoding* b, int64_t max_length, const TruncationParams& p) {
  const auto la = static_cast<int64_t>(a.size());
  const int64_t lb = b ? static_cast<int64_t>(b->size()) : 0;
  if (la + lb <= max_length) return;
  const int64_t to_remove = la + lb - max_length;
  switch (p.strategy) {
    case TruncationStrategy::LongestFirst: {
      if (!b) {
        detail::truncate_encoding(a, la - to_remove, p.direction);
        return;
      }
      // The shorter keeps its length if it fits in half; else both get half (the second the odd one).
      int64_t n1 = la, n2 = lb;
      const bool swap = n1 > n2;
      if (swap) std::swap(n1, n2);
      n2 = n1 > max_length ? n1 : std::max(n1, max_length - n1);
      if (n1 + n2 > max_length) {
        n1 = max_length / 2;
        n2 = n1 + max_length % 2;
      }
      if (swap) std::swap(n1, n2);
      detail::truncate_encoding(a, n1, p.direction);
      detail::truncate_encoding(*b, n2, p.direction);
      return;
    }
    case TruncationStrategy::OnlyFirst:
    case TruncationStrategy::OnlySecond: {
      const bool first = p.strategy == TruncationStrategy::OnlyFirst;
      EMBER_CHECK(first || b, "Tokenizer::encode", "truncation strategy only_second needs a pair of texts; "
                  "use longest_first or only_first for single texts");
      Encoding& target = first ? a : *b;
      const auto len = static_cast<int64_t>(target.size());
      EMBER_CHECK(len > to_remove, "Tokenizer::encode", "truncation to max_length ", p.max_length, " must remove ",
                  to_remove, " tokens from the ", first ? "first" : "second", " text, which has only ", len,
                  "; use strategy longest_first or a larger max_length");
      detail::truncate_encoding(target, len - to_remove, p.direction);
      return;
    }
  }
}

int64_t padded_length(int64_t longest, const PaddingParams& p) {
  int64_t n = p.length ? *p.length : longest;
  if (p.pad_to_multiple_of && *p.pad_to_multiple_of > 0 && n % *p.pad_to_multiple_of != 0)
    n += *p.pad_to_multiple_of - n % *p.pad_to_multiple_of;
  return n;
}

}  // namespace

Encoding Tokenizer::post_process(Encoding a, Encoding* b, bool add_special_tokens, std::string_view text,
                                 std::string_view pair) const {
  const detail::PostProcessor* pp = impl_->post_processor.get();
  if (truncation_) {
    const int64_t added = add_special_tokens && pp ? pp->added_tokens(b != nullptr) : 0;
    EMBER_CHECK(truncation_->max_length >= added, "Tokenizer::encode", "truncation max_length ", truncation_->max_length,
                " leaves no room: the post-processor adds ", added, " special tokens",
                b ? " to a pair" : "", "; use a max_length of at least ", added);
    truncate_pair(a, b, truncation_->max_length - added, *truncation_);
  }
  std::vector<Encoding> parts;
  parts.push_back(std::move(a));
  if (b) parts.push_back(std::move(*b));
  const std::string_view texts[2] = {text, pair};
  if (pp) pp->process(parts, add_special_tokens, texts);
  Encoding out;  // empty if a post-processor left no parts
  if (!parts.empty()) out = std::move(parts[0]);
  for (size_t k = 1; k < parts.size(); ++k) out.append(parts[k]);
  if (padding_) detail::pad_encoding(out, padded_length(static_cast<int64_t>(out.size()), *padding_), *padding_);
  return out;
}

Encoding Tokenizer::encode_pair(std::string_view text, const std::string_view* pair, bool add_special_tokens) const {
  Encoding a;
  impl_->encode_sequence(text, 0, 0, a);
  if (!pair) return post_process(std::move(a), nullptr, add_special_tokens, text, {});
  Encoding b;
  impl_->encode_sequence(*pair, 1, 1, b);
  return post_process(std::move(a), &b, add_special_tokens, text, *pair);
}

Encoding Tokenizer::encode(std::string_view text, bool add_special_tokens) const {
  return encode_pair(text, nullptr, add_special_tokens);
}

Encoding Tokenizer::encode(std::string_view text, std::string_view pair, bool add_special_tokens) const {
  return encode_pair(text, &pair, add_special_tokens);
}

namespace {

// Runs fn(i) for i in [0, n) on Ember's threads; the first failure (lowest index) is rethrown.
template <class F>
void parallel_items(size_t n, F&& fn) {
  const int threads = static_cast<int>(std::min<size_t>(static_cast<size_t>(get_num_threads()), n));
  if (threads <= 1) {
    for (size_t i = 0; i < n; ++i) fn(i);
    return;
  }
  std::vector<std::exception_ptr> errors(n);
  bool failed = false;
#pragma omp parallel for schedule(dynamic, 8) num_threads(threads)
  for (size_t i = 0; i < n; ++i) {
    try {
      fn(i);
    } catch (...) {
      errors[i] = std::current_exception();
#pragma omp atomic write
      failed = true;
    }
  }
  if (failed)
    for (auto& e : errors)
      if (e) std::rethrow_exception(e);
}

}  // namespace

std::vector<Encoding> Tokenizer::encode_batch(const std::vector<std::string>& texts, bool add_special_tokens) const {
  std::vector<Encoding> out(texts.size());
  parallel_items(texts.size(), [&](size_t i) { out[i] = encode(texts[i], add_special_tokens); });
  if (padding_ && !out.empty()) {
    int64_t longest = 0;
    for (const auto& e : out) longest = std::max(longest, static_cast<int64_t>(e.size()));
    const int64_t n = padded_length(longest, *padding_);
    for (auto& e : out) detail::pad_encoding(e, n, *padding_);
  }
  return out;
}

std::vector<Encoding> Tokenizer::encode_batch(const std::vector<std::pair<std::string, std::string>>& pairs,
                                              bool add_special_tokens) const {
  std::vector<Encoding> out(pairs.size());
  parallel_items(pairs.size(), [&](size_t i) { out[i] = encode(pairs[i].first, pairs[i].second, add_special_tokens); });
  if (padding_ && !out.empty()) {
    int64_t longest = 0;
    for (const auto& e : out) longest = std::max(longest, static_cast<int64_t>(e.size()));
    const int64_t n = padded_length(longest, *padding_);
    for (auto& e : out) detail::pad_encoding(e, n, *padding_);
  }
  return out;
}

namespace {

BatchEncoding to_tensors(std::vector<Encoding> encodings) {
  const auto batch = static_cast<int64_t>(encodings.size());
  const int64_t len = encodings.empty() ? 0 : static_cast<int64_t>(encodings[0].size());
  for (int64_t i = 0; i < batch; ++i)
    EMBER_CHECK(static_cast<int64_t>(encodings[static_cast<size_t>(i)].size()) == len,
                "Tokenizer::encode_batch_tensors", "text 0 has ", len, " tokens but text ", i, " has ",
                encodings[static_cast<size_t>(i)].size(),
                "; a (B, T) tensor needs equal lengths: enable padding (enable_padding) and/or truncation");
  BatchEncoding out;
  out.input_ids = empty({batch, len}, kInt64);       // (B, T)
  out.attention_mask = empty({batch, len}, kInt64);  // (B, T)
  out.token_type_ids = empty({batch, len}, kInt64);  // (B, T)
  auto* ids = static_cast<int64_t*>(out.input_ids.raw_data());
  auto* mask = static_cast<int64_t*>(out.attention_mask.raw_data());
  auto* types = static_cast<int64_t*>(out.token_type_ids.raw_data());
  for (int64_t i = 0; i < batch; ++i) {
    const Encoding& e = encodings[static_cast<size_t>(i)];
    const auto bytes = static_cast<size_t>(len) * sizeof(int64_t);
    if (len == 0) continue;
    std::memcpy(ids + i * len, e.ids.data(), bytes);
    std::memcpy(mask + i * len, e.attention_mask.data(), bytes);
    std::memcpy(types + i * len, e.type_ids.data(), bytes);
  }
  out.encodings = std::move(encodings);
  return out;
}

}  // namespace

BatchEncoding Tokenizer::encode_batch_tensors(const std::vector<std::string>& texts, bool add_special_tokens) const {
  return to_tensors(encode_batch(texts, add_special_tokens));
}

BatchEncoding Tokenizer::encode_batch_tensors(const std::vector<std::pair<std::string, std::string>>& pairs,
                                              bool add_special_tokens) const {
  return to_tensors(encode_batch(pairs, add_special_tokens));
}

// ------------------------------------------------------------------------------------------------

std::optional<int64_t> Tokenizer::token_to_id(std::string_view token) const {
  if (auto id = impl_->added.id_of(token)) return id;
  const int64_t id = impl_->model->token_to_id(token);
  if (id < 0) return std::nullopt;
  return id;
}

std::optional<std::string> Tokenizer::id_to_token(int64_t id) const {
  if (const auto* t = impl_->added.by_id(id)) return t->content;
  if (const std::string* s = impl_->model->id_to_token(id)) return *s;
  return std::nullopt;
}

int64_t Tokenizer::vocab_size(bool with_added_tokens) const {
  int64_t n = impl_->model->vocab_size();
  if (with_added_tokens)
    for (const auto& t : impl_->added.tokens())
      if (impl_->model->id_to_token(t.id) == nullptr) ++n;
  return n;
}

std::string Tokenizer::decode(const std::vector<int64_t>& ids, bool skip_special_tokens) const {
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    if (const auto* t = impl_->added.by_id(ids[i])) {
      if (!(skip_special_tokens && t->special)) tokens.push_back(t->content);
      continue;
    }
    const std::string* s = impl_->model->id_to_token(ids[i]);
    EMBER_CHECK(s != nullptr, "Tokenizer::decode", "id ", ids[i], " at position ", i,
                " is not in the vocabulary (", vocab_size(), " tokens, from ", impl_->source, ")");
    tokens.push_back(*s);
  }
  if (!impl_->decoder) {
    std::string out;
    for (size_t i = 0; i < tokens.size(); ++i) {
      if (i) out += ' ';
      out += tokens[i];
    }
    return out;
  }
  impl_->decoder->decode_chain(tokens);
  std::string out;
  for (const auto& t : tokens) out += t;
  return out;
}

std::string Tokenizer::decode(const Tensor& ids, bool skip_special_tokens) const {
  return decode(detail::tensor_to_ids(ids, "Tokenizer::decode"), skip_special_tokens);
}

std::vector<std::string> Tokenizer::decode_batch(const std::vector<std::vector<int64_t>>& ids,
                                                 bool skip_special_tokens) const {
  std::vector<std::string> out(ids.size());
  parallel_items(ids.size(), [&](size_t i) { out[i] = decode(ids[i], skip_special_tokens); });
  return out;
}

}  // namespace ember::text
