// A NaN loss on one rank only: every rank makes the trainer's decision (stop or skip) together,
// so none waits in a gradient allreduce the others skipped, and the replicas stay identical.
#include <sstream>

#include "dist_test_util.h"
#include "ember/data/dataset.h"
#include "ember/nn/layers.h"
#include "ember/optim/sgd.h"
#include "ember/train/trainer.h"

using namespace ember;
using ember::test::world;

namespace {

// 4 steps of 16 examples on each rank; rank 1's second step has a NaN loss.
std::string fit(const std::string& nonfinite, std::vector<Tensor>& params) {
  manual_seed(3);
  auto model = std::make_shared<nn::Linear>(4, 2);
  optim::SGD opt(model->parameters(), optim::SGDOptions(0.1));
  auto set = std::make_shared<data::TensorDataset>(randn({64, 4}), randint(0, 2, {64}));
  data::DataLoader loader(set, {.batch_size = 16});
  train::Trainer t(model, opt, {.epochs = 2, .nonfinite = nonfinite, .progress = false});
  int64_t calls = 0;
  std::ostringstream log;
  t.fit(loader, [&](const data::Batch& b) {
    Tensor loss = cross_entropy(model->forward(b.data), b.target);
    if (world().rank() == 1 && calls++ == 1) loss = loss * NAN;
    return train::StepOutput{loss, b.data.size(0)};
  }, {}, &log);
  params = model->parameters();
  return log.str();
}

}  // namespace

TEST(NonFiniteUnderMpirun, EveryRankStopsAtTheSameStep) {
  std::vector<Tensor> params;
  try {
    fit("stop", params);
    ADD_FAILURE() << "rank " << world().rank() << " did not stop";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find(" at epoch 1, step 2; stopped before the optimizer step"), std::string::npos) << m;
    if (world().rank() == 0) EXPECT_NE(m.find("the loss is not finite on another rank"), std::string::npos) << m;
  }
  world().barrier();  // every rank got here: none hangs in a collective
}

TEST(NonFiniteUnderMpirun, EveryRankSkipsTheSameBatch) {
  std::vector<Tensor> params;
  const std::string log = fit("skip", params);
  if (world().rank() == 0) EXPECT_NE(log.find("Skipped 1 of 4 batches of epoch 1"), std::string::npos) << log;
  EXPECT_TRUE(test::same_on_every_rank(params));
}
