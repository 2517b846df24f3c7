// Views: golden values and gradients (tests/golden/views.json via the op registry), storage
// sharing, version counters, and the error each view op raises on bad input.
#include <gtest/gtest.h>

#include "op_registry.h"

using namespace ember;
using ember::test::kw_or;
using json = nlohmann::json;

namespace {

using In = const std::vector<Tensor>&;
EMBER_REGISTER_OP("view", [](In in, const json& kw) { return in[0].view(kw.at("shape").get<Shape>()); });
EMBER_REGISTER_OP("reshape", [](In in, const json& kw) { return in[0].reshape(kw.at("shape").get<Shape>()); });
EMBER_REGISTER_OP("reshape_t", [](In in, const json& kw) { return in[0].t().reshape(kw.at("shape").get<Shape>()); });
EMBER_REGISTER_OP("transpose", [](In in, const json& kw) {
  return in[0].transpose(kw.at("dim0").get<int64_t>(), kw.at("dim1").get<int64_t>());
});
EMBER_REGISTER_OP("t", [](In in, const json&) { return in[0].t(); });
EMBER_REGISTER_OP("permute", [](In in, const json& kw) { return in[0].permute(kw.at("dims").get<Shape>()); });
EMBER_REGISTER_OP("narrow", [](In in, const json& kw) {
  return in[0].narrow(kw.at("dim").get<int64_t>(), kw.at("start").get<int64_t>(), kw.at("length").get<int64_t>());
});
EMBER_REGISTER_OP("slice", [](In in, const json& kw) {
  return in[0].slice(kw.at("dim").get<int64_t>(), kw.at("start").get<int64_t>(), kw.at("end").get<int64_t>(),
                     kw_or<int64_t>(kw, "step", 1));
});
EMBER_REGISTER_OP("select", [](In in, const json& kw) {
  return in[0].select(kw.at("dim").get<int64_t>(), kw.at("index").get<int64_t>());
});
EMBER_REGISTER_OP("expand", [](In in, const json& kw) { return in[0].expand(kw.at("shape").get<Shape>()); });
EMBER_REGISTER_OP("squeeze", [](In in, const json&) { return in[0].squeeze(); });
EMBER_REGISTER_OP("squeeze_dim", [](In in, const json& kw) { return in[0].squeeze(kw.at("dim").get<int64_t>()); });
EMBER_REGISTER_OP("unsqueeze", [](In in, const json& kw) { return in[0].unsqueeze(kw.at("dim").get<int64_t>()); });
EMBER_REGISTER_OP("flatten", [](In in, const json& kw) {
  return in[0].flatten(kw_or<int64_t>(kw, "start_dim", 0), kw_or<int64_t>(kw, "end_dim", -1));
});
EMBER_REGISTER_OP("unflatten", [](In in, const json& kw) {
  return in[0].unflatten(kw.at("dim").get<int64_t>(), kw.at("sizes").get<Shape>());
});
EMBER_REGISTER_OP("contiguous_t", [](In in, const json&) { return in[0].t().contiguous(); });
EMBER_REGISTER_OP("chain", [](In in, const json&) {
  // x.permute(1, 0, 2)[1:, 0].unsqueeze(0).expand(2, 2, 4)
  return in[0].permute({1, 0, 2}).slice(0, 1, 3).select(1, 0).unsqueeze(0).expand({2, 2, 4});
});

bool same_storage(const Tensor& a, const Tensor& b) { return a.impl().storage == b.impl().storage; }

}  // namespace

TEST(Views, ShareStorageWithTheirBase) {
  Tensor a = arange(0, 24, 1, kFloat32).view({2, 3, 4});
  std::vector<Tensor> views = {a.view({6, 4}), a.reshape({4, 6}), a.transpose(0, 2), a.permute({2, 0, 1}),
                               a.narrow(1, 1, 2), a.slice(2, 0, 4, 2), a.select(0, 1), a.unsqueeze(0).expand({3, 2, 3, 4}),
                               a.unsqueeze(1).squeeze(), a.unsqueeze(-1).squeeze(-1), a.flatten(), a.unflatten(2, {2, 2}),
                               a.contiguous(), a.detach(), a[1][2]};
  for (auto& v : views) EXPECT_TRUE(same_storage(v, a)) << to_string(v);
  // Writing through a view changes the base.
  a.transpose(0, 2).select(0, 3).fill_(-1);  // a[:, :, 3] = -1
  EXPECT_FLOAT_EQ(a.to_vector<float>()[3], -1.f);
  EXPECT_FLOAT_EQ(a.to_vector<float>()[23], -1.f);
  EXPECT_FLOAT_EQ(a.to_vector<float>()[22], 22.f);
  // Strides and offsets are those PyTorch would give.
  Tensor s = a.slice(2, 1, 4, 2);
  EXPECT_EQ(s.strides(), (Shape{12, 4, 2}));
  EXPECT_EQ(s.storage_offset(), 1);
  EXPECT_EQ(a.select(1, 2).storage_offset(), 8);
  EXPECT_EQ(a.unsqueeze(0).expand({5, 2, 3, 4}).strides(), (Shape{0, 12, 4, 1}));
  EXPECT_EQ(a.transpose(0, 1).unsqueeze(1).strides(), (Shape{4, 24, 12, 1}));
}

