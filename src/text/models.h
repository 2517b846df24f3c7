#pragma once
// The models of Hugging Face `tokenizers` that Ember reads: WordPiece (BERT), BPE (GPT-2's
// byte-level one, or over characters) and WordLevel. Each tokenizes one pre-tokenized piece.
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "text/gpt2_files.h"
#include "text/pipeline.h"

namespace ember::text::detail {

// (token, id) pairs in any order; ids need not be contiguous. `source` names the file in errors.
using VocabEntries = std::vector<std::pair<std::string, int64_t>>;

struct WordPieceOptions {
  std::string unk_token = "[UNK]";
  std::string continuing_subword_prefix = "##";
  int64_t max_input_chars_per_word = 100;
};
std::unique_ptr<Model> make_wordpiece(const VocabEntries& vocab, const WordPieceOptions& options,
                                      const std::string& source);

struct BpeOptions {
  std::optional<std::string> unk_token;
  std::string continuing_subword_prefix;
  std::string end_of_word_suffix;
  bool fuse_unk = false;
  bool byte_fallback = false;  // unknown characters as <0xXX> byte tokens
  bool ignore_merges = false;  // a piece that is itself a token is not merged up from parts
  // Pieces are bytes (the ByteLevel pre-tokenizer); the vocabulary is in GPT-2's byte-to-unicode
  // spelling.
  bool byte_level = false;
};
// merges: (left, right) token spellings, highest priority first.
std::unique_ptr<Model> make_bpe(const VocabEntries& vocab, const std::vector<std::pair<std::string, std::string>>& merges,
                                const BpeOptions& options, const std::string& source);
// GPT-2's tables as GPT2Tokenizer loads them (byte level, no unk).
std::unique_ptr<Model> make_bpe_from_gpt2(ByteBpeTables tables);

std::unique_ptr<Model> make_word_level(const VocabEntries& vocab, const std::string& unk_token,
                                       const std::string& source);

}  // namespace ember::text::detail
