// The autograd engine: seeding, accumulation, graph lifetime, grad mode, detach, diamonds,
// autograd::grad, in-place checks and dtype handling of gradients.
#include <gtest/gtest.h>

#include <cmath>
#include <thread>

#include "op_registry.h"

using namespace ember;

namespace {

std::vector<float> vec(const Tensor& t) { return t.to_vector<float>(); }

void expect_near(const Tensor& got, const std::vector<double>& want, double tol = 1e-5) {
  auto g = got.to_vector<double>();
  ASSERT_EQ(g.size(), want.size());
  for (size_t i = 0; i < g.size(); ++i) EXPECT_NEAR(g[i], want[i], tol * (1 + std::abs(want[i]))) << "at " << i;
}

}  // namespace

TEST(Autograd, BackwardFromScalarSeedsWithOne) {
  Tensor x = tensor({1, 2, 3}).requires_grad_();
  Tensor y = (x * x).sum();
  EXPECT_FALSE(y.is_leaf());
  y.backward();
  EXPECT_EQ(vec(x.grad()), (std::vector<float>{2, 4, 6}));
  // A one-element tensor that is not 0-dim also seeds with one.
  Tensor z = tensor({3}).requires_grad_();
  (z * 5.0).view({1, 1}).backward();
  EXPECT_EQ(vec(z.grad()), (std::vector<float>{5}));
}

TEST(Autograd, BackwardWithGivenGradient) {
  Tensor x = tensor({1, 2, 3}).requires_grad_();
  Tensor y = x * x;
  y.backward(tensor({1, 0.5, -2}));
  EXPECT_EQ(vec(x.grad()), (std::vector<float>{2, 2, -12}));
}

TEST(Autograd, NonScalarBackwardNeedsAGradient) {
  Tensor x = ones({2, 3}).requires_grad_();
  Tensor y = x * 2.0;
  EXPECT_EMBER_ERROR(y.backward(), "backward", "implicitly created only for one-element outputs", "[2, 3]");
  EXPECT_EMBER_ERROR(y.backward(ones({3, 2})), "backward", "[3, 2]", "[2, 3]");
  EXPECT_FALSE(x.grad().defined()) << "a failed backward must not touch .grad";
}

TEST(Autograd, BackwardOnATensorWithoutGradIsAnError) {
  Tensor x = ones({2});
  EXPECT_EMBER_ERROR(x.sum().backward(), "backward", "does not require grad");
  Tensor w = ones({2}).requires_grad_();
  Tensor y;
  {
    NoGradGuard ng;
    y = (w * 2.0).sum();
  }
  EXPECT_EMBER_ERROR(y.backward(), "backward", "no_grad");
}

TEST(Autograd, GradientsAccumulateOverBackwardCalls) {
  Tensor x = tensor({1, 2}).requires_grad_();
  (x * 3.0).sum().backward();
  (x * x).sum().backward();
  EXPECT_EQ(vec(x.grad()), (std::vector<float>{5, 7}));
  // Zeroing in place (as optimizers do) then accumulating again.
  x.grad().zero_();
  (x * 3.0).sum().backward();
  EXPECT_EQ(vec(x.grad()), (std::vector<float>{3, 3}));
  x.set_grad(Tensor());
  (x * 3.0).sum().backward();
  EXPECT_EQ(vec(x.grad()), (std::vector<float>{3, 3}));
}

TEST(Autograd, LeafGradsAreIndependentBuffers) {
  // a + b sends the same gradient tensor to both leaves; their .grad must not alias.
  Tensor a = ones({3}).requires_grad_();
  Tensor b = ones({3}).requires_grad_();
  Tensor g = tensor({1, 2, 3});
  (a + b).backward(g);
  EXPECT_NE(a.grad().impl().storage, b.grad().impl().storage);
  EXPECT_NE(a.grad().impl().storage, g.impl().storage) << "the user's gradient must not become .grad";
  a.grad().zero_();
  EXPECT_EQ(vec(b.grad()), (std::vector<float>{1, 2, 3}));
  EXPECT_EQ(vec(g), (std::vector<float>{1, 2, 3}));
  EXPECT_FALSE(a.grad().requires_grad());
}