TEST(Views, ReshapeCopiesOnlyWhenItMust) {
  Tensor a = arange(0, 12, 1, kFloat32).view({3, 4});
  EXPECT_TRUE(same_storage(a.reshape({2, 6}), a));
  Tensor t = a.t();
  Tensor r = t.reshape({12});  // a transposed (4, 3) cannot be flattened without a copy
  EXPECT_FALSE(same_storage(r, a));
  EXPECT_EQ(r.to_vector<float>(), (std::vector<float>{0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11}));
  EXPECT_TRUE(same_storage(t.reshape({2, 2, 3}), a)) << "splitting the outer dim of a transpose is a view";
  EXPECT_FALSE(same_storage(t.contiguous(), a));
  EXPECT_TRUE(t.contiguous().is_contiguous());
  EXPECT_TRUE(same_storage(a.contiguous(), a));
}

TEST(Views, VersionCounterIsSharedWithViews) {
  Tensor a = zeros({2, 3});
  Tensor v = a[1];
  Tensor w = a.t();
  uint64_t v0 = a.version();
  a.add_(1.0);
  EXPECT_EQ(a.version(), v0 + 1);
  EXPECT_EQ(v.version(), a.version());
  v.mul_(2.0);
  EXPECT_EQ(a.version(), v0 + 2);
  EXPECT_EQ(w.version(), a.version());
  Tensor d = a.detach();
  d.zero_();
  EXPECT_EQ(a.version(), v0 + 3) << "detach() shares the version counter, as in PyTorch";
  EXPECT_EQ(a.clone().version(), 0u) << "a copy has its own counter";
}

TEST(Views, SavedViewModifiedThroughBaseIsDetected) {
  Tensor x = tensor({1, 2, 3, 4}).requires_grad_();
  Tensor h = x * 1.0;  // non-leaf base
  Tensor v = h.view({2, 2});
  Tensor y = (v.sin()).sum();  // SinBackward saves v
  {
    NoGradGuard ng;
    h.add_(1.0);  // same storage as v
  }
  EXPECT_EMBER_ERROR(y.backward(), "SinBackward", "modified by an in-place operation", "[2, 2]");
}

TEST(Views, GradientsFlowThroughChainsOfViews) {
  Tensor x = arange(0, 6, 1, kFloat32).view({2, 3}).detach().requires_grad_();
  // y = x^T[1:, :] expanded and squeezed back: each element of rows 1..2 of x^T used 3 times.
  Tensor y = x.t().slice(0, 1, 3).unsqueeze(0).expand({3, 2, 2}).sum();
  y.backward();
  EXPECT_EQ(x.grad().to_vector<float>(), (std::vector<float>{0, 3, 3, 0, 3, 3}));
}

TEST(Views, DoubleBackwardThroughSliceAndSelect) {
  // Slice/select backward scatters into zeros; with create_graph that scatter must stay differentiable.
  Tensor x = tensor({1, 2, 3}).requires_grad_();
  Tensor y = x.slice(0, 1, 3).pow(3).sum() + x.select(0, 0).pow(2);
  auto g = autograd::grad({y}, {x}, {}, false, /*create_graph=*/true);  // [2 x0, 3 x1^2, 3 x2^2]
  EXPECT_EQ(g[0].to_vector<float>(), (std::vector<float>{2, 12, 27}));
  ASSERT_TRUE(g[0].requires_grad());
  auto gg = autograd::grad({g[0].sum()}, {x});  // [2, 6 x1, 6 x2]
  EXPECT_EQ(gg[0].to_vector<float>(), (std::vector<float>{2, 12, 18}));
}

