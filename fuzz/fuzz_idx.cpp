// MNIST's IDX files, plain or gzip'd (zlib reads both): the first byte picks images or labels,
// the rest is the file.
#include "ember/data/mnist.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const bool images = data[0] & 1;
  const std::string path = ember::fuzz::write_scratch("idx", data + 1, size - 1);
  ember::fuzz::expect_errors([&] {
    ember::Tensor t = images ? ember::data::read_idx_images(path, 28, 28) : ember::data::read_idx_labels(path);
    if (t.numel() > 0 && t.raw_data() == nullptr) std::abort();
  });
  return 0;
}
