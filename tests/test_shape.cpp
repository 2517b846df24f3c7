// Joining, splitting and indexing ops: registry entries for the golden harness, bad-input tests,
// and the properties golden files cannot show (views, gradient shapes, large-size fast paths).
#include <gtest/gtest.h>

#include "op_registry.h"

using namespace ember;
using ember::test::kw_or;
using json = nlohmann::json;

namespace {

// Multi-output ops are compared as the concatenation of their flattened pieces.
Tensor flat_cat(const std::vector<Tensor>& pieces) {
  std::vector<Tensor> flat;
  for (auto& p : pieces) flat.push_back(p.reshape({-1}));
  return cat(flat, 0);
}

EMBER_REGISTER_OP("cat", [](const std::vector<Tensor>& in, const json& kw) { return cat(in, kw_or<int64_t>(kw, "dim", 0)); });
EMBER_REGISTER_OP("stack", [](const std::vector<Tensor>& in, const json& kw) { return stack(in, kw_or<int64_t>(kw, "dim", 0)); });
EMBER_REGISTER_OP("split", [](const std::vector<Tensor>& in, const json& kw) {
  return flat_cat(split(in[0], kw.at("split_size").get<int64_t>(), kw_or<int64_t>(kw, "dim", 0)));
});
EMBER_REGISTER_OP("split_with_sizes", [](const std::vector<Tensor>& in, const json& kw) {
  return flat_cat(split_with_sizes(in[0], kw.at("sizes").get<Shape>(), kw_or<int64_t>(kw, "dim", 0)));
});
EMBER_REGISTER_OP("chunk", [](const std::vector<Tensor>& in, const json& kw) {
  return flat_cat(chunk(in[0], kw.at("chunks").get<int64_t>(), kw_or<int64_t>(kw, "dim", 0)));
});
EMBER_REGISTER_OP("unbind", [](const std::vector<Tensor>& in, const json& kw) {
  return flat_cat(unbind(in[0], kw_or<int64_t>(kw, "dim", 0)));
});
EMBER_REGISTER_OP("index_select", [](const std::vector<Tensor>& in, const json& kw) {
  return index_select(in[0], kw.at("dim").get<int64_t>(), in[1]);
});
EMBER_REGISTER_OP("gather", [](const std::vector<Tensor>& in, const json& kw) {
  return gather(in[0], kw.at("dim").get<int64_t>(), in[1]);
});
EMBER_REGISTER_OP("scatter_add", [](const std::vector<Tensor>& in, const json& kw) {
  return scatter_add(in[0], kw.at("dim").get<int64_t>(), in[1], in[2]);
});
EMBER_REGISTER_OP("tril", [](const std::vector<Tensor>& in, const json& kw) { return tril(in[0], kw_or<int64_t>(kw, "diagonal", 0)); });
EMBER_REGISTER_OP("triu", [](const std::vector<Tensor>& in, const json& kw) { return triu(in[0], kw_or<int64_t>(kw, "diagonal", 0)); });

Tensor idx(std::vector<int64_t> v, Shape shape = {}) { return tensor(v, shape); }

}  // namespace

TEST(ShapeErrors, Cat) {
  EXPECT_EMBER_ERROR(cat({}, 0), "cat", "non-empty");
  EXPECT_EMBER_ERROR(cat({ones({2, 3}), ones({2, 4})}, 0), "cat", "[2, 3]", "[2, 4]", "dimension 1");
  EXPECT_EMBER_ERROR(cat({ones({2, 3}), ones({2, 3, 1})}, 0), "cat", "[2, 3]", "[2, 3, 1]", "number of dims");
  EXPECT_EMBER_ERROR(cat({ones({2, 3}), ones({2, 3})}, 2), "cat", "dimension 2 out of range");
  EXPECT_EMBER_ERROR(cat({ones({}), ones({2})}, 0), "cat", "zero-dimensional");
  EXPECT_EMBER_ERROR(stack({ones({2}), ones({3})}, 0), "stack", "[2]", "[3]", "entry 1");
  EXPECT_EMBER_ERROR(stack({ones({2}), ones({2})}, 2), "stack", "dimension 2 out of range");
}

