// A training checkpoint (safetensors) restored into a small model and its Adam state, then its
// metadata read as the trainer reads it: the epoch count, the metrics history and the hex-encoded
// RNG states.
#include "ember/nn/linear.h"
#include "ember/optim/adam.h"
#include "ember/random.h"
#include "ember/train/checkpoint.h"
#include "ember/train/report.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ember;
  const std::string path = fuzz::write_scratch("last.safetensors", data, size);
  fuzz::expect_errors([&] {
    nn::Linear model(3, 2);
    optim::Adam adam(model.parameters());
    train::Checkpoint ck = train::load_checkpoint(path, model, &adam, size % 2 ? "mnist-cnn" : "");
    fuzz::expect_errors([&] { (void)ck.epoch(); });
    if (auto it = ck.metadata.find("history"); it != ck.metadata.end())
      fuzz::expect_errors([&] { (void)train::decode_history(it->second, path); });
    // Every value as a generator's state, as resume reads "rng" and each tracked generator's key.
    for (const auto& kv : ck.metadata) {
      Generator g(0);
      fuzz::expect_errors([&] { g.set_state(train::from_hex(kv.second, kv.first)); });
    }
  });
  return 0;
}
