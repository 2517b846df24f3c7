// Reading a tokenizer.json (Hugging Face `tokenizers`' serialization) into a pipeline. Every
// error names the file, the JSON key and, for an unsupported type, what is supported.
#include <algorithm>
#include <nlohmann/json.hpp>

#include "ember/error.h"
#include "ember/io/json.h"
#include "text/decoders.h"
#include "text/models.h"
#include "text/normalizers.h"
#include "text/post_processors.h"
#include "text/pre_tokenizers.h"
#include "text/tokenizer_impl.h"

namespace ember::text::detail {

namespace {

constexpr const char* kOp = "Tokenizer";

// A JSON value with its path in the file, so that every error can name both.
class Node {
 public:
  Node(const nlohmann::json& j, std::string path, const std::string& file) : j_(j), path_(std::move(path)), file_(file) {}

  [[noreturn]] void fail(const std::string& what) const {
    EMBER_FAIL(kOp, "'", file_, "': key '", path_, "' ", what);
  }
  const nlohmann::json& raw() const { return j_; }
  const std::string& path() const { return path_; }
  bool is_null() const { return j_.is_null(); }

  bool has(const char* key) const { return j_.is_object() && j_.contains(key) && !j_.at(key).is_null(); }
  Node at(const char* key) const {
    if (!j_.is_object()) fail("must be a JSON object, got " + kind());
    if (!j_.contains(key)) EMBER_FAIL(kOp, "'", file_, "': key '", child(key), "' is missing");
    return Node(j_.at(key), child(key), file_);
  }
  Node at(size_t i) const { return Node(j_.at(i), path_ + "[" + std::to_string(i) + "]", file_); }

  std::string str() const {
    if (!j_.is_string()) fail("must be a string, got " + kind());
    return j_.get<std::string>();
  }
  bool boolean() const {
    if (!j_.is_boolean()) fail("must be true or false, got " + kind());
    return j_.get<bool>();
  }
  int64_t integer() const {
    if (!j_.is_number_integer()) fail("must be an integer, got " + kind());
    return j_.get<int64_t>();
  }
  size_t size() const {
    if (!j_.is_array()) fail("must be a JSON array, got " + kind());
    return j_.size();
  }
  void expect_object() const {
    if (!j_.is_object()) fail("must be a JSON object, got " + kind());
  }

  // Optional members: the default when missing or null.
  std::string str_or(const char* key, const std::string& d) const { return has(key) ? at(key).str() : d; }
  bool bool_or(const char* key, bool d) const { return has(key) ? at(key).boolean() : d; }
  int64_t int_or(const char* key, int64_t d) const { return has(key) ? at(key).integer() : d; }

  std::string kind() const {
    std::string s = j_.dump();
    if (s.size() > 60) s = s.substr(0, 57) + "...";
    return s;
  }
  // The component's "type"; `supported` lists what Ember reads, for the error.
  std::string type(const char* supported) const {
    expect_object();
    if (!j_.contains("type")) EMBER_FAIL(kOp, "'", file_, "': key '", child("type"), "' is missing; supported types: ", supported);
    return at("type").str();
  }
  [[noreturn]] void unsupported_type(const std::string& t, const char* supported) const {
    EMBER_FAIL(kOp, "'", file_, "': key '", child("type"), "' is \"", t, "\", which Ember does not support; supported: ",
               supported);
  }

