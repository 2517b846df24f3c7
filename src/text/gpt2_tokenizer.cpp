// GPT2Tokenizer: GPT-2's pre-tokenization regex, then rank-ordered BPE per piece (cached).
#include "ember/text/gpt2_tokenizer.h"

#include <filesystem>
#include <mutex>
#include <unordered_map>

#include "ember/error.h"
#include "text/gpt2_files.h"
#include "text/gpt2_pretokenizer.h"
#include "text/token_ids.h"

namespace ember::text {

namespace {

constexpr const char* kEndOfText = "<|endoftext|>";

// Pieces longer than this are not cached: they are rare, and would let one odd input fill the cache.
constexpr size_t kMaxCachedPiece = 64;
constexpr size_t kMaxCacheEntries = size_t(1) << 18;

}  // namespace

struct GPT2Tokenizer::Impl {
  detail::ByteBpeTables t;

  mutable std::mutex cache_mu;
  mutable std::unordered_map<std::string, std::vector<int32_t>> cache;  // piece bytes -> ids

  // Appends the BPE ids of one pre-tokenized piece.
  void encode_piece(std::string_view piece, std::vector<int64_t>& out) const {
    if (piece.size() == 1) {
      out.push_back(t.byte_id[static_cast<unsigned char>(piece[0])]);
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
    std::vector<int32_t> ids(piece.size());
    for (size_t i = 0; i < piece.size(); ++i) ids[i] = t.byte_id[static_cast<unsigned char>(piece[i])];
    t.merges.apply(ids, nullptr);
    out.insert(out.end(), ids.begin(), ids.end());
    if (cacheable) {
      std::lock_guard<std::mutex> lock(cache_mu);
      if (cache.size() >= kMaxCacheEntries) cache.clear();  // bounded memory on endless novel input
      cache.emplace(piece, std::move(ids));
    }
  }

  // Pre-tokenizes and encodes `text` (no special tokens); `base` is its offset in the caller's
  // text, for error messages.
  void encode_ordinary(std::string_view text, size_t base, std::vector<int64_t>& out) const {
    thread_local std::vector<std::pair<uint32_t, uint32_t>> pieces;
    pieces.clear();
    detail::gpt2_split(text, base, /*validate=*/true, "GPT2Tokenizer::encode", pieces);
    for (const auto& [b, e] : pieces) encode_piece(text.substr(b, e - b), out);
  }
};

GPT2Tokenizer GPT2Tokenizer::from_files(const std::string& encoder_json_path, const std::string& vocab_bpe_path) {
  auto impl = std::make_shared<Impl>();
  impl->t = detail::load_gpt2_files(encoder_json_path, vocab_bpe_path, "GPT2Tokenizer");
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
    out.push_back(impl_->t.eot);
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
    out += impl_->t.id_to_bytes[static_cast<size_t>(ids[i])];
  }
  return out;
}

std::string GPT2Tokenizer::decode(const Tensor& ids) const {
  return decode(detail::tensor_to_ids(ids, "GPT2Tokenizer::decode"));
}

int64_t GPT2Tokenizer::vocab_size() const { return static_cast<int64_t>(impl_->t.id_to_bytes.size()); }
int64_t GPT2Tokenizer::eot_token() const { return impl_->t.eot; }
int64_t GPT2Tokenizer::num_merges() const { return static_cast<int64_t>(impl_->t.merges.size()); }

const std::string& GPT2Tokenizer::token_bytes(int64_t id) const {
  EMBER_CHECK(id >= 0 && id < vocab_size(), "GPT2Tokenizer::token_bytes", "id ", id,
              " is out of range for a vocabulary of ", vocab_size());
  return impl_->t.id_to_bytes[static_cast<size_t>(id)];
}

}  // namespace ember::text
