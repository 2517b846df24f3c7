// Built by installed_package.sh with only `pkg-config --cflags --libs ember`: a gradient and an
// ember::Error, through the installed headers and libember.so.
#include <ember/ember.h>

#include <cstdio>

int main() {
  using namespace ember;
  Tensor x = arange(1, 4, 1, DType::Float32).requires_grad_();  // [1, 2, 3]
  (x * x).sum().backward();                                     // d/dx sum(x^2) = 2x
  std::vector<float> g = x.grad().to_vector<float>();
  std::printf("grad: %g %g %g\n", g[0], g[1], g[2]);
  try {
    zeros({2, 3}).matmul(zeros({4, 5}));
  } catch (const Error& e) {
    std::printf("ember: %s\n", e.what());
  }
  return 0;
}
