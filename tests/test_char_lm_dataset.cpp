// CharLMDataset and TokenWindows on TinyShakespeare and small texts: split sizes, batch shapes,
// shifted targets, determinism, sequential evaluation windows, and bad input.
#include <gtest/gtest.h>

#include "ember/ember.h"
#include "op_registry.h"
#include "temp_dir.h"

using namespace ember;
using namespace ember::data;
using ember::test::TempDir;

namespace {

const CharLMDataset& shakespeare() {
  static const CharLMDataset ds = CharLMDataset::tinyshakespeare();
  return ds;
}

}  // namespace

TEST(CharLMDataset, TinyShakespeareSplitsAsNanoGPT) {
  const auto& ds = shakespeare();
  EXPECT_EQ(ds.tokenizer().vocab_size(), 65);
  // 1,115,394 characters: int(n * 0.9) = 1,003,854 train, 111,540 validation (nanoGPT's numbers).
  EXPECT_EQ(ds.size(Split::Train), 1003854);
  EXPECT_EQ(ds.size(Split::Val), 111540);
  EXPECT_EQ(ds.ids(Split::Train).dtype(), kInt64);
  EXPECT_EQ(ds.ids(Split::Train).shape(), (Shape{1003854}));
  auto head = ds.ids(Split::Val).narrow(0, 0, 10).to_vector<int64_t>();
  EXPECT_EQ(head, (std::vector<int64_t>{12, 0, 0, 19, 30, 17, 25, 21, 27, 10}));  // "?\n\nGREMIO:"
  EXPECT_EQ(ds.tokenizer().decode(ds.ids(Split::Val).narrow(0, 0, 10)), "?\n\nGREMIO:");
}

TEST(CharLMDataset, SampledBatchesAreShiftedWindows) {
  const auto& ds = shakespeare();
  Generator gen(1337);
  Batch b = ds.sample_batch(Split::Train, 8, 64, gen);
  EXPECT_EQ(b.data.shape(), (Shape{8, 64}));
  EXPECT_EQ(b.target.shape(), (Shape{8, 64}));
  EXPECT_EQ(b.data.dtype(), kInt64);
  EXPECT_EQ(b.target.dtype(), kInt64);
  const auto train = ds.ids(Split::Train).to_vector<int64_t>();
  const auto x = b.data.to_vector<int64_t>(), y = b.target.to_vector<int64_t>();
  // Each row is a window of the split starting at the offset the generator gives.
  Generator replay(1337);
  for (int64_t r = 0; r < 8; ++r) {
    const int64_t start = uniform_int(replay, 0, static_cast<int64_t>(train.size()) - 65);
    for (int64_t t = 0; t < 64; ++t) {
      ASSERT_EQ(x[r * 64 + t], train[start + t]);
      ASSERT_EQ(y[r * 64 + t], train[start + t + 1]);
    }
  }
  // Deterministic from the seed; a different seed gives different windows.
  Generator again(1337), other(7);
  EXPECT_EQ(ds.sample_batch(Split::Train, 8, 64, again).data.to_vector<int64_t>(), x);
  EXPECT_NE(ds.sample_batch(Split::Train, 8, 64, other).data.to_vector<int64_t>(), x);
  // The generator advances: the next batch differs.
  EXPECT_NE(ds.sample_batch(Split::Train, 8, 64, gen).data.to_vector<int64_t>(), x);
}

TEST(CharLMDataset, OffsetsCoverTheWholeSplit) {
  // "abcdefgh" -> train "abcdefg" (7 chars, floor(8 * 0.9)); T = 2 allows offsets 0..4.
  CharLMDataset ds("abcdefgh", 0.9);
  EXPECT_EQ(ds.size(Split::Train), 7);
  EXPECT_EQ(ds.size(Split::Val), 1);
  Generator gen(3);
  Batch b = ds.sample_batch(Split::Train, 400, 2, gen);
  std::set<int64_t> starts;
  auto x = b.data.to_vector<int64_t>(), y = b.target.to_vector<int64_t>();
  for (int64_t r = 0; r < 400; ++r) {
    starts.insert(x[r * 2]);
    EXPECT_EQ(x[r * 2 + 1], x[r * 2] + 1);
    EXPECT_EQ(y[r * 2], x[r * 2] + 1);
    EXPECT_EQ(y[r * 2 + 1], x[r * 2] + 2);
  }
  EXPECT_EQ(starts, (std::set<int64_t>{0, 1, 2, 3, 4}));
}

