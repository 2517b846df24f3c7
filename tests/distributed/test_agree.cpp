// Context::check_agree under mpirun: silent when the ranks agree; when they do not, every rank
// throws the same message naming the ranks that differ and their values.
#include "dist_test_util.h"
#include "op_registry.h"

using namespace ember;
using ember::test::world_ptr;

TEST(CheckAgree, SilentWhenTheRanksAgree) {
  distributed::Context dist(world_ptr());
  EXPECT_NO_THROW(dist.check_agree({{"batch_size", "64"}, {"steps per epoch", "10"}}, "train"));
}

TEST(CheckAgree, NamesTheRanksAndValuesThatDiffer) {
  distributed::Context dist(world_ptr());
  if (dist.size() < 2) GTEST_SKIP() << "needs 2 ranks";
  // Every rank but 0 has another batch size; the steps agree.
  const std::string batch = dist.rank() == 0 ? "64" : "32";
  std::string expect = "train: the ranks disagree on the run: rank(s) 1";
  EXPECT_EMBER_ERROR(dist.check_agree({{"batch_size", batch}, {"steps per epoch", "10"}}, "train"), expect.c_str(),
                     "(batch_size: rank 0 has 64, rank 1 has 32)", "same command line");
  // The group is still usable afterwards (the check's collectives all matched).
  EXPECT_NO_THROW(dist.check_agree({{"epoch", "1"}}, "train"));
}