TEST(Autograd, SecondBackwardNeedsRetainGraph) {
  Tensor x = tensor({0.5, -1}).requires_grad_();
  Tensor y = x.exp().sum();
  y.backward();
  // (Ember frees every node, so the first node reached raises; PyTorch raises only at nodes with saved tensors.)
  EXPECT_EMBER_ERROR(y.backward(), "backward through the graph a second time", "retain_graph");

  Tensor z = x.exp().sum();
  x.set_grad(Tensor());
  z.backward(Tensor(), /*retain_graph=*/true);
  z.backward();  // the graph is still there, and now it is freed
  expect_near(x.grad(), {2 * std::exp(0.5), 2 * std::exp(-1.0)});
  EXPECT_EMBER_ERROR(z.backward(), "backward through the graph a second time");
}

TEST(Autograd, NoGradGuardStopsRecordingAndRestores) {
  Tensor x = ones({2}).requires_grad_();
  EXPECT_TRUE(GradMode::is_enabled());
  {
    NoGradGuard ng;
    EXPECT_FALSE(GradMode::is_enabled());
    Tensor y = x * 2.0;
    EXPECT_FALSE(y.requires_grad());
    EXPECT_EQ(y.grad_fn(), nullptr);
    {
      EnableGradGuard eg;
      EXPECT_TRUE((x * 2.0).requires_grad());
    }
    EXPECT_FALSE(GradMode::is_enabled());
    {
      NoGradGuard inner;
    }
    EXPECT_FALSE(GradMode::is_enabled()) << "a nested guard restores the outer state";
    x.add_(1.0);  // in-place update of a leaf is allowed under no_grad (optimizer step)
  }
  EXPECT_TRUE(GradMode::is_enabled());
  EXPECT_EQ(vec(x), (std::vector<float>{2, 2}));
  EXPECT_TRUE((x * 2.0).requires_grad());
}

TEST(Autograd, GradModeIsThreadLocal) {
  NoGradGuard ng;
  bool other = false;
  std::thread t([&] { other = GradMode::is_enabled(); });
  t.join();
  EXPECT_TRUE(other);
  EXPECT_FALSE(GradMode::is_enabled());
}

TEST(Autograd, DetachCutsTheGraphButSharesData) {
  Tensor x = tensor({1, 2}).requires_grad_();
  Tensor h = x * 3.0;
  Tensor d = h.detach();
  EXPECT_FALSE(d.requires_grad());
  EXPECT_TRUE(d.is_leaf());
  EXPECT_EQ(d.impl().storage, h.impl().storage);
  // Only the attached path contributes: d(h*d)/dx = 3*d (d treated as a constant).
  (h * d).sum().backward();
  EXPECT_EQ(vec(x.grad()), (std::vector<float>{9, 18}));
  // detach_ turns a non-leaf into a leaf in place.
  Tensor k = x * 2.0;
  k.detach_();
  EXPECT_TRUE(k.is_leaf());
  EXPECT_FALSE(k.requires_grad());
}

TEST(Autograd, DiamondGraphsSumAllPaths) {
  // x -> a -> {b = exp(a), c = sin(a)} -> d = b * c; dd/dx = 2 * (exp(a) sin(a) + exp(a) cos(a))
  Tensor x = tensor({0.3, -0.7}).requires_grad_();
  Tensor a = x * 2.0;
  Tensor d = a.exp() * a.sin();
  d.sum().backward();
  std::vector<double> want;
  for (double xv : {0.3, -0.7}) {
    double av = 2 * static_cast<double>(static_cast<float>(xv));
    want.push_back(2 * (std::exp(av) * std::sin(av) + std::exp(av) * std::cos(av)));
  }
  expect_near(x.grad(), want, 1e-5);

  // One tensor feeding many ops, some twice, with broadcasting: y = x + x*x + exp(x) + (x * w).
  Tensor x2 = tensor({1, 2}).requires_grad_();
  Tensor w = tensor({1, 2, 3, 4, 5, 6}, {3, 2}).requires_grad_();
  Tensor y = (x2 + x2 * x2 + x2.exp() + x2 * w).sum();
  y.backward();
  // dy/dx = 3 * (1 + 2x + e^x) + sum_rows(w); dy/dw = x broadcast over rows
  expect_near(x2.grad(), {3 * (1 + 2 + std::exp(1.0)) + 9, 3 * (1 + 4 + std::exp(2.0)) + 12});
  EXPECT_EQ(vec(w.grad()), (std::vector<float>{1, 2, 1, 2, 1, 2}));
}

TEST(Autograd, DeepChainDoesNotRecurse) {
  // 20000 nodes: the engine must be iterative (no stack overflow) and free the chain without recursion.
  Tensor x = tensor({1}).requires_grad_();
  Tensor y = x;
  for (int i = 0; i < 20000; ++i) y = y * 1.0;
  y.sum().backward();
  EXPECT_EQ(vec(x.grad()), (std::vector<float>{1}));
}

