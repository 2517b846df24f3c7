// models::SentenceTransformer: all-MiniLM-L6-v2's embeddings of 200 texts against sentence-transformers'
// (tests/golden/models/gen_minilm_embeddings.py, PyTorch 2.x), its token ids against `tokenizers`',
// pooling against direct formulas (and finite differences), and bad folders.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <functional>
#include <fstream>
#include <nlohmann/json.hpp>

#include "ember/autograd.h"
#include "ember/data/data_root.h"
#include "ember/io/safetensors.h"
#include "ember/models/sentence_transformer.h"
#include "ember/ops.h"
#include "released_models.h"
#include "temp_dir.h"

using namespace ember;
namespace fs = std::filesystem;

namespace {

nlohmann::json golden_json() {
  std::ifstream f(std::string(EMBER_GOLDEN_DIR) + "/models/minilm_embeddings.json");
  return nlohmann::json::parse(f);
}

}  // namespace

TEST(SentenceTransformer, MiniLMEqualsSentenceTransformersOn200Texts) {
  std::string dir = test::minilm_dir("modules.json");
  if (dir.empty()) GTEST_SKIP() << "<data root>/models/all-MiniLM-L6-v2 not found (set EMBER_DATA)";
  auto st = models::SentenceTransformer::from_pretrained(dir);
  EXPECT_EQ(st.max_seq_length(), 256);
  EXPECT_EQ(st.dimension(), 384);
  EXPECT_TRUE(st.normalizes());
  nlohmann::json g = golden_json();
  std::vector<std::string> texts = g["texts"].get<std::vector<std::string>>();
  ASSERT_EQ(texts.size(), 200u);
  // Token ids: the tokenizer (truncated at max_seq_length, unpadded) against `tokenizers`'.
  text::Tokenizer tok = st.tokenizer();
  tok.no_padding();
  for (size_t i = 0; i < texts.size(); ++i)
    ASSERT_EQ(tok.encode(texts[i]).ids, g["ids"][i].get<std::vector<int64_t>>()) << "text " << i;
  Tensor want = io::load_safetensors(std::string(EMBER_GOLDEN_DIR) + "/models/minilm_embeddings.safetensors")
                    .at("embeddings");
  Tensor got = st.encode(texts, 32);
  ASSERT_EQ(got.shape(), want.shape());
  double worst = max(abs(sub(got, want))).item<float>();
  std::cout << "all-MiniLM-L6-v2, 200 texts: max |ember - sentence-transformers| = " << worst << "\n";
  EXPECT_LE(worst, 1e-5);
  // Batching does not change a text's embedding beyond rounding.
  Tensor one_by_one = st.encode({texts[8], texts[199]}, 1);
  EXPECT_LE(max(abs(sub(one_by_one.select(0, 0), got.select(0, 8)))).item<float>(), 1e-5);
  EXPECT_LE(max(abs(sub(one_by_one.select(0, 1), got.select(0, 199)))).item<float>(), 1e-5);
}

TEST(SentenceTransformer, PoolingModesMatchTheirFormulas) {
  // hidden (2, 3, 2); the second sequence has one padding position.
  Tensor h = tensor({1.f, 2.f, 3.f, -4.f, 5.f, 6.f, 7.f, 8.f, -9.f, 10.f, 100.f, 100.f}).reshape({2, 3, 2});
  Tensor mask = tensor(std::vector<int64_t>{1, 1, 1, 1, 1, 0}).reshape({2, 3});
  models::PoolingConfig c;
  c.word_embedding_dimension = 2;
  c.cls_token = c.mean_tokens = c.max_tokens = c.mean_sqrt_len_tokens = true;
  Tensor p = models::pool(c, h, mask);  // (2, 8): cls | max | mean | mean * sqrt(n) / n
  ASSERT_EQ(p.shape(), (Shape{2, 8}));
  std::vector<float> want = {1, 2, 5, 6, 3, 4.f / 3, 9 / std::sqrt(3.f), 4 / std::sqrt(3.f),
                             7, 8, 7, 10, -1, 9, -2 / std::sqrt(2.f), 18 / std::sqrt(2.f)};
  for (int64_t i = 0; i < 16; ++i) EXPECT_NEAR(p.reshape({16}).select(0, i).item<float>(), want[i], 1e-5) << i;
}

TEST(SentenceTransformer, MeanPoolingGradientMatchesFiniteDifferences) {
  models::PoolingConfig c;
  c.word_embedding_dimension = 3;
  Tensor h = randn({2, 4, 3}, kFloat64).requires_grad_(true);
  Tensor mask = tensor(std::vector<int64_t>{1, 1, 0, 0, 1, 1, 1, 1}).reshape({2, 4});
  Tensor w = randn({2, 3}, kFloat64);
  sum(mul(models::pool(c, h, mask), w)).backward();
  Tensor g = h.grad();
  const double eps = 1e-6;
  for (int64_t i = 0; i < h.numel(); ++i) {
    Tensor hp = h.detach().clone(), hm = h.detach().clone();
    hp.reshape({-1}).select(0, i).add_(Scalar(eps));
    hm.reshape({-1}).select(0, i).sub_(Scalar(eps));
    double fd = (sum(mul(models::pool(c, hp, mask), w)).item<double>() -
                 sum(mul(models::pool(c, hm, mask), w)).item<double>()) / (2 * eps);
    EXPECT_NEAR(g.reshape({-1}).select(0, i).item<double>(), fd, 1e-6) << i;
  }
}

TEST(SentenceTransformer, BadInputIsAClearError) {
  test::TempDir tmp;
  auto expect_error = [](const std::function<void()>& f, const std::string& needle) {
    try {
      f();
      ADD_FAILURE() << "no error; expected one naming '" << needle << "'";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  expect_error([&] { models::SentenceTransformer::from_pretrained(tmp.file("none")); }, "is not a folder");
  expect_error([&] { models::PoolingConfig::from_json("{\"word_embedding_dimension\": 4}", "p.json"); },
               "no pooling mode");
  expect_error([&] {
    models::PoolingConfig::from_json("{\"word_embedding_dimension\": 4, \"pooling_mode_lasttoken\": true}", "p.json");
  }, "pooling_mode_lasttoken");
  tmp.write("modules.json", R"([{"idx": 0, "name": "0", "path": "../x", "type": "sentence_transformers.models.Transformer"}])");
  expect_error([&] { models::SentenceTransformer::from_pretrained(tmp.path()); }, "leaves the model folder");
  tmp.write("modules.json", R"([{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Dense"}])");
  expect_error([&] { models::SentenceTransformer::from_pretrained(tmp.path()); }, "Dense");
  models::PoolingConfig c;
  c.word_embedding_dimension = 4;
  expect_error([&] { models::pool(c, zeros({2, 3, 5}), zeros({2, 3})); }, "word_embedding_dimension");
  expect_error([&] { models::pool(c, zeros({2, 3, 4}), zeros({2, 4})); }, "attention_mask");
}
