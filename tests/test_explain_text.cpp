// Explaining a text classifier (issue 18): the imdb-lstm model from its embeddings, its loading
// from a checkpoint, per-token integrated gradients, and the token renderings.
#include <gtest/gtest.h>

#include <cmath>

#include "ember/autograd.h"
#include "ember/explain/attribution.h"
#include "ember/explain/text_render.h"
#include "ember/ops.h"
#include "ember/recipes/imdb_lstm.h"
#include "ember/train/checkpoint.h"
#include "temp_dir.h"

using namespace ember;

namespace {

std::shared_ptr<recipes::SentimentLSTM> small_lstm(const std::string& pool = "maxmean") {
  Generator gen(7);
  auto net = std::make_shared<recipes::SentimentLSTM>(30, 6, 5, 1, true, 0.0, pool, &gen);
  net->eval();
  return net;
}

}  // namespace

TEST(ExplainText, ForwardEmbeddedIsForwardFromTheEmbeddings) {
  auto net = small_lstm();
  Tensor tokens = tensor<int64_t>({3, 4, 5, 6, 7, 8, 2, 0}, {2, 4});  // second row padded
  Tensor lengths = tensor<int64_t>({4, 3}, {2});
  NoGradGuard ng;
  Tensor a = net->forward(tokens, lengths), b = net->forward_embedded(net->embedding->forward(tokens), lengths);
  EXPECT_TRUE(allclose(a, b, 0, 0)) << a << b;
  EXPECT_THROW(net->forward_embedded(tokens, lengths), Error);  // (B, T) is not (B, T, E)
}

TEST(ExplainText, PerTokenIntegratedGradientsAreComplete) {
  auto net = small_lstm();
  for (auto& p : net->parameters()) p.requires_grad_(false);
  Tensor x;
  {
    NoGradGuard ng;
    x = net->embedding->forward(tensor<int64_t>({5, 9, 2, 17, 4, 11}, {1, 6})).contiguous();  // (1, 6, 6)
  }
  explain::Forward model = [&](const Tensor& in) {
    return log_softmax(net->forward_embedded(in, full({in.size(0)}, 6, kInt64)), 1);
  };
  auto r = explain::integrated_gradients(model, x, {1}, {.steps = 50});
  const double total = sum(r.attributions).item<double>();
  Tensor fx, f0;
  {
    NoGradGuard ng;
    fx = model(x), f0 = model(zeros_like(x));
  }
  const double gap = fx[0][1].item<float>() - f0[0][1].item<float>();
  ASSERT_GT(std::abs(gap), 1e-4);
  EXPECT_NEAR(total, gap, 0.01 * std::abs(gap)) << "attributions " << total << " vs f(x) - f(0) " << gap;
}

TEST(ExplainText, LoadsATrainedCheckpoint) {
  test::TempDir dir;
  auto net = small_lstm("max");
  std::vector<std::string> words;
  for (int i = 0; i < 28; ++i) words.push_back("w" + std::to_string(i));
  const auto vocab = text::WordTokenizer::from_words(words);
  const std::string path = dir.file("imdb.safetensors");
  std::map<std::string, std::string> meta = {
      {"recipe", "imdb-lstm"},
      {"epoch", "1"},
      {"vocab", vocab.to_json()},
      {"config", "epochs=1 embed_dim=6 hidden=5 layers=1 bidirectional=1 dropout=0.3 max_len=3 truncate=tail pool=max"}};
  train::save_checkpoint(path, *net, nullptr, meta);

  recipes::ImdbLstmModel m = recipes::load_imdb_lstm(path);
  EXPECT_EQ(m.max_len, 3);
  EXPECT_TRUE(m.keep_end);
  EXPECT_EQ(m.tokens("w1 w2 w3 w4 zzz"), (std::vector<int64_t>{5, 6, text::WordTokenizer::kUnk}));  // the last 3 (w0 is id 2)
  Tensor tokens = tensor<int64_t>({2, 3, 4}, {1, 3});
  NoGradGuard ng;
  EXPECT_TRUE(allclose(m.net->forward(tokens), net->forward(tokens), 0, 0));

  // A corrupt config names the file and the key; another recipe is refused.
  meta["config"] = "embed_dim=6 hidden=99999999999 layers=1 bidirectional=1 max_len=3 truncate=tail pool=max";
  train::save_checkpoint(path, *net, nullptr, meta);
  try {
    recipes::load_imdb_lstm(path);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("config hidden=99999999999 is not a whole number in [1, 65536]"), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("imdb.safetensors"), std::string::npos) << e.what();
  }
  meta["recipe"] = "mnist-cnn";
  train::save_checkpoint(path, *net, nullptr, meta);
  EXPECT_THROW(recipes::load_imdb_lstm(path), Error);
}

TEST(ExplainText, Renderings) {
  const std::vector<std::string> tokens = {"good", "<b>&'\"", "bad"};
  const std::vector<double> scores = {1.0, 0.0, -0.5};
  const std::string ansi = explain::ansi_tokens(tokens, scores);
  // Full red, white, halfway to blue.
  EXPECT_EQ(ansi, "\x1b[30;48;2;255;50;30mgood\x1b[0m \x1b[30;48;2;255;255;255m<b>&'\"\x1b[0m "
                  "\x1b[30;48;2;148;188;255mbad\x1b[0m");
  const std::string html = explain::html_tokens(tokens, scores, {"Review <1>"});
  EXPECT_NE(html.find("<p class=\"h\">Review &lt;1&gt;</p>"), std::string::npos);
  EXPECT_NE(html.find("&lt;b&gt;&amp;&#39;&quot;</span>"), std::string::npos);
  EXPECT_NE(html.find("title=\"-0.5\">bad</span>"), std::string::npos);
  EXPECT_THROW(explain::ansi_tokens(tokens, {1.0}), Error);
  EXPECT_THROW(explain::html_tokens(tokens, {1.0, NAN, 0.0}, {}), Error);
  test::TempDir dir;
  explain::write_attribution_html(dir.file("a.html"), tokens, scores, {});
  EXPECT_THROW(explain::write_attribution_html("/nonexistent/dir/a.html", tokens, scores, {}), Error);
}
