// WordPiece, ByteLevel, BPEDecoder and Sequence decoders, each as its `tokenizers` namesake.
#include "text/decoders.h"

#include "text/gpt2_bytes.h"
#include "text/unicode.h"

namespace ember::text::detail {

namespace {

void replace_all(std::string& s, std::string_view from, std::string_view to) {
  if (from.empty() || s.find(from) == std::string::npos) return;
  std::string out;
  out.reserve(s.size());
  size_t pos = 0;
  for (size_t hit; (hit = s.find(from, pos)) != std::string::npos; pos = hit + from.size()) {
    out.append(s, pos, hit - pos);
    out.append(to);
  }
  out.append(s, pos);
  s.swap(out);
}

class WordPieceDecoder : public Decoder {
 public:
  WordPieceDecoder(std::string prefix, bool cleanup) : prefix_(std::move(prefix)), cleanup_(cleanup) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (size_t i = 0; i < tokens.size(); ++i) {
      std::string& t = tokens[i];
      if (i != 0) {
        if (t.starts_with(prefix_)) {
          t.erase(0, prefix_.size());
        } else {
          t.insert(t.begin(), ' ');
        }
      }
      if (cleanup_) cleanup(t);
    }
  }

 private:
  // `tokenizers`' cleanup, in its order (applied to each token with its leading space).
  static void cleanup(std::string& t) {
    replace_all(t, " .", ".");
    replace_all(t, " ?", "?");
    replace_all(t, " !", "!");
    replace_all(t, " ,", ",");
    replace_all(t, " ' ", "'");
    replace_all(t, " n't", "n't");
    replace_all(t, " 'm", "'m");
    replace_all(t, " do not", " don't");
    replace_all(t, " 's", "'s");
    replace_all(t, " 've", "'ve");
    replace_all(t, " 're", "'re");
  }
  std::string prefix_;
  bool cleanup_;
};

class ByteLevelDecoder : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::string bytes, one;
    for (const std::string& t : tokens) {
      // A token with a character outside GPT-2's table (an added token such as "<|endoftext|>"
      // is inside it; "[CLS]" too) keeps its own bytes.
      if (gpt2_spelling_to_bytes(t, one)) {
        bytes += one;
      } else {
        bytes += t;
      }
    }
    tokens.assign(1, utf8_lossy(bytes));
  }
};

class BpeDecoder : public Decoder {
 public:
  explicit BpeDecoder(std::string suffix) : suffix_(std::move(suffix)) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (size_t i = 0; i < tokens.size(); ++i) replace_all(tokens[i], suffix_, i + 1 == tokens.size() ? "" : " ");
  }

 private:
  std::string suffix_;
};

class DecoderSequence : public Decoder {
 public:
  explicit DecoderSequence(std::vector<std::unique_ptr<Decoder>> parts) : parts_(std::move(parts)) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (const auto& p : parts_) p->decode_chain(tokens);
  }

 private:
  std::vector<std::unique_ptr<Decoder>> parts_;
};

}  // namespace

std::unique_ptr<Decoder> make_wordpiece_decoder(const std::string& prefix, bool cleanup) {
  return std::make_unique<WordPieceDecoder>(prefix, cleanup);
}
std::unique_ptr<Decoder> make_byte_level_decoder() { return std::make_unique<ByteLevelDecoder>(); }
std::unique_ptr<Decoder> make_bpe_decoder(const std::string& suffix) { return std::make_unique<BpeDecoder>(suffix); }
std::unique_ptr<Decoder> make_decoder_sequence(std::vector<std::unique_ptr<Decoder>> parts) {
  return std::make_unique<DecoderSequence>(std::move(parts));
}

}  // namespace ember::text::detail
