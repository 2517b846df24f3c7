// The tokenizers' encode (and decode) on arbitrary bytes, with fixed small vocabularies written
// once at start-up: GPT-2's byte-level BPE (GPT2Tokenizer and the Tokenizer pipeline), BERT's
// WordPiece (uncased and cased), the character and the word tokenizers. The first byte picks one.
#include <nlohmann/json.hpp>

#include "ember/text/char_tokenizer.h"
#include "ember/text/gpt2_tokenizer.h"
#include "ember/text/tokenizer.h"
#include "ember/text/word_tokenizer.h"
#include "fuzz_util.h"
#include "text/gpt2_bytes.h"

namespace {

using namespace ember;

std::string utf8(char32_t c) {
  std::string s;
  if (c < 0x80) {
    s += static_cast<char>(c);
  } else if (c < 0x800) {
    s += static_cast<char>(0xC0 | (c >> 6)), s += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    s += static_cast<char>(0xE0 | (c >> 12)), s += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (c & 0x3F));
  }
  return s;
}

std::string spell(const std::string& bytes) {
  std::string s;
  for (unsigned char b : bytes) s += utf8(text::detail::gpt2_byte_to_unicode()[b]);
  return s;
}

struct Tokenizers {
  std::optional<text::GPT2Tokenizer> gpt2;
  std::optional<text::Tokenizer> gpt2_pipeline, bert_uncased, bert_cased;
  std::optional<text::CharTokenizer> chars;
  std::optional<text::WordTokenizer> words;
};

const Tokenizers& tokenizers() {
  static const Tokenizers t = [] {
    // GPT-2: the 256 bytes, a few merges of common English pieces, and <|endoftext|>.
    const std::vector<std::pair<std::string, std::string>> merges = {
        {" ", "t"}, {"h", "e"}, {" t", "he"}, {"i", "n"}, {" ", "a"}, {"e", "r"}, {"o", "n"}, {" ", "w"},
        {"r", "e"}, {"in", "g"}, {" ", " "}, {"\n", "\n"}, {"\xc3", "\xa9"}, {" a", "n"}, {" an", "d"}};
    nlohmann::json enc = nlohmann::json::object();
    int64_t id = 0;
    for (int b = 0; b < 256; ++b) enc[spell(std::string(1, static_cast<char>(b)))] = id++;
    std::string bpe = "#version: 0.2\n";
    for (auto& [l, r] : merges) {
      enc[spell(l + r)] = id++;
      bpe += spell(l) + " " + spell(r) + "\n";
    }
    enc["<|endoftext|>"] = id++;
    const std::string enc_path = fuzz::write_scratch("encoder.json", enc.dump());
    const std::string bpe_path = fuzz::write_scratch("vocab.bpe", bpe);
    const std::string vocab = fuzz::write_scratch(
        "vocab.txt",
        "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n!\n,\n.\n?\na\nb\nc\ne\nh\ni\nl\no\nr\nt\nthe\nhello\nworld\n##s\n"
        "##ing\n##ed\n##e\n##l\n##o\nun\n##aff\n##able\ncafe\n\xe4\xb8\xad\n\xc3\xa9\n");
    Tokenizers t;
    t.gpt2.emplace(text::GPT2Tokenizer::from_files(enc_path, bpe_path));
    t.gpt2_pipeline.emplace(text::Tokenizer::from_gpt2_files(enc_path, bpe_path));
    t.bert_uncased.emplace(text::Tokenizer::from_wordpiece_vocab(vocab, true));
    t.bert_cased.emplace(text::Tokenizer::from_wordpiece_vocab(vocab, false));
    t.chars.emplace(text::CharTokenizer::from_text("abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ.,;:!?'\n"));
    t.words.emplace(text::WordTokenizer::build({"the cat sat on the mat", "don't stop, o'clock!"}));
    return t;
  }();
  return t;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const Tokenizers& t = tokenizers();
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  fuzz::expect_errors([&] {
    switch (data[0] % 6) {
      case 0: {
        std::vector<int64_t> ids = t.gpt2->encode(text, {.allow_special = (data[0] & 8) != 0});
        if (t.gpt2->decode(ids) != text) std::abort();  // byte-level BPE loses nothing
        break;
      }
      case 1: (void)t.gpt2_pipeline->decode(t.gpt2_pipeline->encode(text).ids, false); break;
      case 2: (void)t.bert_uncased->decode(t.bert_uncased->encode(text).ids); break;
      case 3: (void)t.bert_cased->decode(t.bert_cased->encode(text, text.substr(text.size() / 2)).ids); break;
      case 4: (void)t.chars->decode(t.chars->encode(text)); break;
      case 5: (void)t.words->decode(t.words->encode(text)); break;
    }
  });
  return 0;
}
