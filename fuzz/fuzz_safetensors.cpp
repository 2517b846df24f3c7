// load_safetensors on arbitrary bytes: header length, JSON header, dtypes, shapes, offsets, data.
#include "ember/io/safetensors.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = ember::fuzz::write_scratch("model.safetensors", data, size);
  ember::fuzz::expect_errors([&] {
    ember::io::SafetensorsFile f = ember::io::load_safetensors(path);
    for (auto& [name, t] : f.tensors) {
      if (!f.contains(name) || f.at(name).numel() != t.numel()) std::abort();
    }
  });
  return 0;
}
