#pragma once
// Character-level language-model data (nanoGPT's shakespeare_char): the text is encoded with a
// CharTokenizer, its first 90% of characters is the training split and the rest validation.
//
//   auto data = data::CharLMDataset::tinyshakespeare();        // 65 characters
//   Generator gen(1337);
//   Batch b = data.sample_batch(Split::Train, 64, 256, gen);   // data, target: (64, 256) int64
//   for (const Batch& v : data.eval_loader(Split::Val, 64, 256)) ...   // every window once
#include <cstdint>
#include <string>

#include "ember/data/dataloader.h"
#include "ember/data/dataset.h"
#include "ember/text/char_tokenizer.h"

namespace ember::data {

enum class Split { Train, Val };
const char* split_name(Split split);  // "train", "validation"

// A token stream cut into consecutive windows of block_size: window i is
// data = ids[i*T, (i+1)*T), target = ids[i*T + 1, (i+1)*T + 1) (the next token at each place).
// There are (N - 1) / T windows (the tail that does not fill one is left out).
class TokenWindows : public Dataset {
 public:
  // ids: (N,) int64; needs N >= block_size + 1.
  TokenWindows(Tensor ids, int64_t block_size, std::string what = "token stream");
  int64_t size() const override { return num_windows_; }
  using Dataset::get;
  Example get(int64_t index, Generator& gen) const override;  // data, target: (T,) int64 views
  int64_t block_size() const { return block_size_; }

 private:
  Tensor ids_;
  int64_t block_size_, num_windows_;
};

class CharLMDataset {
 public:
  // Builds the tokenizer from all of `text` (as nanoGPT does, so validation has no unknown
  // characters), then splits at floor(len * train_fraction) characters.
  explicit CharLMDataset(const std::string& text, double train_fraction = 0.9);
  // With a given tokenizer (e.g. restored from a checkpoint); every character of text must be in it.
  // `text` is UTF-8; lengths and the split count characters (code points), as Python's str.
  CharLMDataset(const std::string& text, text::CharTokenizer tokenizer, double train_fraction = 0.9);
  // <root>/tinyshakespeare/input.txt; an empty root is resolved with resolve_data_root().
  static CharLMDataset tinyshakespeare(const std::string& root = "", double train_fraction = 0.9);

  const text::CharTokenizer& tokenizer() const { return tokenizer_; }
  const Tensor& ids(Split split) const { return split == Split::Train ? train_ : val_; }  // (N,) int64
  int64_t size(Split split) const { return ids(split).numel(); }

  // batch_size windows of block_size tokens at offsets drawn uniformly from [0, N - T - 1]
  // with `gen` (one draw per row, in order): data (B, T) and target (B, T), the target the data
  // shifted by one token. Same generator state, same batch.
  Batch sample_batch(Split split, int64_t batch_size, int64_t block_size, Generator& gen) const;
  // The split as consecutive non-overlapping windows (see TokenWindows), for evaluation.
  TokenWindows windows(Split split, int64_t block_size) const;
  // A DataLoader over windows(split, block_size) in order, batches of batch_size (the last may
  // be smaller): every window of the split exactly once.
  DataLoader eval_loader(Split split, int64_t batch_size, int64_t block_size) const;

 private:
  void check_block(Split split, int64_t block_size, const char* op) const;
  text::CharTokenizer tokenizer_;
  Tensor train_, val_;
};

}  // namespace ember::data