TEST(ShapeErrors, Split) {
  EXPECT_EMBER_ERROR(split(ones({3, 3}), 0, 0), "split", "split_size", "[3, 3]");
  EXPECT_EMBER_ERROR(split(ones({3, 3}), -1, 0), "split", "non-negative");
  EXPECT_EMBER_ERROR(split(ones({3, 3}), 1, 2), "split", "dimension 2 out of range");
  EXPECT_EMBER_ERROR(split_with_sizes(ones({5}), {2, 2}, 0), "split_with_sizes", "[2, 2]", "sum to 4", "size 5");
  EXPECT_EMBER_ERROR(split_with_sizes(ones({5}), {2, -1, 4}, 0), "split_with_sizes", "non-negative");
  EXPECT_EMBER_ERROR(chunk(ones({3}), 0, 0), "chunk", "greater than 0", "got 0");
  EXPECT_EMBER_ERROR(chunk(ones({3}), -2, 0), "chunk", "greater than 0");
  EXPECT_EMBER_ERROR(unbind(ones({}), 0), "unbind", "0-dim");
}

TEST(ShapeErrors, Index) {
  EXPECT_EMBER_ERROR(index_select(ones({2, 3}), 1, idx({3})), "index_select", "index 3", "dimension 1 with size 3",
                     "[2, 3]");
  EXPECT_EMBER_ERROR(index_select(ones({2, 3}), 0, idx({-1})), "index_select", "index -1");
  EXPECT_EMBER_ERROR(index_select(ones({2, 3}), 0, tensor({0.0f})), "index_select", "int64", "float32");
  EXPECT_EMBER_ERROR(index_select(ones({2, 3}), 0, idx({0, 1}, {1, 2})), "index_select", "1-D", "[1, 2]");
  EXPECT_EMBER_ERROR(index_select(ones({2, 3}), 2, idx({0})), "index_select", "dimension 2 out of range");
  EXPECT_EMBER_ERROR(gather(ones({3, 3}), 1, idx({0})), "gather", "as many dims", "[1]", "[3, 3]");
  EXPECT_EMBER_ERROR(gather(ones({3, 3}), 1, idx({0, 0, 0, 0}, {4, 1})), "gather", "[4, 1]", "[3, 3]", "dimension 0");
  EXPECT_EMBER_ERROR(gather(ones({3, 3}), 1, idx({5}, {1, 1})), "gather", "index 5", "size 3");
  EXPECT_EMBER_ERROR(gather(ones({3, 3}), 1, idx({0}, {1, 1}).to(kInt32)), "gather", "int64", "int32");
  EXPECT_EMBER_ERROR(gather(ones({3, 3}), -3, idx({0}, {1, 1})), "gather", "dimension -3 out of range");
  EXPECT_EMBER_ERROR(scatter_add(ones({3, 3}), 0, idx({0}, {1, 1}), ones({1, 1}, kFloat64)), "scatter_add",
                     "float32", "float64");
  EXPECT_EMBER_ERROR(scatter_add(ones({3, 3}), 0, idx({0, 0}, {1, 2}), ones({1, 1})), "scatter_add", "src", "[1, 1]");
  EXPECT_EMBER_ERROR(scatter_add(ones({3, 3}), 0, idx({3}, {1, 1}), ones({1, 1})), "scatter_add", "index 3");
  EXPECT_EMBER_ERROR(scatter_add(ones({3, 3}), 0, idx({0}, {1}), ones({1})), "scatter_add", "as many dims");
  EXPECT_EMBER_ERROR(scatter_add(ones({2}, kBool), 0, idx({0}), ones({1}, kBool)), "scatter_add", "bool");
  EXPECT_EMBER_ERROR(tril(ones({3})), "tril", "at least 2 dims", "[3]");
  EXPECT_EMBER_ERROR(triu(ones({})), "triu", "at least 2 dims");
}

