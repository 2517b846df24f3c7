// The MPI backend's collectives under mpirun: values for every dtype they accept and several
// sizes, every root, overlapping non-blocking calls, the timeout, and misuse.
#include <chrono>
#include <thread>

#include "dist_test_util.h"
#include "op_registry.h"

using namespace ember;
namespace dist = ember::distributed;
using ember::test::world;

namespace {
const std::vector<int64_t> kSizes = {1, 7, 1000, 100003};
const std::vector<DType> kReducible = {kFloat32, kFloat64, kInt32, kInt64};
// (n,) int64: i % mod.
Tensor iota_mod(int64_t n, int64_t mod) {
  std::vector<int64_t> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[static_cast<size_t>(i)] = i % mod;
  return tensor<int64_t>(v, {n});
}
}  // namespace

TEST(MpiCollectives, RunsUnderMpirunWithTheMpiBackend) {
  EXPECT_TRUE(dist::launched_by_mpi());
  EXPECT_EQ(world().backend(), "mpi");
  EXPECT_GE(world().size(), 1);
  EXPECT_NE(dist::available_backends().find("mpi (plugin "), std::string::npos) << dist::available_backends();
}

TEST(MpiCollectives, AllreduceSumAvgMaxMinProduct) {
  const int W = world().size(), r = world().rank();
  for (DType d : kReducible)
    for (int64_t n : kSizes) {
      SCOPED_TRACE(std::string(dtype_name(d)) + " n=" + std::to_string(n));
      // t[i] = i % 100 + r: the sum is W * (i % 100) + W (W - 1) / 2.
      Tensor base = iota_mod(n, 100);
      Tensor t = (base + r).to(d).contiguous();
      world().allreduce(t, dist::ReduceOp::Sum);
      EXPECT_TRUE(equal(t, (base * W + W * (W - 1) / 2).to(d)));
      Tensor mx = (base + r).to(d).contiguous(), mn = mx.clone();
      world().allreduce(mx, dist::ReduceOp::Max);
      world().allreduce(mn, dist::ReduceOp::Min);
      EXPECT_TRUE(equal(mx, (base + (W - 1)).to(d)));
      EXPECT_TRUE(equal(mn, base.to(d)));
      Tensor p = full({n}, r + 1, d);
      world().allreduce(p, dist::ReduceOp::Product);
      int64_t fact = 1;
      for (int k = 2; k <= W; ++k) fact *= k;
      EXPECT_TRUE(equal(p, full({n}, fact, d)));
      if (is_floating(d)) {
        Tensor a = full({n}, 2.0 * r, d);
        world().allreduce(a, dist::ReduceOp::Avg);
        EXPECT_TRUE(equal(a, full({n}, static_cast<double>(W - 1), d)));
      }
    }
}

TEST(MpiCollectives, BroadcastFromEveryRootForEveryDtype) {
  const int W = world().size(), r = world().rank();
  for (int root = 0; root < W; ++root)
    for (DType d : {kFloat32, kFloat64, kInt32, kInt64, kBool, kFloat16, kBFloat16})
      for (int64_t n : kSizes) {
        SCOPED_TRACE(std::string(dtype_name(d)) + " n=" + std::to_string(n) + " root=" + std::to_string(root));
        // Rank k's data: i % 7 + 10 k, or for bool whether i % (k + 2) == 0.
        auto make = [&](int k) { return d == kBool ? eq(iota_mod(n, k + 2), 0) : (iota_mod(n, 7) + 10 * k).to(d); };
        Tensor mine = make(r).contiguous();
        Tensor want = make(root);
        world().broadcast(mine, root);
        EXPECT_TRUE(equal(mine.to(kFloat32), want.to(kFloat32)));
      }
}

