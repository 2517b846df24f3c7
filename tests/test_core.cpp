#include <gtest/gtest.h>

#include "ember/ember.h"

using namespace ember;

TEST(Core, AddBroadcastAndGrad) {
  Tensor a = tensor({1, 2, 3, 4, 5, 6}, {2, 3}).requires_grad_();
  Tensor b = tensor({10, 20, 30}, {3}).requires_grad_();
  Tensor c = (a + b) * a;
  EXPECT_EQ(c.shape(), (Shape{2, 3}));
  auto v = c.to_vector<float>();
  EXPECT_FLOAT_EQ(v[0], 11.f);
  EXPECT_FLOAT_EQ(v[5], 216.f);
  c.sum().backward();
  auto ga = a.grad().to_vector<float>();  // d/da (a+b)*a = 2a + b
  EXPECT_FLOAT_EQ(ga[0], 12.f);
  auto gb = b.grad().to_vector<float>();  // sum over rows of a
  EXPECT_FLOAT_EQ(gb[0], 5.f);
  EXPECT_FLOAT_EQ(gb[2], 9.f);
}

TEST(Core, ViewsShareStorage) {
  Tensor a = arange(0, 6, 1, kFloat32).view({2, 3});
  Tensor t = a.t();
  EXPECT_FALSE(t.is_contiguous());
  EXPECT_FLOAT_EQ(t.contiguous().to_vector<float>()[1], 3.f);
  {
    NoGradGuard ng;
    t.select(0, 1).fill_(7);
  }
  EXPECT_FLOAT_EQ(a.to_vector<float>()[1], 7.f);
}

TEST(Core, InplaceOnSavedTensorIsRejected) {
  Tensor a = tensor({1, 2, 3}).requires_grad_();
  Tensor b = a * 2.0;
  Tensor c = b * b;
  b.add_(1.0);
  try {
    c.sum().backward();
    FAIL() << "expected ember::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("modified by an in-place operation"), std::string::npos) << e.what();
  }
}