TEST(Shape, SplitPiecesAreViews) {
  Tensor a = arange(0, 10, 1, kFloat32).view({5, 2});
  auto parts = split(a, 2, 0);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[2].shape(), (Shape{1, 2}));
  {
    NoGradGuard ng;
    parts[1].fill_(-1);
  }
  EXPECT_FLOAT_EQ(a.to_vector<float>()[4], -1.f);  // writes through the view reach a
  auto rows = unbind(a, 1);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].shape(), (Shape{5}));
  EXPECT_FALSE(rows[0].is_contiguous());
  // chunk: ceil-sized pieces, fewer than asked when they run out; empty dims give empty pieces.
  EXPECT_EQ(chunk(ones({6, 1}), 4, 0).size(), 3u);
  EXPECT_EQ(chunk(ones({0, 3}), 2, 0).size(), 2u);
  EXPECT_EQ(split(ones({0, 3}), 0, 0).size(), 1u);
}

TEST(Shape, CatAndStackGradients) {
  Tensor a = ones({2, 3}).requires_grad_(), b = ones({2, 1}).requires_grad_();
  Tensor c = cat({a, b}, 1);
  (c * arange(0, 8, 1, kFloat32).view({2, 4})).sum().backward();
  EXPECT_EQ(a.grad().to_vector<float>(), (std::vector<float>{0, 1, 2, 4, 5, 6}));
  EXPECT_EQ(b.grad().to_vector<float>(), (std::vector<float>{3, 7}));
  Tensor s = stack({a, a}, 0);
  EXPECT_EQ(s.shape(), (Shape{2, 2, 3}));
  EXPECT_EQ(stack({scalar_tensor(1.0), scalar_tensor(2.0)}, 0).shape(), (Shape{2}));
  // Mixed dtypes promote; an int input takes part without needing a gradient.
  Tensor m = cat({ones({1, 2}, kInt64), full({1, 2}, 0.5, kFloat64)}, 0);
  EXPECT_EQ(m.dtype(), kFloat64);
  EXPECT_EQ(m.to_vector<double>(), (std::vector<double>{1, 1, 0.5, 0.5}));
  EXPECT_EQ(cat({zeros({0}), zeros({0})}, 0).shape(), (Shape{0}));
}

TEST(Shape, LargeCatMatchesStridedCopy) {
  // Big enough for the parallel memcpy paths: dim 0 (one row block) and dim 1 (many rows),
  // mixing contiguous inputs with a transposed one that goes through the strided copy.
  Tensor a = randn({300, 257}), b = randn({257, 300}).t(), c = randn({300, 3});
  Tensor out = cat({a, b, c}, 1);
  EXPECT_TRUE(equal(out.narrow(1, 0, 257), a));
  EXPECT_TRUE(equal(out.narrow(1, 257, 257), b));
  EXPECT_TRUE(equal(out.narrow(1, 514, 3), c));
  Tensor d = cat({a, a.neg()}, 0);
  EXPECT_TRUE(equal(d.narrow(0, 300, 300), a.neg()));
}

TEST(Shape, IndexGradientsAccumulateRepeats) {
  Tensor w = ones({4, 3}).requires_grad_();
  Tensor out = index_select(w, 0, idx({1, 1, 3}));
  out.sum().backward();
  EXPECT_EQ(w.grad().to_vector<float>(), (std::vector<float>{0, 0, 0, 2, 2, 2, 0, 0, 0, 1, 1, 1}));
  // scatter_add with src larger than index: src's extra elements get zero gradient.
  Tensor src = ones({2, 3}).requires_grad_();
  Tensor res = scatter_add(zeros({2, 2}), 1, idx({0, 1}, {2, 1}), src);
  EXPECT_EQ(res.to_vector<float>(), (std::vector<float>{1, 0, 0, 1}));
  (res * tensor({1, 2, 3, 4}, {2, 2})).sum().backward();
  EXPECT_EQ(src.grad().to_vector<float>(), (std::vector<float>{1, 0, 0, 4, 0, 0}));
}

