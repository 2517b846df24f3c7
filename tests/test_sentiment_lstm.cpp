// The imdb-lstm recipe's network (recipes::SentimentLSTM): every --pool choice sees only a review's
// real tokens, so its logits do not depend on how much padding its batch adds or on its neighbours;
// a bad pool name is an error naming the flag.
#include <gtest/gtest.h>

#include "ember/ember.h"
#include "ember/recipes/imdb_lstm.h"
#include "op_registry.h"

using namespace ember;

namespace {

// Two reviews of lengths 5 and 2 (pad id 0 after), vocabulary of 20.
Tensor batch_tokens() {
  return tensor(std::vector<int64_t>{3, 7, 9, 4, 11, 5, 8, 0, 0, 0}, {2, 5});  // (B, T) = (2, 5)
}

}  // namespace

TEST(SentimentLSTM, PoolsOnlyTheRealTokens) {
  for (const char* pool : {"max", "mean", "maxmean", "last"}) {
    for (bool bidirectional : {true, false}) {
      manual_seed(7);
      recipes::SentimentLSTM net(20, 6, 4, 1, bidirectional, 0.0, pool);
      net.eval();
      // Shift the LSTM's biases well below zero so many outputs are negative: an unmasked
      // padding position (zero after pad_packed_sequence) would then win a max.
      {
        NoGradGuard ng;
        for (auto& [name, p] : net.named_parameters())
          if (name.find("bias") != std::string::npos) p.sub_(1.5);
      }
      Tensor tokens = batch_tokens();
      Tensor lengths = tensor(std::vector<int64_t>{5, 2}, {2});
      Tensor both = net.forward(tokens, lengths);  // (2, 2)
      ASSERT_EQ(both.shape(), (Shape{2, 2})) << pool;
      // The short review alone, without padding, and then with 3 extra padding columns.
      Tensor alone = net.forward(tokens.narrow(0, 1, 1).narrow(1, 0, 2), lengths.narrow(0, 1, 1));  // (1, 2)
      Tensor padded = net.forward(cat({tokens, zeros({2, 3}, kInt64)}, 1), lengths);                 // (2, 2)
      EXPECT_TRUE(allclose(both.narrow(0, 1, 1), alone, 1e-5, 1e-6)) << pool << " bidirectional=" << bidirectional;
      EXPECT_TRUE(allclose(both, padded, 1e-5, 1e-6)) << pool << " bidirectional=" << bidirectional;
      // forward(tokens) recovers the lengths from the padding.
      EXPECT_TRUE(allclose(net.forward(tokens), both, 0, 0)) << pool;
    }
  }
}

TEST(SentimentLSTM, ClassifierWidthFollowsThePool) {
  manual_seed(3);
  recipes::SentimentLSTM maxmean(20, 6, 4, 1, true, 0.0, "maxmean");
  EXPECT_EQ(maxmean.fc->weight.shape(), (Shape{2, 16}));  // max and mean of 2 directions x 4
  recipes::SentimentLSTM last(20, 6, 4, 1, true, 0.0, "last");
  EXPECT_EQ(last.fc->weight.shape(), (Shape{2, 8}));
}

TEST(SentimentLSTM, GradientsReachTheEmbeddings) {
  manual_seed(5);
  recipes::SentimentLSTM net(20, 6, 4, 1, true, 0.0, "maxmean");
  Tensor lengths = tensor(std::vector<int64_t>{5, 2}, {2});
  Tensor loss = cross_entropy(net.forward(batch_tokens(), lengths), tensor(std::vector<int64_t>{1, 0}, {2}));
  loss.backward();
  Tensor g = net.embedding->weight.grad();  // (20, 6)
  ASSERT_TRUE(g.defined());
  // Tokens of the batch get gradient; the padding id and unused ids get none.
  EXPECT_GT(sum(abs(g.select(0, 3))).item(), 0.0);
  EXPECT_GT(sum(abs(g.select(0, 8))).item(), 0.0);
  EXPECT_EQ(sum(abs(g.select(0, 0))).item(), 0.0);
  EXPECT_EQ(sum(abs(g.select(0, 19))).item(), 0.0);
}

TEST(SentimentLSTM, BadPoolNamesTheFlag) {
  EXPECT_EMBER_ERROR(recipes::SentimentLSTM(20, 6, 4, 1, true, 0.0, "median"), "--pool", "median",
                     "max, mean, maxmean or last");
}
