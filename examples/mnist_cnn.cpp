// The seed's PyTorch program, line for line, in Ember. Run: ./build/examples/mnist_cnn [data_root]
// [max_batches] (max_batches > 0 stops the first epoch after that many batches: a quick check).
//
// One fix: the seed flattens to 64 * 7 * 7, which is wrong for 28x28 MNIST input. Two unpadded 3x3
// convolutions take 28 -> 26 -> 24 and the 2x2 pool 24 -> 12, so fc1 needs 64 * 12 * 12 inputs.
// With the seed's number, x.view({-1, 64 * 7 * 7}) throws ember::Error naming both shapes.
#include <ember/data/data.h>
#include <ember/ember.h>
#include <ember/nn/layers.h>
#include <ember/optim.h>

#include <cstdio>
#include <cstdlib>

using namespace ember;

struct Net : nn::Module {
  std::shared_ptr<nn::Conv2d> conv1, conv2;
  std::shared_ptr<nn::Linear> fc1, fc2;
  Net() {
    conv1 = register_module("conv1", std::make_shared<nn::Conv2d>(1, 32, 3, 1));
    conv2 = register_module("conv2", std::make_shared<nn::Conv2d>(32, 64, 3, 1));
    fc1 = register_module("fc1", std::make_shared<nn::Linear>(64 * 12 * 12, 128));
    fc2 = register_module("fc2", std::make_shared<nn::Linear>(128, 10));
  }
  Tensor forward(const Tensor& input) override {
    Tensor x = relu(conv1->forward(input));
    x = relu(conv2->forward(x));
    x = max_pool2d(x, {2, 2}, {2, 2});
    x = x.view({-1, 64 * 12 * 12});
    x = relu(fc1->forward(x));
    x = fc2->forward(x);
    return log_softmax(x, 1);
  }
};

int main(int argc, char** argv) {
  try {
    std::string root = data::resolve_data_root(argc > 1 ? argv[1] : "");
    long max_batches = 0;
    if (argc > 2) {
      char* end = nullptr;
      max_batches = std::strtol(argv[2], &end, 10);
      if (*end != '\0' || max_batches <= 0) {
        std::fprintf(stderr, "error: max_batches: expected a positive integer, got '%s'\n", argv[2]);
        return 2;
      }
    }
    data::MNIST train_set(root, /*train=*/true, data::Normalize({0.1307}, {0.3081}));
    data::DataLoader trainloader(train_set, {.batch_size = 64, .shuffle = true, .num_workers = 1});

    auto net = std::make_shared<Net>();
    auto criterion = [](const Tensor& out, const Tensor& target) { return cross_entropy(out, target); };
    optim::SGD optimizer(net->parameters(), optim::SGDOptions(0.01).momentum(0.9));
    for (int epoch = 0; epoch < 10; ++epoch) {
      double running_loss = 0.0;
      long batches = 0;
      for (const data::Batch& batch : trainloader) {
        if (max_batches > 0 && batches++ == max_batches) break;
        const Tensor& inputs = batch.data;
        const Tensor& labels = batch.target;
        optimizer.zero_grad();
        Tensor loss = criterion(net->forward(inputs), labels);
        loss.backward();
        optimizer.step();
        running_loss += loss.item();
      }
      if (max_batches > 0) {
        std::printf("Batches %ld, Loss: %g\n", max_batches, running_loss / static_cast<double>(max_batches));
        break;
      }
      std::printf("Epoch %d, Loss: %g\n", epoch + 1, running_loss / static_cast<double>(trainloader.size()));
    }
  } catch (const Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
