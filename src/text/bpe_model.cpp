// The BPE model of tokenizer.json: symbols (bytes under ByteLevel, else characters with the
// optional continuing-subword prefix / end-of-word suffix, unknown ones as the unk token or as
// <0xXX> byte tokens), merged by BpeMerges' ranks as `tokenizers`' BPE does. Results for short
// pieces are cached.
#include <algorithm>
#include <array>
#include <cstdio>
#include <mutex>
#include <unordered_map>

#include "ember/error.h"
#include "text/bpe_merges.h"
#include "text/gpt2_bytes.h"
#include "text/model_vocab.h"
#include "text/models.h"
#include "text/unicode.h"

namespace ember::text::detail {

namespace {

constexpr size_t kMaxCachedPiece = 64;
constexpr size_t kMaxCacheEntries = size_t(1) << 16;

// GPT-2's byte-to-unicode spelling of raw bytes.
std::string spell_bytes(std::string_view bytes) {
  std::string s;
  s.reserve(bytes.size() * 2);
  const auto& table = gpt2_byte_to_unicode();
  for (char b : bytes) append_utf8(s, static_cast<int32_t>(table[static_cast<unsigned char>(b)]));
  return s;
}

VocabEntries spelled_entries(const ByteBpeTables& t) {
  VocabEntries v;
  v.reserve(t.id_to_bytes.size());
  for (size_t id = 0; id < t.id_to_bytes.size(); ++id) v.emplace_back(spell_bytes(t.id_to_bytes[id]), static_cast<int64_t>(id));
  return v;
}

class Bpe : public Model {
 public:
  Bpe(const VocabEntries& vocab, const std::vector<std::pair<std::string, std::string>>& merges, const BpeOptions& o,
      const std::string& source)
      : vocab_(vocab, "BPE", source), o_(o) {
    merges_.reserve(merges.size());
    std::string joined;
    for (size_t rank = 0; rank < merges.size(); ++rank) {
      const auto& [a, b] = merges[rank];
      joined = a + b;
      const int32_t l = vocab_.map.find(a), r = vocab_.map.find(b), m = vocab_.map.find(joined);
      EMBER_CHECK(l >= 0 && r >= 0 && m >= 0, "BPE", source, ": model.merges[", rank, "] (\"", a, "\", \"", b,
                  "\") uses or makes a token missing from model.vocab (\"", l < 0 ? a : r < 0 ? b : joined,
                  "\"); the vocabulary and merges must come from the same model");
      EMBER_CHECK(merges_.add(l, r, static_cast<int32_t>(rank), m), "BPE", source, ": model.merges[", rank, "] (\"", a,
                  "\", \"", b, "\") repeats an earlier merge (the file is corrupt)");
    }
    init(source);
  }

  explicit Bpe(ByteBpeTables t) : vocab_(spelled_entries(t), "BPE", "GPT-2 vocabulary") {
    o_.byte_level = true;
    merges_ = std::move(t.merges);
    init("GPT-2 vocabulary");
  }

  void tokenize(std::string_view piece, std::vector<ModelToken>& out) const override {
    const bool cacheable = piece.size() <= kMaxCachedPiece;
    if (cacheable) {
      std::lock_guard<std::mutex> lock(cache_mu_);
      if (auto it = cache_.find(std::string(piece)); it != cache_.end()) {
        out.insert(out.end(), it->second.begin(), it->second.end());
        return;
      }
    }
    const size_t first = out.size();
    tokenize_uncached(piece, out);
    if (cacheable) {
      std::lock_guard<std::mutex> lock(cache_mu_);
      if (cache_.size() >= kMaxCacheEntries) cache_.clear();  // bounded memory on endless novel input
      cache_.emplace(std::string(piece), std::vector<ModelToken>(out.begin() + static_cast<std::ptrdiff_t>(first), out.end()));
    }
  }

  int64_t vocab_size() const override { return static_cast<int64_t>(vocab_.map.size()); }
  const std::string* id_to_token(int64_t id) const override { return vocab_.token(id); }
  int64_t token_to_id(std::string_view token) const override { return vocab_.map.find(token); }

 private:
  void init(const std::string& source) {
    if (o_.unk_token) unk_id_ = vocab_.map.find(*o_.unk_token);
    if (o_.byte_level) {
      EMBER_CHECK(o_.continuing_subword_prefix.empty() && o_.end_of_word_suffix.empty() && !o_.byte_fallback, "BPE",
                  source, ": a byte-level BPE (ByteLevel pre-tokenizer) with continuing_subword_prefix, "
                  "end_of_word_suffix or byte_fallback is not supported; GPT-2-style models use none of them");
      const auto& table = gpt2_byte_to_unicode();
      for (int b = 0; b < 256; ++b) {
        std::string s;
        append_utf8(s, static_cast<int32_t>(table[b]));
        byte_id_[b] = vocab_.map.find(s);
      }
    }
  }