TEST(MpiCollectives, AllgatherAndReduceScatter) {
  const int W = world().size(), r = world().rank();
  for (DType d : kReducible)
    for (int64_t n : kSizes) {
      SCOPED_TRACE(std::string(dtype_name(d)) + " n=" + std::to_string(n));
      Tensor in = (iota_mod(n, 50) + 100 * r).to(d).contiguous();
      Tensor all = world().allgather(in);  // (W, n)
      ASSERT_EQ(all.shape(), (Shape{W, n}));
      for (int k = 0; k < W; ++k) EXPECT_TRUE(equal(all[k], (iota_mod(n, 50) + 100 * k).to(d)));
      // in2: W blocks of n; rank k's block b holds b * 1000 + k (+ i % 50).
      Tensor blocks = (arange(W).unsqueeze(1) * 1000 + iota_mod(n, 50).unsqueeze(0) + r)
                          .to(d).contiguous();  // (W, n)
      Tensor out = zeros({n}, d);
      world().reduce_scatter(out, blocks, dist::ReduceOp::Sum);
      Tensor want = (iota_mod(n, 50) + 1000 * r) * W + W * (W - 1) / 2;
      EXPECT_TRUE(equal(out, want.to(d)));
    }
}

TEST(MpiCollectives, OverlappingNonBlockingCallsAndBarrier) {
  const int W = world().size();
  std::vector<Tensor> ts;
  std::vector<std::shared_ptr<dist::Work>> works;
  for (int i = 0; i < 4; ++i) {
    ts.push_back(full({1000 * (i + 1)}, static_cast<double>(i + 1)));
    works.push_back(world().allreduce_async(ts.back(), dist::ReduceOp::Sum));
  }
  for (int i = 3; i >= 0; --i) works[static_cast<size_t>(i)]->wait();  // any order
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(equal(ts[static_cast<size_t>(i)], full({1000 * (i + 1)}, (i + 1.0) * W)));
  EXPECT_TRUE(works[0]->is_completed());
  world().barrier();
}

TEST(MpiCollectives, AWaitThatOutlivesTheTimeoutThrowsInsteadOfHanging) {
  if (world().size() < 2) GTEST_SKIP() << "needs two ranks";
  dist::ProcessGroup& pg = world();
  const double saved = pg.timeout_seconds();
  Tensor t = ones({16});
  if (pg.rank() == 0) {
    pg.set_timeout_seconds(0.5);
    // Rank 1 joins this allreduce only after 3 s.
    EXPECT_EMBER_ERROR(pg.allreduce(t), "allreduce #", "rank 0 of", "did not complete within 0.5 s", "EMBER_DIST_TIMEOUT");
    pg.set_timeout_seconds(saved);
  } else {
    std::this_thread::sleep_for(std::chrono::seconds(3));
    pg.allreduce(t);  // matches rank 0's abandoned call, which MPI still completes
  }
  pg.barrier();
  if (pg.rank() != 0) {
    EXPECT_TRUE(equal(t, full({16}, static_cast<double>(pg.size()))));
  }
}

TEST(MpiCollectives, MisuseIsAnErrorOnTheCallingRankBeforeAnyCommunication) {
  dist::ProcessGroup& pg = world();
  EXPECT_EMBER_ERROR(pg.broadcast(zeros({2}), pg.size()), "broadcast", "root rank", "outside the group");
  EXPECT_EMBER_ERROR(pg.allreduce(zeros({2}, kFloat16)), "allreduce", "float16", ".to(ember::kFloat32)");
  EXPECT_EMBER_ERROR(pg.allgather(zeros({3}), zeros({3})), "allgather", "size() * n");
  EXPECT_EMBER_ERROR(pg.allreduce(zeros({4, 2}).t()), "allreduce", "not contiguous");
  std::string message;
  std::thread other([&] {
    try {
      pg.barrier();
    } catch (const Error& e) {
      message = e.what();
    }
  });
  other.join();
  EXPECT_NE(message.find("thread other than the one that created the process group"), std::string::npos) << message;
}
