// BERT's vocab.txt (one WordPiece token per line) read by Tokenizer::from_wordpiece_vocab, cased
// or uncased, then encoding the rest of the input (alone and as a pair) and decoding it.
#include <fuzzer/FuzzedDataProvider.h>

#include "ember/text/tokenizer.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ember;
  FuzzedDataProvider in(data, size);
  const std::string vocab = fuzz::write_scratch("vocab.txt", in.ConsumeRandomLengthString());
  const bool lowercase = in.ConsumeBool();
  const std::string a = in.ConsumeRandomLengthString(256);
  const std::string b = in.ConsumeRemainingBytesAsString();
  fuzz::expect_errors([&] {
    text::Tokenizer tok = text::Tokenizer::from_wordpiece_vocab(vocab, lowercase);
    fuzz::expect_errors([&] { (void)tok.decode(tok.encode(a).ids); });
    fuzz::expect_errors([&] { (void)tok.decode(tok.encode(a, std::string_view(b)).ids, false); });
  });
  return 0;
}