TEST(Autograd, GradReturnsGradientsWithoutTouchingDotGrad) {
  Tensor x = tensor({1, 2}).requires_grad_();
  Tensor w = tensor({3, 4}).requires_grad_();
  Tensor y = (x * w).sum();
  auto g = autograd::grad({y}, {x});
  EXPECT_EQ(vec(g[0]), (std::vector<float>{3, 4}));
  EXPECT_FALSE(x.grad().defined());
  EXPECT_FALSE(w.grad().defined());
  // Several inputs, one of them an intermediate.
  Tensor h = x * 2.0;
  Tensor z = (h * w).sum();
  auto gs = autograd::grad({z}, {h, x, w});
  EXPECT_EQ(vec(gs[0]), (std::vector<float>{3, 4}));
  EXPECT_EQ(vec(gs[1]), (std::vector<float>{6, 8})) << "an input upstream of another input still gets its gradient";
  EXPECT_EQ(vec(gs[2]), (std::vector<float>{2, 4}));
  // Unused inputs.
  Tensor u = ones({2}).requires_grad_();
  Tensor q = (x * 2.0).sum();
  EXPECT_EMBER_ERROR(autograd::grad({q}, {u}, {}, /*retain_graph=*/true), "autograd::grad", "not used",
                     "allow_unused");
  auto gu = autograd::grad({q}, {x, u}, {}, false, false, /*allow_unused=*/true);
  EXPECT_EQ(vec(gu[0]), (std::vector<float>{2, 2}));
  EXPECT_FALSE(gu[1].defined());
  EXPECT_EMBER_ERROR(autograd::grad({(x * 2.0).sum()}, {ones({2})}), "autograd::grad", "require grad");
}

TEST(Autograd, GradOnlyRunsNodesOnThePathToTheInputs) {
  // A branch that does not lead to the requested input must not run (here it would throw).
  Tensor x = tensor({1, 2}).requires_grad_();
  Tensor w = tensor({1, 1}).requires_grad_();
  Tensor bw = w.exp();  // saves its output
  Tensor y = (x * 3.0).sum() + bw.sum();
  {
    NoGradGuard ng;
    bw.add_(1.0);  // would make ExpBackward raise if it ran
  }
  auto g = autograd::grad({y}, {x});
  EXPECT_EQ(vec(g[0]), (std::vector<float>{3, 3}));
}

TEST(Autograd, HigherOrderGradients) {
  Tensor x = tensor({2, -1}).requires_grad_();
  Tensor y = (x * x * x).sum();
  auto g1 = autograd::grad({y}, {x}, {}, false, /*create_graph=*/true);  // 3x^2
  EXPECT_EQ(vec(g1[0]), (std::vector<float>{12, 3}));
  auto g2 = autograd::grad({g1[0].sum()}, {x}, {}, false, true);  // 6x
  EXPECT_EQ(vec(g2[0]), (std::vector<float>{12, -6}));
  auto g3 = autograd::grad({g2[0].sum()}, {x});  // 6
  EXPECT_EQ(vec(g3[0]), (std::vector<float>{6, 6}));
  // backward(create_graph) leaves a differentiable .grad.
  Tensor z = tensor({3}).requires_grad_();
  (z * z).sum().backward(Tensor(), false, /*create_graph=*/true);
  ASSERT_TRUE(z.grad().requires_grad());
  auto gz = autograd::grad({z.grad().sum()}, {z});
  EXPECT_EQ(vec(gz[0]), (std::vector<float>{2}));
}