TEST(CharLMDataset, EvaluationVisitsEveryWindowOnceInOrder) {
  const auto& ds = shakespeare();
  TokenWindows w = ds.windows(Split::Val, 256);
  EXPECT_EQ(w.size(), (111540 - 1) / 256);  // 435 windows
  DataLoader loader = ds.eval_loader(Split::Val, 64, 256);
  EXPECT_EQ(loader.size(), 7);  // 6 full batches of 64 and one of 51
  const auto val = ds.ids(Split::Val).to_vector<int64_t>();
  int64_t window = 0, batches = 0;
  for (const Batch& b : loader) {
    ASSERT_EQ(b.data.size(1), 256);
    EXPECT_EQ(b.data.size(0), batches < 6 ? 64 : 435 - 6 * 64);
    auto x = b.data.to_vector<int64_t>(), y = b.target.to_vector<int64_t>();
    for (int64_t r = 0; r < b.data.size(0); ++r, ++window) {
      ASSERT_EQ(x[r * 256], val[window * 256]);
      ASSERT_EQ(x[r * 256 + 255], val[window * 256 + 255]);
      ASSERT_EQ(y[r * 256 + 255], val[window * 256 + 256]);
    }
    ++batches;
  }
  EXPECT_EQ(window, 435);
  // A second pass gives the same batches (no shuffling).
  auto first = [&] { return (*loader.begin()).data.to_vector<int64_t>(); };
  EXPECT_EQ(first(), first());
}

TEST(CharLMDataset, GivenTokenizerAndJsonRoundTrip) {
  auto tok = text::CharTokenizer::from_json(shakespeare().tokenizer().to_json());
  CharLMDataset ds("To be, or not to be", tok, 0.5);
  EXPECT_EQ(ds.tokenizer(), shakespeare().tokenizer());
  EXPECT_EQ(ds.size(Split::Train), 9);
  EXPECT_EQ(ds.size(Split::Val), 10);
  EXPECT_EMBER_ERROR(CharLMDataset("café", tok), "CharTokenizer::encode", "'é' (U+00E9) at position 3 (byte 3)");
}

TEST(CharLMDataset, BadInput) {
  CharLMDataset ds("abcdefghijklmnopqrst", 0.9);  // 18 train, 2 validation characters
  Generator gen(0);
  EXPECT_EMBER_ERROR(ds.sample_batch(Split::Val, 1, 2, gen), "CharLMDataset::sample_batch", "validation split has 2",
                     "block_size + 1 = 3", "smaller block_size");
  EXPECT_EMBER_ERROR(ds.sample_batch(Split::Train, 1, 18, gen), "train split has 18", "block_size + 1 = 19");
  EXPECT_EMBER_ERROR(ds.sample_batch(Split::Train, 0, 4, gen), "CharLMDataset::sample_batch", "batch_size", "got 0");
  EXPECT_EMBER_ERROR(ds.sample_batch(Split::Train, 2, 0, gen), "block_size must be at least 1, got 0");
  EXPECT_EMBER_ERROR(ds.windows(Split::Val, 2), "CharLMDataset::windows", "validation split has 2");
  EXPECT_EMBER_ERROR(ds.eval_loader(Split::Val, 0, 1), "CharLMDataset::eval_loader", "batch_size");
  EXPECT_EMBER_ERROR(ds.windows(Split::Val, 1).get(1), "TokenWindows::get", "index 1", "1 windows");
  EXPECT_EMBER_ERROR(CharLMDataset("", 0.9), "CharLMDataset", "empty");
  EXPECT_EMBER_ERROR(CharLMDataset("abc", 1.0), "CharLMDataset", "train_fraction", "got 1");
  EXPECT_EMBER_ERROR(CharLMDataset("ab", 0.4), "CharLMDataset", "2 characters", "empty split");
  EXPECT_EMBER_ERROR(TokenWindows(zeros({4}, kFloat32), 2), "TokenWindows", "int64", "float32");
  EXPECT_EMBER_ERROR(TokenWindows(zeros({4}, kInt64), 4, "my stream"), "my stream has 4 tokens", "block_size + 1 = 5");
}

TEST(TextFile, MissingEmptyOrDirectory) {
  TempDir dir;
  EXPECT_EMBER_ERROR(read_text_file(dir.file("missing.txt")), "read_text_file", "missing.txt", "does not exist");
  dir.write("empty.txt", "");
  EXPECT_EMBER_ERROR(read_text_file(dir.file("empty.txt")), "read_text_file", "empty.txt", "is empty");
  EXPECT_EMBER_ERROR(read_text_file(dir.path()), "read_text_file", "is a directory");
  dir.write("ok.txt", std::string("a\0b", 3));
  EXPECT_EQ(read_text_file(dir.file("ok.txt")), std::string("a\0b", 3));
  EXPECT_EMBER_ERROR(CharLMDataset::tinyshakespeare(dir.path()), "tinyshakespeare/input.txt", "does not exist");
}
