// The bert-classifier recipe's fast parts: its batch-order shuffle against bench/imdb_subset.py (the
// PyTorch anchor must see the same batches) and its bad input. Training itself:
// tests/training/test_bert_classifier_training.cpp.
#include <gtest/gtest.h>

#include <sstream>

#include "ember/recipes/bert_classifier.h"
#include "op_registry.h"

using namespace ember;

// Values printed by bench/imdb_subset.py: shuffle(range(10), 1), shuffle(range(10), 7) and the
// first five of shuffle(range(1000), 3).
TEST(BertClassifierRecipe, ShuffleEqualsThePythonAnchors) {
  EXPECT_EQ(recipes::lcg_shuffle(10, 1), (std::vector<int64_t>{1, 8, 4, 2, 0, 7, 5, 6, 9, 3}));
  EXPECT_EQ(recipes::lcg_shuffle(10, 7), (std::vector<int64_t>{2, 3, 6, 8, 4, 5, 7, 9, 0, 1}));
  std::vector<int64_t> big = recipes::lcg_shuffle(1000, 3);
  EXPECT_EQ(std::vector<int64_t>(big.begin(), big.begin() + 5), (std::vector<int64_t>{334, 516, 956, 443, 311}));
  EXPECT_TRUE(recipes::lcg_shuffle(0, 1).empty());
  EXPECT_EQ(recipes::lcg_shuffle(1, 1), std::vector<int64_t>{0});
}

TEST(BertClassifierRecipe, BadConfigurationsNameTheFlagOrFile) {
  std::ostringstream log;
  recipes::BertClassifierConfig c;
  c.progress = false;
  c.model_dir = "";
  EXPECT_EMBER_ERROR(recipes::train_bert_classifier(c, log), "--model", "required");
  c.model_dir = "no-such-model";  // neither a folder nor one under <data root>/models
  EXPECT_EMBER_ERROR(recipes::train_bert_classifier(c, log), "no-such-model");
  c.model_dir = "/nonexistent/ember-model";
  EXPECT_EMBER_ERROR(recipes::train_bert_classifier(c, log), "/nonexistent/ember-model", "not a directory");
  auto bad = [&](auto set, const char* flag) {
    recipes::BertClassifierConfig b;
    b.model_dir = "/nonexistent/ember-model";
    set(b);
    EXPECT_EMBER_ERROR(recipes::train_bert_classifier(b, log), flag);
  };
  bad([](auto& b) { b.max_len = 1; }, "--max-len");
  bad([](auto& b) { b.eval_max_len = 0; }, "--eval-max-len");
  bad([](auto& b) { b.warmup = 1.5; }, "--warmup");
  bad([](auto& b) { b.lr = -1; }, "--lr");
  bad([](auto& b) { b.batch_size = 0; }, "--batch-size");
  bad([](auto& b) { b.epochs = 0; }, "--epochs");
  bad([](auto& b) { b.weight_decay = -0.1; }, "--weight-decay");
}
