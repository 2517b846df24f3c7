#include "ember/models/mnist_student.h"

#include "ember/error.h"
#include "ember/nn/layers.h"

namespace ember::models {

std::shared_ptr<nn::Sequential> make_mnist_student(const MnistStudentSpec& s) {
  EMBER_CHECK(s.kind == "cnn" || s.kind == "mlp", "--student", "expected cnn or mlp, got '", s.kind, "'");
  EMBER_CHECK(s.width >= 0, "--student-width", "must be positive, got ", s.width);
  const int64_t w = with_defaults(s).width;
  auto net = std::make_shared<nn::Sequential>();
  if (s.kind == "cnn") {
    EMBER_CHECK(s.hidden > 0, "--student-hidden", "must be positive, got ", s.hidden);
    net->push_back(std::make_shared<nn::Conv2d>(1, w, 3));      // (N, 1, 28, 28) -> (N, w, 26, 26)
    net->push_back(std::make_shared<nn::ReLU>());
    net->push_back(std::make_shared<nn::MaxPool2d>(2));         // -> (N, w, 13, 13)
    net->push_back(std::make_shared<nn::Conv2d>(w, 2 * w, 3));  // -> (N, 2w, 11, 11)
    net->push_back(std::make_shared<nn::ReLU>());
    net->push_back(std::make_shared<nn::MaxPool2d>(2));         // -> (N, 2w, 5, 5)
    net->push_back(std::make_shared<nn::Flatten>());            // -> (N, 50w)
    net->push_back(std::make_shared<nn::Linear>(2 * w * 5 * 5, s.hidden));
    net->push_back(std::make_shared<nn::ReLU>());
    net->push_back(std::make_shared<nn::Linear>(s.hidden, 10));  // -> (N, 10)
  } else {
    EMBER_CHECK(s.layers >= 0, "--student-layers", "must be non-negative, got ", s.layers);
    net->push_back(std::make_shared<nn::Flatten>());  // (N, 1, 28, 28) -> (N, 784)
    int64_t in = 28 * 28;
    for (int64_t i = 0; i < s.layers; ++i) {
      net->push_back(std::make_shared<nn::Linear>(in, w));  // -> (N, w)
      net->push_back(std::make_shared<nn::ReLU>());
      in = w;
    }
    net->push_back(std::make_shared<nn::Linear>(in, 10));  // -> (N, 10)
  }
  return net;
}

MnistStudentSpec with_defaults(MnistStudentSpec s) {
  if (s.width == 0) s.width = s.kind == "cnn" ? 8 : 64;
  return s;
}

}  // namespace ember::models
