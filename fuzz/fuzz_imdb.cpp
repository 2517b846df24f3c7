// IMDB's reviews.json.gz (gzip'd or plain JSON), then a word vocabulary built from its texts and
// the token rows the recipe trains on.
#include "ember/data/imdb.h"
#include "ember/text/word_tokenizer.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ember;
  const std::string path = fuzz::write_scratch("reviews.json.gz", data, size);
  fuzz::expect_errors([&] {
    data::TextSplit split = data::read_imdb_file(path);
    auto vocab = std::make_shared<text::WordTokenizer>(text::WordTokenizer::build(split.texts, {.min_freq = 1}));
    data::IMDB ds(split, vocab, 8, size % 2 == 1);
    for (int64_t i = 0; i < ds.size(); ++i) (void)vocab->decode(ds.tokens().select(0, i).to_vector<int64_t>());
  });
  return 0;
}
