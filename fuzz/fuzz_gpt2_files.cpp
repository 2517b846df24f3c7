// GPT-2's vocabulary files (encoder.json / vocab.json and vocab.bpe / merges.txt) read by
// GPT2Tokenizer and Tokenizer::from_gpt2_files, then encoding the rest of the input with them.
#include <fuzzer/FuzzedDataProvider.h>

#include "ember/text/gpt2_tokenizer.h"
#include "ember/text/tokenizer.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ember;
  FuzzedDataProvider in(data, size);
  const std::string encoder = fuzz::write_scratch("encoder.json", in.ConsumeRandomLengthString());
  const std::string merges = fuzz::write_scratch("vocab.bpe", in.ConsumeRandomLengthString());
  const bool special = in.ConsumeBool();
  const std::string text = in.ConsumeRemainingBytesAsString();
  fuzz::expect_errors([&] {
    text::GPT2Tokenizer tok = text::GPT2Tokenizer::from_files(encoder, merges);
    fuzz::expect_errors([&] {
      std::vector<int64_t> ids = tok.encode(text, {.allow_special = special});
      if (tok.decode(ids) != text && !special) std::abort();  // byte-level BPE loses nothing
    });
  });
  fuzz::expect_errors([&] {
    text::Tokenizer tok = text::Tokenizer::from_gpt2_files(encoder, merges);
    fuzz::expect_errors([&] { (void)tok.decode(tok.encode(text, special).ids, special); });
  });
  return 0;
}
