// A text corpus (tinyshakespeare's input.txt): read_text_file, the character vocabulary, the
// train/validation split and the batches and windows the GPT recipe draws from it.
#include "ember/data/char_lm.h"
#include "ember/data/text_file.h"
#include "ember/random.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ember;
  const std::string path = fuzz::write_scratch("input.txt", data, size);
  fuzz::expect_errors([&] {
    const std::string text = data::read_text_file(path);
    data::CharLMDataset ds(text, 0.9);
    const text::CharTokenizer& tok = ds.tokenizer();
    if (tok.decode(tok.encode(text)) != text) std::abort();  // the vocabulary covers its own text
    Generator gen(1);
    fuzz::expect_errors([&] { (void)ds.sample_batch(data::Split::Train, 2, 4, gen); });
    fuzz::expect_errors([&] { (void)ds.windows(data::Split::Val, 2).size(); });
    (void)text::CharTokenizer::from_json(tok.to_json()).vocab_size();
  });
  return 0;
}
