// main() of ember_dist_tests, run by CTest as `mpirun -np 2 ember_dist_tests`: joins the default
// process group, lets rank 0 print GoogleTest's report and the other ranks print only their
// failures (prefixed with the rank), and exits non-zero when any rank had a failure.
#include <gtest/gtest.h>

#include <cstdio>

#include "ember/distributed/process_group.h"
#include "ember/ops.h"

namespace {

class RankFailurePrinter : public testing::EmptyTestEventListener {
 public:
  explicit RankFailurePrinter(int rank) : rank_(rank) {}
  void OnTestPartResult(const testing::TestPartResult& r) override {
    if (r.failed())
      std::fprintf(stderr, "[rank %d] %s:%d: failure\n%s\n", rank_, r.file_name() ? r.file_name() : "?", r.line_number(),
                   r.summary());
  }
  void OnTestEnd(const testing::TestInfo& info) override {
    if (info.result()->Failed())
      std::fprintf(stderr, "[rank %d] FAILED %s.%s\n", rank_, info.test_suite_name(), info.name());
  }

 private:
  int rank_;
};

}  // namespace

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  auto pg = ember::distributed::init_process_group();
  if (pg->rank() != 0) {
    auto& listeners = testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
    listeners.Append(new RankFailurePrinter(pg->rank()));
  }
  int rc = RUN_ALL_TESTS();
  ember::Tensor worst = ember::tensor<int32_t>({rc}, {1});
  pg->allreduce(worst, ember::distributed::ReduceOp::Max);
  if (pg->rank() == 0 && worst.item<int32_t>() != 0 && rc == 0)
    std::fprintf(stderr, "another rank had failures (see its [rank N] lines)\n");
  return worst.item<int32_t>();
}