  int32_t unk() const {
    EMBER_CHECK(unk_id_ >= 0, "BPE", "the unknown token \"", o_.unk_token.value_or(""), "\" is not in the vocabulary (",
                vocab_.source, ")");
    return unk_id_;
  }

  // `tokenizers`' BPE::merge_word: one symbol per character (byte), unknown ones replaced, then
  // merged.
  void tokenize_uncached(std::string_view piece, std::vector<ModelToken>& out) const {
    const auto n = static_cast<uint32_t>(piece.size());
    if (o_.ignore_merges) {
      const int32_t id = o_.byte_level ? vocab_.map.find(spell_bytes(piece)) : vocab_.map.find(piece);
      if (id >= 0) {
        out.push_back({id, 0, n});
        return;
      }
    }
    thread_local std::vector<int32_t> ids;
    thread_local std::vector<uint32_t> starts;
    ids.clear();
    starts.clear();
    int32_t pending_unk = -1;  // a fused (or not yet added) unknown symbol's start
    auto flush_unk = [&] {
      if (pending_unk >= 0) {
        ids.push_back(unk());
        starts.push_back(static_cast<uint32_t>(pending_unk));
        pending_unk = -1;
      }
    };
    auto unknown = [&](uint32_t at) {
      if (!o_.unk_token) return;  // no unk token: the character is dropped, as `tokenizers` does
      if (pending_unk >= 0 && o_.fuse_unk) return;
      flush_unk();
      pending_unk = static_cast<int32_t>(at);
    };
    if (o_.byte_level) {
      for (uint32_t i = 0; i < n; ++i) {
        const int32_t id = byte_id_[static_cast<unsigned char>(piece[i])];
        if (id < 0) {
          unknown(i);
          continue;
        }
        flush_unk();
        ids.push_back(id);
        starts.push_back(i);
      }
    } else {
      std::string s;
      std::vector<int32_t> fallback;
      for (uint32_t pos = 0; pos < n;) {
        size_t len = 1;
        decode_utf8(piece, pos, len);
        const auto end = pos + static_cast<uint32_t>(len);
        s.clear();
        if (pos > 0) s += o_.continuing_subword_prefix;
        s.append(piece.substr(pos, len));
        if (end == n) s += o_.end_of_word_suffix;
        int32_t id = vocab_.map.find(s);
        if (id >= 0) {
          flush_unk();
          ids.push_back(id);
          starts.push_back(pos);
        } else if (o_.byte_fallback && byte_tokens(s, fallback)) {
          flush_unk();
          // Each byte token starts at its byte (clamped to the character when a prefix added bytes).
          for (size_t k = 0; k < fallback.size(); ++k) {
            ids.push_back(fallback[k]);
            starts.push_back(std::min<uint32_t>(pos + static_cast<uint32_t>(k), end - 1));
          }
        } else {
          unknown(pos);
        }
        pos = end;
      }
    }
    flush_unk();
    merges_.apply(ids, &starts);
    for (size_t k = 0; k < ids.size(); ++k) out.push_back({ids[k], starts[k], k + 1 < ids.size() ? starts[k + 1] : n});
  }

  // byte_fallback: the <0xXX> token of each byte of `s`, if the vocabulary has them all.
  bool byte_tokens(const std::string& s, std::vector<int32_t>& found) const {
    found.clear();
    char name[8];
    for (char c : s) {
      std::snprintf(name, sizeof(name), "<0x%02X>", static_cast<unsigned char>(c));
      const int32_t id = vocab_.map.find(name);
      if (id < 0) return false;
      found.push_back(id);
    }
    return true;
  }

  ModelVocab vocab_;
  BpeOptions o_;
  BpeMerges merges_;
  int32_t unk_id_ = -1;
  std::array<int32_t, 256> byte_id_{};
  mutable std::mutex cache_mu_;
  mutable std::unordered_map<std::string, std::vector<ModelToken>> cache_;
};

}  // namespace

std::unique_ptr<Model> make_bpe(const VocabEntries& vocab, const std::vector<std::pair<std::string, std::string>>& merges,
                                const BpeOptions& options, const std::string& source) {
  return std::make_unique<Bpe>(vocab, merges, options, source);
}

std::unique_ptr<Model> make_bpe_from_gpt2(ByteBpeTables tables) { return std::make_unique<Bpe>(std::move(tables)); }

}  // namespace ember::text::detail