TEST(Shape, LargeIndexOpsAgree) {
  // gather along dim 1 with a full index equals index_select when every row uses the same indices;
  // scatter_add of ones counts how often each column is hit. Sizes reach the threaded paths.
  const int64_t R = 512, C = 300, K = 257;
  Tensor a = randn({R, C});
  Tensor cols = randint(0, C, {K});
  Tensor full_idx = cols.unsqueeze(0).expand({R, K}).contiguous();
  EXPECT_TRUE(equal(gather(a, 1, full_idx), index_select(a, 1, cols)));
  Tensor counts = scatter_add(zeros({R, C}), 1, full_idx, ones({R, K}));
  Tensor per_col = index_select(counts, 0, idx({0})).reshape({C});
  auto cv = cols.to_vector<int64_t>();
  std::vector<float> expect(C, 0.f);
  for (auto c : cv) expect[c] += 1.f;
  EXPECT_EQ(per_col.to_vector<float>(), expect);
  EXPECT_TRUE(equal(index_select(counts, 0, idx({R - 1})).reshape({C}), per_col));
}

TEST(Shape, TrilTriuPartition) {
  Tensor a = randn({3, 40, 50});
  for (int64_t k : {-3, 0, 2}) EXPECT_TRUE(equal(tril(a, k) + triu(a, k + 1), a)) << "diagonal " << k;
  Tensor b = ones({2, 3}, kBool);
  EXPECT_EQ(tril(b).to_vector<bool>(), (std::vector<bool>{true, false, false, true, true, false}));
}

TEST(Shape, EmptyTensors) {
  EXPECT_EQ(cat({zeros({2, 0}), zeros({2, 3})}, 1).shape(), (Shape{2, 3}));
  EXPECT_EQ(cat({zeros({0, 3}), zeros({0, 3})}, 0).shape(), (Shape{0, 3}));
  EXPECT_EQ(index_select(zeros({2, 3}), 1, zeros({0}, kInt64)).shape(), (Shape{2, 0}));
  EXPECT_EQ(gather(zeros({2, 3}), 1, zeros({2, 0}, kInt64)).shape(), (Shape{2, 0}));
  EXPECT_EQ(scatter_add(ones({2, 3}), 1, zeros({2, 0}, kInt64), zeros({2, 0})).sum().item<float>(), 6.f);
  EXPECT_EQ(tril(zeros({0, 3})).shape(), (Shape{0, 3}));
  EXPECT_EQ(split(zeros({2, 0}), 1, 1).size(), 1u);
}

TEST(ShapeErrors, BadIndexFoundInsideThreadedKernels) {
  // gather/scatter_add check indices in the kernel's own pass: a bad value deep inside a large
  // index (threaded path) or in a multi-column block must still be reported, never read through.
  Tensor a = randn({512, 300});
  Tensor gi = randint(0, 300, {512, 300});
  {
    NoGradGuard ng;
    gi.select(0, 400).select(0, 7).fill_(300);
  }
  EXPECT_EMBER_ERROR(gather(a, 1, gi), "gather", "index 300", "dimension 1 with size 300");
  EXPECT_EMBER_ERROR(scatter_add(zeros({512, 300}), 1, gi, a), "scatter_add", "index 300");
  Tensor gi0 = randint(0, 512, {512, 300});
  {
    NoGradGuard ng;
    gi0.select(0, 3).select(0, 299).fill_(-1);
  }
  EXPECT_EMBER_ERROR(gather(a, 0, gi0), "gather", "index -1", "dimension 0 with size 512");
  EXPECT_EMBER_ERROR(scatter_add(zeros({512, 300}), 0, gi0, a), "scatter_add", "index -1");
  Tensor small = idx({0, 1, 2, 0, 1, 5}, {1, 3, 2});
  EXPECT_EMBER_ERROR(gather(randn({2, 3, 2}), 1, small), "gather", "index 5");
  EXPECT_EMBER_ERROR(scatter_add(zeros({2, 3, 2}), 1, small, ones({1, 3, 2})), "scatter_add", "index 5");
}

TEST(Shape, LongIndexSelectOnOneDim) {
  // One long index over a 1-D tensor: the element-copy path split across threads.
  Tensor v = arange(0, 1000, 1, kFloat32);
  Tensor ids = randint(0, 1000, {100000});
  auto got = index_select(v, 0, ids).to_vector<float>();
  auto want = ids.to_vector<int64_t>();
  for (size_t i = 0; i < want.size(); ++i) ASSERT_EQ(got[i], static_cast<float>(want[i])) << i;
}
