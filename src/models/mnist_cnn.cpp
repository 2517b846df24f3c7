#include "ember/models/mnist_cnn.h"

#include "ember/ops.h"

namespace ember::models {

MnistCNN::MnistCNN(int64_t fc1_in_, double dropout) : fc1_in(fc1_in_) {
  conv1 = register_module("conv1", std::make_shared<nn::Conv2d>(1, 32, 3, 1));
  conv2 = register_module("conv2", std::make_shared<nn::Conv2d>(32, 64, 3, 1));
  if (dropout > 0) drop1 = register_module("dropout1", std::make_shared<nn::Dropout>(dropout));
  fc1 = register_module("fc1", std::make_shared<nn::Linear>(fc1_in, 128));
  if (dropout > 0) drop2 = register_module("dropout2", std::make_shared<nn::Dropout>(dropout));
  fc2 = register_module("fc2", std::make_shared<nn::Linear>(128, 10));
}

Tensor MnistCNN::forward(const Tensor& x) {
  Tensor h = features(x);                // (N, 128)
  if (drop2) h = drop2->forward(h);
  h = fc2->forward(h);                   // -> (N, 10)
  return log_softmax(h, 1);
}

Tensor MnistCNN::features(const Tensor& x) {
  Tensor h = relu(conv1->forward(x));    // (N, 1, 28, 28) -> (N, 32, 26, 26)
  h = relu(conv2->forward(h));           // -> (N, 64, 24, 24)
  h = max_pool2d(h, {2, 2}, {2, 2});     // -> (N, 64, 12, 12)
  if (drop1) h = drop1->forward(h);
  h = h.view({-1, fc1_in});              // -> (N, 9216)
  return relu(fc1->forward(h));          // -> (N, 128)
}

}  // namespace ember::models