 private:
  std::string child(const char* key) const { return path_.empty() ? key : path_ + "." + key; }
  const nlohmann::json& j_;
  std::string path_;
  const std::string& file_;
};

constexpr const char* kNormalizers = "BertNormalizer, Lowercase, NFD, NFKD, StripAccents, Strip, Prepend, Sequence";
constexpr const char* kPreTokenizers =
    "BertPreTokenizer, ByteLevel, Whitespace, WhitespaceSplit, Punctuation, Digits, Sequence";
constexpr const char* kModels = "WordPiece, BPE, WordLevel";
constexpr const char* kPostProcessors = "TemplateProcessing, BertProcessing, RobertaProcessing, ByteLevel, Sequence";
constexpr const char* kDecoders = "WordPiece, ByteLevel, BPEDecoder, Sequence";

std::unique_ptr<Normalizer> normalizer(const Node& n) {
  const std::string t = n.type(kNormalizers);
  if (t == "BertNormalizer") {
    BertNormalizerOptions o;
    o.clean_text = n.bool_or("clean_text", true);
    o.handle_chinese_chars = n.bool_or("handle_chinese_chars", true);
    o.lowercase = n.bool_or("lowercase", true);
    o.strip_accents = n.bool_or("strip_accents", o.lowercase);  // null: follows lowercase
    return make_bert_normalizer(o);
  }
  if (t == "Lowercase") return make_lowercase();
  if (t == "NFD") return make_nfd(false);
  if (t == "NFKD") return make_nfd(true);
  if (t == "StripAccents") return make_strip_accents();
  if (t == "Strip") return make_strip(n.bool_or("strip_left", true), n.bool_or("strip_right", true));
  if (t == "Prepend") return make_prepend(n.at("prepend").str());
  if (t == "Sequence") {
    const Node list = n.at("normalizers");
    std::vector<std::unique_ptr<Normalizer>> parts;
    for (size_t i = 0; i < list.size(); ++i) parts.push_back(normalizer(list.at(i)));
    return make_normalizer_sequence(std::move(parts));
  }
  n.unsupported_type(t, kNormalizers);
}

SplitBehavior behavior(const Node& n) {
  const std::string b = n.str();
  if (b == "Removed") return SplitBehavior::Removed;
  if (b == "Isolated") return SplitBehavior::Isolated;
  if (b == "MergedWithPrevious") return SplitBehavior::MergedWithPrevious;
  if (b == "MergedWithNext") return SplitBehavior::MergedWithNext;
  if (b == "Contiguous") return SplitBehavior::Contiguous;
  n.fail("is \"" + b + "\"; expected Removed, Isolated, MergedWithPrevious, MergedWithNext or Contiguous");
}

std::unique_ptr<PreTokenizer> pre_tokenizer(const Node& n) {
  const std::string t = n.type(kPreTokenizers);
  if (t == "BertPreTokenizer") return make_bert_pre_tokenizer();
  if (t == "Whitespace") return make_whitespace();
  if (t == "WhitespaceSplit") return make_whitespace_split();
  if (t == "Punctuation") return make_punctuation(n.has("behavior") ? behavior(n.at("behavior")) : SplitBehavior::Isolated);
  if (t == "Digits") return make_digits(n.bool_or("individual_digits", false));
  if (t == "ByteLevel") return make_byte_level(n.bool_or("add_prefix_space", true), n.bool_or("use_regex", true));
  if (t == "Sequence") {
    const Node list = n.at("pretokenizers");
    std::vector<std::unique_ptr<PreTokenizer>> parts;
    for (size_t i = 0; i < list.size(); ++i) parts.push_back(pre_tokenizer(list.at(i)));
    return make_pre_tokenizer_sequence(std::move(parts));
  }
  n.unsupported_type(t, kPreTokenizers);
}

VocabEntries vocab_entries(const Node& n) {
  n.expect_object();
  VocabEntries v;
  v.reserve(n.raw().size());
  for (auto it = n.raw().begin(); it != n.raw().end(); ++it) {
    if (!it.value().is_number_integer())
      n.at(it.key().c_str()).fail("(a token of the vocabulary) must map to an integer id, got " + io::describe_json(it.value()));
    v.emplace_back(it.key(), it.value().get<int64_t>());
  }
  return v;
}

std::unique_ptr<Model> model(const Node& n, bool byte_level, const std::string& file) {
  n.expect_object();
  std::string t;
  if (n.has("type")) {
    t = n.at("type").str();
  } else if (n.has("merges")) {  // files from before "type" was written: infer it, as `tokenizers` does
    t = "BPE";
  } else if (n.has("max_input_chars_per_word")) {
    t = "WordPiece";
  } else {
    n.type(kModels);  // fails: no type
  }
  if (byte_level && t != "BPE")
    EMBER_FAIL(kOp, "'", file, "': a ByteLevel pre-tokenizer with model.type \"", t,
               "\" is not supported; byte-level pre-tokenization goes with a BPE model (GPT-2's)");
  if (t == "WordPiece") {
    WordPieceOptions o;
    o.unk_token = n.str_or("unk_token", "[UNK]");
    o.continuing_subword_prefix = n.str_or("continuing_subword_prefix", "##");
    o.max_input_chars_per_word = n.int_or("max_input_chars_per_word", 100);
    return make_wordpiece(vocab_entries(n.at("vocab")), o, file);
  }
  if (t == "BPE") {
    if (n.has("dropout")) {
      const auto& d = n.at("dropout").raw();
      if (!d.is_number() || d.get<double>() != 0.0)
        n.at("dropout").fail("is " + io::describe_json(d) + "; BPE dropout (a training-time option) is not supported: set it to null");
    }
    BpeOptions o;
    if (n.has("unk_token")) o.unk_token = n.at("unk_token").str();
    o.continuing_subword_prefix = n.str_or("continuing_subword_prefix", "");
    o.end_of_word_suffix = n.str_or("end_of_word_suffix", "");
    o.fuse_unk = n.bool_or("fuse_unk", false);
    o.byte_fallback = n.bool_or("byte_fallback", false);
    o.ignore_merges = n.bool_or("ignore_merges", false);
    o.byte_level = byte_level;
    const Node m = n.at("merges");
    std::vector<std::pair<std::string, std::string>> merges;
    merges.reserve(m.size());
    for (size_t i = 0; i < m.size(); ++i) {
      const Node e = m.at(i);
      if (e.raw().is_string()) {  // "a b"
        const std::string s = e.str();
        const size_t space = s.find(' ');
        if (space == std::string::npos || space == 0 || space + 1 >= s.size() || s.find(' ', space + 1) != std::string::npos)
          e.fail("is \"" + s + "\"; a merge is two tokens separated by one space");
        merges.emplace_back(s.substr(0, space), s.substr(space + 1));
      } else {  // ["a", "b"]
        if (e.size() != 2) e.fail("must be a pair of tokens [\"a\", \"b\"], got " + e.kind());
        merges.emplace_back(e.at(size_t{0}).str(), e.at(size_t{1}).str());
      }
    }
    return make_bpe(vocab_entries(n.at("vocab")), merges, o, file);
  }
  if (t == "WordLevel") return make_word_level(vocab_entries(n.at("vocab")), n.str_or("unk_token", "<unk>"), file);
  n.unsupported_type(t, kModels);
}

std::pair<std::string, int64_t> token_and_id(const Node& n) {
  if (n.size() != 2) n.fail("must be [token, id], got " + n.kind());
  return {n.at(size_t{0}).str(), n.at(size_t{1}).integer()};
}

std::vector<TemplatePiece> template_pieces(const Node& n, const std::map<std::string, TemplateSpecial>& specials) {
  std::vector<TemplatePiece> out;
  for (size_t i = 0; i < n.size(); ++i) {
    const Node p = n.at(i);
    TemplatePiece tp;
    if (p.has("Sequence")) {
      const Node s = p.at("Sequence");
      const std::string id = s.at("id").str();
      if (id != "A" && id != "B") s.at("id").fail("is \"" + id + "\"; expected \"A\" or \"B\"");
      tp.is_sequence = true;
      tp.sequence = id == "A" ? 0 : 1;
      tp.type_id = s.int_or("type_id", 0);
    } else if (p.has("SpecialToken")) {
      const Node s = p.at("SpecialToken");
      tp.special = s.at("id").str();
      tp.type_id = s.int_or("type_id", 0);
      if (!specials.count(tp.special))
        s.at("id").fail("names \"" + tp.special + "\", which post_processor.special_tokens does not define");
    } else {
      p.fail("must be {\"Sequence\": ...} or {\"SpecialToken\": ...}, got " + p.kind());
    }
    out.push_back(std::move(tp));
  }
  return out;
}

std::unique_ptr<PostProcessor> post_processor(const Node& n) {
  const std::string t = n.type(kPostProcessors);
  if (t == "TemplateProcessing") {
    std::map<std::string, TemplateSpecial> specials;
    if (n.has("special_tokens")) {
      const Node st = n.at("special_tokens");
      st.expect_object();
      for (auto it = st.raw().begin(); it != st.raw().end(); ++it) {
        const Node s = st.at(it.key().c_str());
        TemplateSpecial sp;
        const Node ids = s.at("ids");
        for (size_t i = 0; i < ids.size(); ++i) sp.ids.push_back(ids.at(i).integer());
        const Node toks = s.at("tokens");
        for (size_t i = 0; i < toks.size(); ++i) sp.tokens.push_back(toks.at(i).str());
        if (sp.ids.size() != sp.tokens.size()) s.fail("has " + std::to_string(sp.ids.size()) + " ids but " +
                                                      std::to_string(sp.tokens.size()) + " tokens");
        specials[it.key()] = std::move(sp);
      }
    }
    auto single = template_pieces(n.at("single"), specials);
    auto pair = template_pieces(n.at("pair"), specials);
    // As `tokenizers` requires: the single template uses $A (not $B), the pair template both.
    auto uses = [](const std::vector<TemplatePiece>& t, int64_t seq) {
      return std::any_of(t.begin(), t.end(), [&](const TemplatePiece& p) { return p.is_sequence && p.sequence == seq; });
    };
    if (!uses(single, 0) || uses(single, 1))
      n.at("single").fail("must use the sequence A and not B (one text has no second sequence)");
    if (!uses(pair, 0) || !uses(pair, 1)) n.at("pair").fail("must use both sequences, A and B");
    return make_template_processing(std::move(single), std::move(pair), std::move(specials));
  }
  if (t == "BertProcessing") return make_bert_processing(token_and_id(n.at("sep")), token_and_id(n.at("cls")));
  if (t == "RobertaProcessing")
    return make_roberta_processing(token_and_id(n.at("sep")), token_and_id(n.at("cls")), n.bool_or("trim_offsets", true),
                                   n.bool_or("add_prefix_space", true));
  if (t == "ByteLevel") return make_byte_level_processing(n.bool_or("trim_offsets", true), n.bool_or("add_prefix_space", true));
  if (t == "Sequence") {
    const Node list = n.at("processors");
    std::vector<std::unique_ptr<PostProcessor>> parts;
    for (size_t i = 0; i < list.size(); ++i) parts.push_back(post_processor(list.at(i)));
    return make_post_processor_sequence(std::move(parts));
  }
  n.unsupported_type(t, kPostProcessors);
}

std::unique_ptr<Decoder> decoder(const Node& n) {
  const std::string t = n.type(kDecoders);
  if (t == "WordPiece") return make_wordpiece_decoder(n.str_or("prefix", "##"), n.bool_or("cleanup", true));
  if (t == "ByteLevel") return make_byte_level_decoder();
  if (t == "BPEDecoder") return make_bpe_decoder(n.str_or("suffix", "</w>"));
  if (t == "Sequence") {
    const Node list = n.at("decoders");
    std::vector<std::unique_ptr<Decoder>> parts;
    for (size_t i = 0; i < list.size(); ++i) parts.push_back(decoder(list.at(i)));
    return make_decoder_sequence(std::move(parts));
  }
  n.unsupported_type(t, kDecoders);
}

Direction direction(const Node& n, const char* right, const char* left) {
  const std::string d = n.str();
  if (d == right) return Direction::Right;
  if (d == left) return Direction::Left;
  n.fail("is \"" + d + "\"; expected \"" + right + "\" or \"" + left + "\"");
}

TruncationParams truncation(const Node& n) {
  TruncationParams p;
  p.max_length = n.at("max_length").integer();
  if (p.max_length < 0) n.at("max_length").fail("must be >= 0");
  p.stride = n.int_or("stride", 0);
  if (n.has("strategy")) {
    const std::string s = n.at("strategy").str();
    if (s == "LongestFirst") {
      p.strategy = TruncationStrategy::LongestFirst;
    } else if (s == "OnlyFirst") {
      p.strategy = TruncationStrategy::OnlyFirst;
    } else if (s == "OnlySecond") {
      p.strategy = TruncationStrategy::OnlySecond;
    } else {
      n.at("strategy").fail("is \"" + s + "\"; expected LongestFirst, OnlyFirst or OnlySecond");
    }
  }
  if (n.has("direction")) p.direction = direction(n.at("direction"), "Right", "Left");
  return p;
}

PaddingParams padding(const Node& n) {
  PaddingParams p;
  if (n.has("strategy")) {
    const Node s = n.at("strategy");
    if (s.raw().is_string()) {
      if (s.str() != "BatchLongest") s.fail("is \"" + s.str() + "\"; expected \"BatchLongest\" or {\"Fixed\": n}");
    } else {
      p.length = s.at("Fixed").integer();
      if (*p.length < 0 || *p.length > PaddingParams::kMaxLength)
        s.at("Fixed").fail("is " + std::to_string(*p.length) + "; it must be in [0, " +
                           std::to_string(PaddingParams::kMaxLength) + "]");
    }
  }
  if (n.has("direction")) p.direction = direction(n.at("direction"), "Right", "Left");
  if (n.has("pad_to_multiple_of")) {
    p.pad_to_multiple_of = n.at("pad_to_multiple_of").integer();
    if (*p.pad_to_multiple_of < 0 || *p.pad_to_multiple_of > PaddingParams::kMaxLength)
      n.at("pad_to_multiple_of").fail("is " + std::to_string(*p.pad_to_multiple_of) + "; it must be in [0, " +
                                      std::to_string(PaddingParams::kMaxLength) + "]");
  }
  p.pad_id = n.int_or("pad_id", 0);
  p.pad_type_id = n.int_or("pad_type_id", 0);
  p.pad_token = n.str_or("pad_token", "[PAD]");
  return p;
}

}  // namespace

LoadedTokenizer load_tokenizer_json(const nlohmann::json& j, const std::string& file) {
  const Node root(j, "", file);
  root.expect_object();
  auto impl = std::make_shared<Tokenizer::Impl>();
  impl->source = file;
  if (root.has("normalizer")) impl->normalizer = normalizer(root.at("normalizer"));
  if (root.has("pre_tokenizer")) impl->pre_tokenizer = pre_tokenizer(root.at("pre_tokenizer"));
  const bool byte_level = impl->pre_tokenizer && impl->pre_tokenizer->byte_level();
  impl->model = model(root.at("model"), byte_level, file);
  if (root.has("post_processor")) impl->post_processor = post_processor(root.at("post_processor"));
  if (root.has("decoder")) impl->decoder = decoder(root.at("decoder"));
  if (root.has("added_tokens")) {
    const Node list = root.at("added_tokens");
    std::vector<AddedToken> tokens;
    for (size_t i = 0; i < list.size(); ++i) {
      const Node t = list.at(i);
      AddedToken a;
      a.id = t.at("id").integer();
      if (a.id < 0) t.at("id").fail("must be >= 0");
      a.content = t.at("content").str();
      a.special = t.bool_or("special", false);
      a.single_word = t.bool_or("single_word", false);
      a.lstrip = t.bool_or("lstrip", false);
      a.rstrip = t.bool_or("rstrip", false);
      a.normalized = t.bool_or("normalized", !a.special);
      tokens.push_back(std::move(a));
    }
    impl->added = AddedVocabulary(std::move(tokens), impl->normalizer.get());
  }
  LoadedTokenizer out;
  out.impl = std::move(impl);
  if (root.has("truncation")) out.truncation = truncation(root.at("truncation"));
  if (root.has("padding")) out.padding = padding(root.at("padding"));
  return out;
}

}  // namespace ember::text::detail
