// The vocabularies that checkpoints carry in their metadata (imdb-lstm's word vocabulary,
// shakespeare-gpt's characters), read back with from_json, then used on the rest of the input.
#include <fuzzer/FuzzedDataProvider.h>

#include "ember/text/char_tokenizer.h"
#include "ember/text/word_tokenizer.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ember;
  FuzzedDataProvider in(data, size);
  const bool word = in.ConsumeBool();
  const std::string json = in.ConsumeRandomLengthString();
  const std::string text = in.ConsumeRemainingBytesAsString();
  fuzz::expect_errors([&] {
    if (word) {
      text::WordTokenizer t = text::WordTokenizer::from_json(json);
      std::vector<int64_t> ids = t.encode(text);
      (void)t.decode(ids);
      (void)text::WordTokenizer::from_json(t.to_json());
    } else {
      text::CharTokenizer t = text::CharTokenizer::from_json(json);
      fuzz::expect_errors([&] { (void)t.decode(t.encode(text)); });
      (void)text::CharTokenizer::from_json(t.to_json());
    }
  });
  return 0;
}