TEST(ViewErrors, NameTheOpAndShapes) {
  Tensor a = zeros({2, 3, 4});
  EXPECT_EMBER_ERROR(a.view({5, 5}), "view", "[5, 5]", "[2, 3, 4]", "24");
  EXPECT_EMBER_ERROR(a.view({-1, -1}), "view", "only one dimension can be inferred", "[-1, -1]");
  EXPECT_EMBER_ERROR(a.view({-1, 5}), "view", "[-1, 5]", "[2, 3, 4]");
  EXPECT_EMBER_ERROR(a.view({-2, 12}), "view", "invalid size -2", "[-2, 12]");
  EXPECT_EMBER_ERROR(a.transpose(0, 1).view({24}), "view", "[24]", "[3, 2, 4]", "reshape()");
  EXPECT_EMBER_ERROR(a.reshape({7, -1}), "reshape", "[7, -1]", "[2, 3, 4]");
  EXPECT_EMBER_ERROR(a.transpose(0, 3), "transpose", "dimension 3 out of range", "3 dims");
  EXPECT_EMBER_ERROR(a.t(), "t", "<= 2 dims", "[2, 3, 4]");
  EXPECT_EMBER_ERROR(a.permute({0, 1}), "permute", "[0, 1]", "[2, 3, 4]");
  EXPECT_EMBER_ERROR(a.permute({0, 1, 1}), "permute", "repeats", "[0, 1, 1]");
  EXPECT_EMBER_ERROR(a.permute({0, 1, 5}), "permute", "dimension 5 out of range");
  EXPECT_EMBER_ERROR(a.narrow(1, 2, 2), "narrow", "start 2", "length 2", "size 3", "[2, 3, 4]");
  EXPECT_EMBER_ERROR(a.narrow(1, 0, -1), "narrow", "length -1");
  EXPECT_EMBER_ERROR(a.narrow(5, 0, 1), "narrow", "dimension 5 out of range");
  EXPECT_EMBER_ERROR(a.slice(1, 0, 2, 0), "slice", "step must be positive, got 0", "[2, 3, 4]");
  EXPECT_EMBER_ERROR(a.slice(3, 0, 2), "slice", "dimension 3 out of range");
  EXPECT_EMBER_ERROR(a.select(2, 4), "select", "index 4", "size 4", "[2, 3, 4]");
  EXPECT_EMBER_ERROR(a.select(0, -3), "select", "index -3", "[2, 3, 4]");
  EXPECT_EMBER_ERROR(zeros({}).select(0, 0), "select", "0-dim");
  EXPECT_EMBER_ERROR(a[5], "select", "index 5", "[2, 3, 4]");
  EXPECT_EMBER_ERROR(a.expand({2, 5, 4}), "expand", "expanded size 5", "existing size 3", "[2, 5, 4]", "[2, 3, 4]");
  EXPECT_EMBER_ERROR(a.expand({3, 4}), "expand", "[3, 4]", "[2, 3, 4]");
  EXPECT_EMBER_ERROR(a.expand({-1, 2, 3, 4}), "expand", "-1", "[-1, 2, 3, 4]");
  EXPECT_EMBER_ERROR(a.squeeze(3), "squeeze", "dimension 3 out of range");
  EXPECT_EMBER_ERROR(a.unsqueeze(4), "unsqueeze", "dimension 4 out of range");
  EXPECT_EMBER_ERROR(a.unsqueeze(-5), "unsqueeze", "dimension -5 out of range");
  EXPECT_EMBER_ERROR(a.flatten(2, 1), "flatten", "start_dim 2", "end_dim 1");
  EXPECT_EMBER_ERROR(a.flatten(0, 3), "flatten", "dimension 3 out of range");
  EXPECT_EMBER_ERROR(a.unflatten(2, {3, 2}), "unflatten", "[3, 2]", "size 4", "[2, 3, 4]");
  EXPECT_EMBER_ERROR(a.unflatten(2, {-1, 3}), "unflatten", "[-1, 3]", "size 4", "[2, 3, 4]");
  EXPECT_EMBER_ERROR(a.unflatten(3, {1, 1}), "unflatten", "dimension 3 out of range");
  EXPECT_EMBER_ERROR(Tensor().view({1}), "undefined");
}

TEST(Views, ZeroSizedAndScalarViews) {
  Tensor e = zeros({0, 3});
  EXPECT_EQ(e.view({3, 0}).shape(), (Shape{3, 0}));
  EXPECT_EQ(e.reshape({-1, 3}).shape(), (Shape{0, 3}));
  EXPECT_EMBER_ERROR(e.view({-1, 0}), "view", "[-1, 0]");  // -1 is ambiguous with a 0 elsewhere
  EXPECT_EQ(e.t().shape(), (Shape{3, 0}));
  EXPECT_EQ(e.slice(0, 0, 5).shape(), (Shape{0, 3}));
  Tensor s = scalar_tensor(2.5);
  EXPECT_EQ(s.view({1, 1}).shape(), (Shape{1, 1}));
  EXPECT_EQ(s.unsqueeze(0).shape(), (Shape{1}));
  EXPECT_EQ(s.flatten().shape(), (Shape{1}));
  EXPECT_EQ(s.squeeze().shape(), (Shape{}));
  EXPECT_EQ(s.t().shape(), (Shape{}));
  EXPECT_EQ(s.expand({2, 2}).to_vector<float>(), (std::vector<float>{2.5, 2.5, 2.5, 2.5}));
}