TEST(Autograd, GraphIsFreedAfterBackward) {
  Tensor x = tensor({1, 2, 3}).requires_grad_();
  std::weak_ptr<TensorImpl> saved;
  std::weak_ptr<Storage> saved_storage;
  Tensor y;
  {
    Tensor h = x * 2.0;  // saved by the mul below
    saved = h.impl_ptr();
    saved_storage = h.impl().storage;
    y = (h * h).sum();
  }
  EXPECT_FALSE(saved.expired()) << "the graph keeps its saved tensors until backward";
  y.backward(Tensor(), /*retain_graph=*/true);
  EXPECT_FALSE(saved.expired()) << "retain_graph keeps them";
  y.backward();
  EXPECT_TRUE(saved.expired()) << "backward without retain_graph frees saved tensors";
  EXPECT_TRUE(saved_storage.expired());

  // Dropping the output frees the whole graph (no reference cycles, even where a node saves its output).
  std::weak_ptr<autograd::Node> node, inner;
  {
    Tensor e = x.exp();
    Tensor s = (e * x.sin()).sum();
    node = s.grad_fn();
    inner = e.grad_fn();
  }
  EXPECT_TRUE(node.expired());
  EXPECT_TRUE(inner.expired());
  // Ops that save their own output (exp, sigmoid, tanh, sqrt, pow) must not form a cycle.
  std::vector<std::function<Tensor(const Tensor&)>> save_output = {
      [](const Tensor& t) { return t.exp(); },     [](const Tensor& t) { return t.sigmoid(); },
      [](const Tensor& t) { return t.tanh(); },    [](const Tensor& t) { return t.abs().sqrt(); },
      [](const Tensor& t) { return ember::pow(t.abs(), t); }, [](const Tensor& t) { return t.relu(); }};
  for (size_t i = 0; i < save_output.size(); ++i) {
    std::weak_ptr<TensorImpl> out_impl;
    {
      Tensor out = save_output[i](x);
      out_impl = out.impl_ptr();
    }
    EXPECT_TRUE(out_impl.expired()) << "op " << i << " keeps its output (and graph) alive";
  }
  // The leaf's AccumulateGrad node lives only as long as some graph uses it.
  std::weak_ptr<autograd::Node> acc = autograd::gradient_edge(x).fn;
  EXPECT_FALSE(acc.expired()) << "y (backwarded, so without saved tensors) still holds its edges";
  y = Tensor();
  EXPECT_TRUE(acc.expired());
}

TEST(Autograd, InPlaceChangeOfSavedTensorIsAnError) {
  Tensor x = tensor({0.5, 1.5}).requires_grad_();
  Tensor y = x.exp();  // saves its output
  Tensor z = (y * 2.0).sum();
  {
    NoGradGuard ng;
    y.mul_(3.0);
  }
  EXPECT_EMBER_ERROR(z.backward(), "ExpBackward", "modified by an in-place operation", "[2]", "version",
                     "clone()");
  // Recorded in-place on a saved input is caught too.
  Tensor a = tensor({1, 2}).requires_grad_();
  Tensor b = a * 1.0;
  Tensor c = b.sin();  // saves b
  b.add_(1.0);         // recorded: b's history moves on, but c's saved b is stale
  EXPECT_EMBER_ERROR(c.sum().backward(), "SinBackward", "modified by an in-place operation");
}

TEST(Autograd, InPlaceOnNonLeafIsRecorded) {
  Tensor x = tensor({1, 2}).requires_grad_();
  Tensor y = x * 2.0;
  y.mul_(x);  // y = 2x^2
  y.add_(1.0);
  EXPECT_EQ(to_string(y), "tensor([3., 9.], grad_fn=<AddBackward0>)");
  y.sum().backward();
  EXPECT_EQ(vec(x.grad()), (std::vector<float>{4, 8}));  // d/dx 2x^2 = 4x
  // y.mul_(y) needs the old y for the gradient but overwrites it: an error, as in PyTorch.
  Tensor z = x * 2.0;
  z.mul_(z);
  EXPECT_EMBER_ERROR(z.sum().backward(), "modified by an in-place operation");
}

TEST(Autograd, InPlaceChangeOfAnOperandNoGradientNeedsIsFine) {
  // z = h * c with c constant: the gradient needs only c, so changing h afterwards is allowed.
  Tensor x = tensor({1, 2}).requires_grad_();
  Tensor h = x * 2.0;
  Tensor c = tensor({3, 4});
  Tensor z = h * c;
  Tensor q = h / c;
  h.add_(1.0);
  (z + q).sum().backward();
  expect_near(x.grad(), {6 + 2.0 / 3, 8 + 0.5});
}

TEST(Autograd, InPlaceOnLeafThatRequiresGradIsRejected) {
  Tensor x = ones({2}).requires_grad_();
  uint64_t v0 = x.version();
  EXPECT_EMBER_ERROR(x.add_(1.0), "add_", "leaf tensor that requires grad", "NoGradGuard");
  EXPECT_EMBER_ERROR(x.mul_(ones({2})), "mul_", "leaf");
  EXPECT_EMBER_ERROR(x.fill_(0), "fill_", "leaf");
  EXPECT_EMBER_ERROR(x.copy_(zeros({2})), "copy_", "leaf");
  EXPECT_EQ(vec(x), (std::vector<float>{1, 1})) << "a rejected in-place op leaves the data alone";
  EXPECT_EQ(x.version(), v0);
}

