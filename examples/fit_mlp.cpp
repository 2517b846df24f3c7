// Your own model, trained by Ember's one training loop (train::Trainer): a two-layer perceptron on
// MNIST with evaluation every epoch, a metrics file, checkpoints and exact resume. Run:
//   ./build/examples/fit_mlp [data_root] [checkpoint_dir] [max_steps]
// Run it twice with the same checkpoint_dir and the second run resumes where the first stopped.
// Under `mpirun -np 2` it trains data-parallel unchanged (batch 64 per rank).
#include <ember/data/data.h>
#include <ember/ember.h>
#include <ember/nn/layers.h>
#include <ember/optim.h>
#include <ember/train/trainer.h>

#include <cstdio>
#include <cstdlib>

using namespace ember;

struct MLP : nn::Module {
  std::shared_ptr<nn::Linear> fc1, fc2;
  MLP() {
    fc1 = register_module("fc1", std::make_shared<nn::Linear>(28 * 28, 256));
    fc2 = register_module("fc2", std::make_shared<nn::Linear>(256, 10));
  }
  Tensor forward(const Tensor& x) override {  // (B, 1, 28, 28) -> (B, 10) logits
    return fc2->forward(relu(fc1->forward(x.flatten(1))));
  }
};

int main(int argc, char** argv) {
  try {
    const std::string root = argc > 1 ? argv[1] : "", dir = argc > 2 ? argv[2] : "";
    const long max_steps = argc > 3 ? std::strtol(argv[3], nullptr, 10) : 0;
    manual_seed(1);
    auto dist = distributed::Context::from_env();  // a world of one without mpirun
    auto normalize = data::Normalize({0.1307}, {0.3081});
    auto train_set = std::make_shared<data::MNIST>(root, true, normalize);
    auto test_set = std::make_shared<data::MNIST>(root, false, normalize);
    data::DataLoader train_loader(train_set, {.batch_size = 64, .sampler = dist.train_sampler(train_set->size(), 1)});
    data::DataLoader test_loader(test_set, {.batch_size = 500, .sampler = dist.eval_sampler(test_set->size())});

    auto model = std::make_shared<MLP>();
    optim::AdamW opt(model->parameters(), optim::AdamWOptions(1e-3));
    train::Trainer trainer(model, opt,
                           {.epochs = 3, .max_steps_per_epoch = max_steps, .checkpoint_dir = dir,
                            .resume = dir.empty() ? "" : "auto", .recipe = "fit_mlp", .early_stopping_patience = 2},
                           dist);
    train::Callbacks cb;
    cb.evaluate = [&] {
      auto e = train::evaluate_classifier(*model, test_loader, 10, [&](const data::Batch& b) {
        Tensor logits = model->forward(b.data);
        return train::ClassifierBatch{logits, b.target, cross_entropy(logits, b.target, Tensor(), -100, "sum")};
      }, &dist);
      return train::Metrics{{"test_loss", e.loss}, {"test_accuracy", e.metrics.accuracy()}};
    };
    train::FitResult r = trainer.fit(train_loader, [&](const data::Batch& b) {
      Tensor logits = model->forward(b.data);
      return train::StepOutput{cross_entropy(logits, b.target), b.data.size(0)};
    }, cb);
    if (dist.is_main() && !r.history.empty())
      std::printf("Test accuracy: %.2f%%\n", 100 * r.history.back().get("test_accuracy"));
  } catch (const Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
