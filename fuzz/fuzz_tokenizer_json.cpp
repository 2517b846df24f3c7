// A Hugging Face tokenizer.json (normalizers, pre-tokenizers, WordPiece/BPE/WordLevel models,
// post-processors, decoders, truncation and padding), then encoding the rest of the input with it
// as a single text and as a pair, in a batch, and decoding the ids back.
#include <fuzzer/FuzzedDataProvider.h>

#include "ember/text/tokenizer.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ember;
  FuzzedDataProvider in(data, size);
  const std::string json = in.ConsumeRandomLengthString();
  const bool special = in.ConsumeBool();
  const std::string a = in.ConsumeRandomLengthString(256);
  const std::string b = in.ConsumeRemainingBytesAsString();
  fuzz::expect_errors([&] {
    text::Tokenizer tok = text::Tokenizer::from_json(json, "tokenizer.json");
    fuzz::expect_errors([&] {
      text::Encoding e = tok.encode(a, special);
      (void)tok.decode(e.ids, special);
    });
    fuzz::expect_errors([&] {
      text::Encoding e = tok.encode(a, std::string_view(b), special);
      (void)tok.decode(e.ids, !special);
    });
    fuzz::expect_errors([&] { (void)tok.encode_batch({a, b}, special); });
    for (const std::string& t : {a, b})
      if (auto id = tok.token_to_id(t)) (void)tok.id_to_token(*id);
  });
  return 0;
}
