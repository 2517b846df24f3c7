// CharLMDataset and TokenWindows: nanoGPT-style character LM batches and sequential windows.
#include "ember/data/char_lm.h"

#include <cmath>
#include <cstring>
#include <filesystem>

#include "ember/autograd.h"
#include "ember/data/data_root.h"
#include "ember/data/text_file.h"
#include "ember/data/transforms.h"
#include "ember/error.h"
#include "ember/ops.h"

namespace ember::data {

const char* split_name(Split split) { return split == Split::Train ? "train" : "validation"; }

TokenWindows::TokenWindows(Tensor ids, int64_t block_size, std::string what)
    : ids_(std::move(ids)), block_size_(block_size) {
  EMBER_CHECK(ids_.defined() && ids_.dim() == 1 && ids_.dtype() == kInt64, "TokenWindows",
              "expected a 1-D int64 tensor of token ids, got ",
              ids_.defined() ? shape_str(ids_.shape()) + " " + dtype_name(ids_.dtype()) : std::string("undefined"));
  EMBER_CHECK(block_size_ >= 1, "TokenWindows", "block_size must be at least 1, got ", block_size_);
  EMBER_CHECK(ids_.numel() >= block_size_ + 1, "TokenWindows", "the ", what, " has ", ids_.numel(),
              " tokens, fewer than block_size + 1 = ", block_size_ + 1,
              " (a window needs one more token for its target); use a smaller block_size");
  ids_ = ids_.contiguous();
  num_windows_ = (ids_.numel() - 1) / block_size_;
}

Example TokenWindows::get(int64_t index, Generator&) const {
  EMBER_CHECK(index >= 0 && index < num_windows_, "TokenWindows::get", "index ", index,
              " is out of range for ", num_windows_, " windows");
  NoGradGuard no_grad;
  const int64_t start = index * block_size_;
  return {ids_.narrow(0, start, block_size_), ids_.narrow(0, start + 1, block_size_)};  // (T,), (T,)
}

namespace {

text::CharTokenizer tokenizer_for(const std::string& text) {
  EMBER_CHECK(!text.empty(), "CharLMDataset", "the text is empty");
  return text::CharTokenizer::from_text(text);
}

}  // namespace

CharLMDataset::CharLMDataset(const std::string& text, double train_fraction)
    : CharLMDataset(text, tokenizer_for(text), train_fraction) {}

CharLMDataset::CharLMDataset(const std::string& text, text::CharTokenizer tokenizer, double train_fraction)
    : tokenizer_(std::move(tokenizer)) {
  EMBER_CHECK(train_fraction > 0.0 && train_fraction < 1.0, "CharLMDataset",
              "train_fraction must be strictly between 0 and 1, got ", train_fraction);
  EMBER_CHECK(!text.empty(), "CharLMDataset", "the text is empty");
  Tensor all = tokenizer_.encode_tensor(text);  // (N,): one id per character, not per byte
  const int64_t n = all.numel();
  // floor(n * fraction) in double, as nanoGPT's int(n * 0.9).
  const auto n_train = static_cast<int64_t>(std::floor(static_cast<double>(n) * train_fraction));
  EMBER_CHECK(n_train >= 1 && n_train < n, "CharLMDataset", "a text of ", n, " characters split at ", train_fraction,
              " leaves an empty split; use a longer text");
  train_ = all.narrow(0, 0, n_train);       // (N_train,)
  val_ = all.narrow(0, n_train, n - n_train);  // (N_val,)
}

CharLMDataset CharLMDataset::tinyshakespeare(const std::string& root, double train_fraction) {
  const auto path = std::filesystem::path(resolve_data_root(root)) / "tinyshakespeare" / "input.txt";
  return CharLMDataset(read_text_file(path.string()), train_fraction);
}

void CharLMDataset::check_block(Split split, int64_t block_size, const char* op) const {
  EMBER_CHECK(block_size >= 1, op, "block_size must be at least 1, got ", block_size);
  EMBER_CHECK(size(split) >= block_size + 1, op, "the ", split_name(split), " split has ", size(split),
              " characters, fewer than block_size + 1 = ", block_size + 1,
              " (inputs plus the shifted target); use a smaller block_size or a longer text");
}

Batch CharLMDataset::sample_batch(Split split, int64_t batch_size, int64_t block_size, Generator& gen) const {
  const char* op = "CharLMDataset::sample_batch";
  EMBER_CHECK(batch_size >= 1, op, "batch_size must be at least 1, got ", batch_size);
  check_block(split, block_size, op);
  NoGradGuard no_grad;
  const Tensor& src = ids(split);
  const int64_t* s = src.data_ptr<int64_t>();
  const int64_t last_start = src.numel() - block_size - 1;
  Tensor x = empty({batch_size, block_size}, kInt64);  // (B, T)
  Tensor y = empty({batch_size, block_size}, kInt64);  // (B, T)
  int64_t* px = x.data_ptr<int64_t>();
  int64_t* py = y.data_ptr<int64_t>();
  const size_t row_bytes = static_cast<size_t>(block_size) * sizeof(int64_t);
  for (int64_t b = 0; b < batch_size; ++b) {
    const int64_t start = uniform_int(gen, 0, last_start);
    std::memcpy(px + b * block_size, s + start, row_bytes);
    std::memcpy(py + b * block_size, s + start + 1, row_bytes);
  }
  return {x, y};
}

TokenWindows CharLMDataset::windows(Split split, int64_t block_size) const {
  check_block(split, block_size, "CharLMDataset::windows");
  return TokenWindows(ids(split), block_size, std::string(split_name(split)) + " split");
}

DataLoader CharLMDataset::eval_loader(Split split, int64_t batch_size, int64_t block_size) const {
  EMBER_CHECK(batch_size >= 1, "CharLMDataset::eval_loader", "batch_size must be at least 1, got ", batch_size);
  return DataLoader(windows(split, block_size), {.batch_size = batch_size, .shuffle = false});
}

}  // namespace ember::data
