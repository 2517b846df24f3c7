// Building a Tokenizer: from a tokenizer.json, from a model folder, or from BERT's vocab.txt and
// GPT-2's vocabulary files set up as Hugging Face's converters set them up.
#include <filesystem>
#include <nlohmann/json.hpp>

#include "ember/error.h"
#include "ember/io/file.h"
#include "text/decoders.h"
#include "text/models.h"
#include "text/normalizers.h"
#include "text/post_processors.h"
#include "text/pre_tokenizers.h"
#include "text/tokenizer_impl.h"

namespace ember::text {

namespace fs = std::filesystem;

Tokenizer Tokenizer::from_json(const std::string& json, const std::string& name) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(json);
  } catch (const nlohmann::json::exception& e) {  // parse_error, or out_of_range for a number like 1e999
    EMBER_FAIL("Tokenizer", "'", name, "' is not valid JSON (", e.what(),
               "); a tokenizer.json is written by Hugging Face tokenizers' Tokenizer.save");
  }
  detail::LoadedTokenizer t = detail::load_tokenizer_json(j, name);
  return Tokenizer(std::move(t.impl), std::move(t.truncation), std::move(t.padding));
}

Tokenizer Tokenizer::from_file(const std::string& path) {
  return from_json(io::read_file_bytes(path, "Tokenizer::from_file"), path);
}

namespace {

struct BertConfig {
  bool lowercase = true;
  bool chinese = true;
  std::optional<bool> strip_accents;  // unset: follows lowercase
  std::string unk = "[UNK]", sep = "[SEP]", cls = "[CLS]", pad = "[PAD]", mask = "[MASK]";
};

std::shared_ptr<Tokenizer::Impl> bert_pipeline(const std::string& vocab_txt, const BertConfig& c) {
  const char* op = "Tokenizer::from_wordpiece_vocab";
  const std::string text = io::read_file_bytes(vocab_txt, op);
  detail::VocabEntries vocab;
  int64_t id = 0;
  for (size_t pos = 0; pos < text.size();) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    vocab.emplace_back(std::move(line), id++);
    pos = end + 1;
  }
  EMBER_CHECK(!vocab.empty(), op, "'", vocab_txt, "' is empty; a BERT vocab.txt lists one token per line");
  auto impl = std::make_shared<Tokenizer::Impl>();
  impl->source = vocab_txt;
  detail::BertNormalizerOptions n;
  n.lowercase = c.lowercase;
  n.handle_chinese_chars = c.chinese;
  n.strip_accents = c.strip_accents.value_or(c.lowercase);
  impl->normalizer = detail::make_bert_normalizer(n);
  impl->pre_tokenizer = detail::make_bert_pre_tokenizer();
  detail::WordPieceOptions w;
  w.unk_token = c.unk;
  impl->model = detail::make_wordpiece(vocab, w, vocab_txt);
  auto id_of = [&](const std::string& tok) {
    const int64_t i = impl->model->token_to_id(tok);
    EMBER_CHECK(i >= 0, op, "'", vocab_txt, "' has no \"", tok, "\" token, which BERT's template needs");
    return i;
  };
  const int64_t cls = id_of(c.cls), sep = id_of(c.sep);
  using detail::TemplatePiece;
  std::map<std::string, detail::TemplateSpecial> specials{{c.cls, {{cls}, {c.cls}}}, {c.sep, {{sep}, {c.sep}}}};
  std::vector<TemplatePiece> single{{false, 0, c.cls, 0}, {true, 0, "", 0}, {false, 0, c.sep, 0}};
  std::vector<TemplatePiece> pair{{false, 0, c.cls, 0}, {true, 0, "", 0}, {false, 0, c.sep, 0}, {true, 1, "", 1},
                                  {false, 0, c.sep, 1}};
  impl->post_processor = detail::make_template_processing(single, pair, specials);
  impl->decoder = detail::make_wordpiece_decoder("##", true);
  std::vector<detail::AddedToken> added;
  for (const std::string* tok : {&c.pad, &c.unk, &c.cls, &c.sep, &c.mask}) {
    const int64_t i = impl->model->token_to_id(*tok);
    if (i < 0) continue;
    detail::AddedToken a;
    a.content = *tok;
    a.id = i;
    a.special = true;
    added.push_back(a);
  }
  impl->added = detail::AddedVocabulary(std::move(added), impl->normalizer.get());
  return impl;
}

