// Hugging Face model folders' JSON: config.json as BertConfig and GPTConfig read it, a
// sentence-transformers pooling config, tokenizer_config.json (with a fixed vocab.txt), and a whole
// folder's config.json plus model.safetensors.index.json as from_pretrained reads them (the folder
// holds no weights, so at best it stops at the missing shard). The first byte picks one.
#include <fuzzer/FuzzedDataProvider.h>

#include "ember/models/bert.h"
#include "ember/models/gpt.h"
#include "ember/models/pretrained.h"
#include "ember/models/sentence_transformer.h"
#include "ember/text/tokenizer.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ember;
  FuzzedDataProvider in(data, size);
  const int mode = in.ConsumeIntegralInRange(0, 4);
  fuzz::expect_errors([&] {
    switch (mode) {
      case 0: (void)models::BertConfig::from_hf_json(in.ConsumeRemainingBytesAsString()); break;
      case 1: (void)models::GPTConfig::from_hf_json(in.ConsumeRemainingBytesAsString()); break;
      case 2: (void)models::PoolingConfig::from_json(in.ConsumeRemainingBytesAsString(), "config.json"); break;
      case 3: {
        const auto dir = fuzz::scratch_dir() / "bert";
        std::filesystem::create_directories(dir);
        fuzz::write_scratch("bert/vocab.txt", std::string("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nhello\nworld\n##s\n"));
        fuzz::write_scratch("bert/tokenizer_config.json", in.ConsumeRemainingBytesAsString());
        (void)text::Tokenizer::from_pretrained(dir.string()).encode("Hello worlds [MASK]");
        break;
      }
      case 4: {
        const auto dir = fuzz::scratch_dir() / "model";
        std::filesystem::create_directories(dir);
        fuzz::write_scratch("model/config.json", in.ConsumeRandomLengthString());
        const std::string index = in.ConsumeRemainingBytesAsString();
        std::filesystem::remove(dir / "model.safetensors.index.json");
        if (!index.empty()) fuzz::write_scratch("model/model.safetensors.index.json", index);
        (void)models::from_pretrained(dir.string());
        break;
      }
    }
  });
  return 0;
}