TEST(Autograd, RequiresGradRules) {
  EXPECT_EMBER_ERROR(ones({2}, kInt64).requires_grad_(), "requires_grad_", "floating-point", "int64");
  Tensor x = ones({2}).requires_grad_();
  Tensor y = x * 2.0;
  EXPECT_EMBER_ERROR(y.requires_grad_(false), "requires_grad_", "leaf", "detach()");
  EXPECT_EMBER_ERROR(x.set_grad(ones({3})), "set_grad", "[3]", "[2]");
  EXPECT_EMBER_ERROR(x.set_grad(ones({2}, kFloat64)), "set_grad", "float64", "float32");
  Tensor z = ones({2});
  EXPECT_EMBER_ERROR(z.retain_grad(), "retain_grad", "does not require grad");
  Tensor made = ones({2}, TensorOptions(kFloat64).with_requires_grad());
  EXPECT_TRUE(made.requires_grad());
  EXPECT_TRUE(made.is_leaf());
}

TEST(Autograd, RetainGradOnIntermediate) {
  Tensor x = tensor({1, 2}).requires_grad_();
  Tensor h = x * 3.0;
  h.retain_grad();
  (h * h).sum().backward();
  EXPECT_EQ(vec(h.grad()), (std::vector<float>{6, 12}));
  EXPECT_EQ(vec(x.grad()), (std::vector<float>{18, 36}));
  Tensor plain = x * 3.0;
  (plain * 1.0).sum().backward();
  EXPECT_FALSE(plain.grad().defined()) << "non-leaf tensors keep no .grad unless asked";
}

TEST(Autograd, GradientsKeepTheInputDtype) {
  Tensor x = tensor(std::vector<double>{1, 2}).requires_grad_();
  Tensor y = x.to(kFloat32) * tensor({3, 4});  // float32 compute
  y.sum().backward();
  EXPECT_EQ(x.grad().dtype(), kFloat64);
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{3, 4}));
  // Mixed-dtype binary op: the float32 input's gradient comes back as float32.
  Tensor a = tensor({1, 2}).requires_grad_();
  Tensor b = tensor(std::vector<double>{5, 6}).requires_grad_();
  (a * b).sum().backward();
  EXPECT_EQ(a.grad().dtype(), kFloat32);
  EXPECT_EQ(b.grad().dtype(), kFloat64);
  EXPECT_EQ(vec(a.grad()), (std::vector<float>{5, 6}));
}

TEST(Autograd, BackwardFromSeveralOutputs) {
  Tensor x = tensor({1, 2}).requires_grad_();
  Tensor y1 = (x * 2.0).sum();
  Tensor y2 = (x * x).sum();
  autograd::backward({y1, y2});
  EXPECT_EQ(vec(x.grad()), (std::vector<float>{4, 6}));
  // One output depends on the other.
  Tensor x2 = tensor({1, 2}).requires_grad_();
  Tensor h = x2 * 3.0;
  Tensor s = h.sum();
  autograd::backward({h, s}, {ones({2}), Tensor()});
  EXPECT_EQ(vec(x2.grad()), (std::vector<float>{6, 6}));
  EXPECT_EMBER_ERROR(autograd::backward({s}, {ones({}), ones({})}), "backward", "1 outputs", "2 gradients");
}

TEST(Autograd, InPlaceOnAViewWhileRecordingIsAClearError) {
  // Ember does not rebase a view's history onto its base (PyTorch does); it refuses instead of
  // computing a wrong gradient. Under no_grad, or on a detached copy, in-place on views is fine.
  Tensor x = tensor({1, 2, 3, 4}).requires_grad_();
  Tensor h = x * 1.0;
  EXPECT_EMBER_ERROR(h[0].mul_(2.0), "mul_", "in-place operations on a view", "clone()");
  EXPECT_EMBER_ERROR(h.view({2, 2}).add_(1.0), "add_", "view", "[2, 2]");
  EXPECT_EMBER_ERROR(x.view({2, 2}).t().add_(1.0), "add_", "view");
  Tensor d = h.detach();
  d[0].add_(10.0);
  EXPECT_EQ(vec(h), (std::vector<float>{11, 2, 3, 4}));
  {
    NoGradGuard ng;
    h[1].mul_(0.0);
  }
  EXPECT_EQ(vec(h), (std::vector<float>{11, 0, 3, 4}));
}