// A special token in tokenizer_config.json: "[SEP]" or {"content": "[SEP]", ...}.
void read_token(const nlohmann::json& cfg, const char* key, std::string& out) {
  if (!cfg.contains(key)) return;
  const auto& v = cfg.at(key);
  if (v.is_string()) {
    out = v.get<std::string>();
  } else if (v.is_object() && v.contains("content") && v.at("content").is_string()) {
    out = v.at("content").get<std::string>();
  }
}

}  // namespace

Tokenizer Tokenizer::from_wordpiece_vocab(const std::string& vocab_txt, bool lowercase) {
  BertConfig c;
  c.lowercase = lowercase;
  return Tokenizer(bert_pipeline(vocab_txt, c), std::nullopt, std::nullopt);
}

Tokenizer Tokenizer::from_gpt2_files(const std::string& vocab_json, const std::string& merges_txt) {
  detail::ByteBpeTables tables = detail::load_gpt2_files(vocab_json, merges_txt, "Tokenizer::from_gpt2_files");
  auto impl = std::make_shared<Tokenizer::Impl>();
  impl->source = vocab_json;
  const int64_t eot = tables.eot;
  impl->model = detail::make_bpe_from_gpt2(std::move(tables));
  // Hugging Face's gpt2 tokenizer.json: no normalizer, ByteLevel everywhere, <|endoftext|> special.
  impl->pre_tokenizer = detail::make_byte_level(/*add_prefix_space=*/false, /*use_regex=*/true);
  impl->post_processor = detail::make_byte_level_processing(/*trim_offsets=*/false, /*add_prefix_space=*/true);
  impl->decoder = detail::make_byte_level_decoder();
  detail::AddedToken a;
  a.content = "<|endoftext|>";
  a.id = eot;
  a.special = true;
  impl->added = detail::AddedVocabulary({a}, nullptr);
  return Tokenizer(std::move(impl), std::nullopt, std::nullopt);
}

Tokenizer Tokenizer::from_pretrained(const std::string& dir) {
  const char* op = "Tokenizer::from_pretrained";
  std::error_code ec;
  EMBER_CHECK(fs::is_directory(dir, ec), op, "'", dir, "' is not a directory; pass a model folder (one that holds "
              "tokenizer.json), or use Tokenizer::from_file for a tokenizer.json");
  const fs::path d(dir);
  auto exists = [&](const char* name) { return fs::is_regular_file(d / name, ec); };
  if (exists("tokenizer.json")) return from_file((d / "tokenizer.json").string());
  if (exists("vocab.txt")) {
    BertConfig c;
    if (exists("tokenizer_config.json")) {
      const std::string path = (d / "tokenizer_config.json").string();
      nlohmann::json cfg;
      try {
        cfg = nlohmann::json::parse(io::read_file_bytes(path, op));
      } catch (const nlohmann::json::exception& e) {  // parse_error, or out_of_range for a number like 1e999
        EMBER_FAIL(op, "'", path, "' is not valid JSON (", e.what(), ")");
      }
      auto flag = [&](const char* key, bool& out) {
        if (!cfg.contains(key) || cfg.at(key).is_null()) return;
        EMBER_CHECK(cfg.at(key).is_boolean(), op, "'", path, "': key '", key, "' must be true or false, got ",
                    cfg.at(key).dump());
        out = cfg.at(key).get<bool>();
      };
      flag("do_lower_case", c.lowercase);
      flag("tokenize_chinese_chars", c.chinese);
      if (cfg.contains("strip_accents") && !cfg.at("strip_accents").is_null()) {
        bool s = false;
        flag("strip_accents", s);
        c.strip_accents = s;
      }
      read_token(cfg, "unk_token", c.unk);
      read_token(cfg, "sep_token", c.sep);
      read_token(cfg, "cls_token", c.cls);
      read_token(cfg, "pad_token", c.pad);
      read_token(cfg, "mask_token", c.mask);
    }
    return Tokenizer(bert_pipeline((d / "vocab.txt").string(), c), std::nullopt, std::nullopt);
  }
  if (exists("vocab.json") && exists("merges.txt"))
    return from_gpt2_files((d / "vocab.json").string(), (d / "merges.txt").string());
  if (exists("encoder.json") && exists("vocab.bpe"))
    return from_gpt2_files((d / "encoder.json").string(), (d / "vocab.bpe").string());
  EMBER_FAIL(op, "'", dir, "' holds no tokenizer: expected tokenizer.json, or vocab.txt (BERT), or vocab.json + "
             "merges.txt / encoder.json + vocab.bpe (GPT-2)");
}

}  // namespace ember::text
