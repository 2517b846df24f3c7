// Inputs the fuzz harnesses (fuzz/, scripts/fuzz.sh) found to crash, leak or misbehave, kept as
// unit tests so that the gcc builds check them too. Each names its harness.
#include <gtest/gtest.h>

#include "ember/error.h"
#include "ember/train/checkpoint.h"

namespace ember {
namespace {

// fuzz_checkpoint: an "epoch" that is not a count threw std::invalid_argument ("stoll").
TEST(FuzzRegressions, CheckpointEpochNotANumber) {
  for (const char* bad : {"two", "", "-1", "3x", "99999999999999999999999", " 4"}) {
    train::Checkpoint ck{{{"epoch", bad}}};
    EXPECT_THROW((void)ck.epoch(), Error) << bad;
  }
  EXPECT_EQ((train::Checkpoint{{{"epoch", "12"}}}.epoch()), 12);
  EXPECT_EQ(train::Checkpoint{}.epoch(), 0);
}

}  // namespace
}  // namespace ember
