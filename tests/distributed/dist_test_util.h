#pragma once
// Helpers for the tests that run under mpirun (ember_dist_tests).
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "ember/distributed/distributed.h"
#include "ember/ops.h"

namespace ember::test {

inline distributed::ProcessGroup& world() { return *distributed::init_process_group(); }
inline std::shared_ptr<distributed::ProcessGroup> world_ptr() { return distributed::init_process_group(); }

// Largest |a - b| over two lists of tensors of the same shapes.
inline double max_abs_diff(const std::vector<Tensor>& a, const std::vector<Tensor>& b) {
  EXPECT_EQ(a.size(), b.size());
  double m = 0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    EXPECT_EQ(a[i].shape(), b[i].shape()) << "tensor " << i;
    m = std::max(m, (a[i].detach().to(kFloat64) - b[i].detach().to(kFloat64)).abs().max().item<double>());
  }
  return m;
}

// True on every rank when every rank's tensors are bit-identical to rank 0's.
inline bool same_on_every_rank(const std::vector<Tensor>& ts) {
  distributed::ProcessGroup& pg = world();
  bool same = true;
  for (const Tensor& t : ts) {
    Tensor mine = t.detach().contiguous().clone();
    Tensor root = mine.clone();
    pg.broadcast(root, 0);
    if (!equal(mine, root)) same = false;
  }
  Tensor flag = tensor<int32_t>({same ? 0 : 1}, {1});
  pg.allreduce(flag, distributed::ReduceOp::Max);
  return flag.item<int32_t>() == 0;
}

}  // namespace ember::test
