#include "ember/models/sentence_transformer.h"

#include <algorithm>
#include <filesystem>
#include <numeric>

#include "ember/autograd.h"
#include "ember/error.h"
#include "ember/io/file.h"
#include "ember/io/json.h"
#include "ember/ops.h"
#include "models/hf_config_reader.h"

namespace ember::models {

namespace fs = std::filesystem;
using hf::json;

namespace {

constexpr const char* kOp = "SentenceTransformer";
constexpr const char* kTransformer = "sentence_transformers.models.Transformer";
constexpr const char* kPooling = "sentence_transformers.models.Pooling";
constexpr const char* kNormalize = "sentence_transformers.models.Normalize";

hf::ConfigReader read_json(const fs::path& path) {
  std::string text = io::read_file_bytes(path.string(), kOp);
  return hf::ConfigReader(hf::parse_config(text, path.string(), kOp), path.string(), kOp);
}

// A module's "path" must stay inside the model folder (a hostile modules.json must not point elsewhere).
fs::path module_dir(const fs::path& dir, const json& entry, const std::string& source) {
  std::string rel = entry.contains("path") && entry["path"].is_string() ? entry["path"].get<std::string>() : "";
  fs::path p = fs::path(rel).lexically_normal();
  if (p.is_absolute() || (!p.empty() && *p.begin() == ".."))
    throw Error(std::string(kOp) + ": '" + source + "': module path '" + rel +
                "' leaves the model folder; paths must be relative and inside it");
  return dir / p;
}

}  // namespace

int64_t PoolingConfig::output_dimension() const {
  return word_embedding_dimension * (int64_t{cls_token} + mean_tokens + max_tokens + mean_sqrt_len_tokens);
}

PoolingConfig PoolingConfig::from_json(const std::string& json_text, const std::string& source) {
  hf::ConfigReader r(hf::parse_config(json_text, source, kOp), source, kOp);
  PoolingConfig c;
  c.word_embedding_dimension = r.integer("word_embedding_dimension", 0, 1, hf::kMaxWidth);
  c.cls_token = r.boolean("pooling_mode_cls_token", false);
  c.mean_tokens = r.boolean("pooling_mode_mean_tokens", false);
  c.max_tokens = r.boolean("pooling_mode_max_tokens", false);
  c.mean_sqrt_len_tokens = r.boolean("pooling_mode_mean_sqrt_len_tokens", false);
  r.require_bool("pooling_mode_weightedmean_tokens", false, "weighted-mean pooling is not implemented");
  r.require_bool("pooling_mode_lasttoken", false, "last-token pooling is not implemented");
  if (!r.has("word_embedding_dimension")) r.fail("word_embedding_dimension", "is missing");
  if (c.output_dimension() == 0)
    r.fail("pooling_mode_mean_tokens", "no pooling mode is set; set one of pooling_mode_cls_token, "
                                       "pooling_mode_mean_tokens, pooling_mode_max_tokens, pooling_mode_mean_sqrt_len_tokens");
  return c;
}

Tensor pool(const PoolingConfig& config, const Tensor& hidden, const Tensor& attention_mask) {
  // hidden (B, T, H), attention_mask (B, T) -> m (B, T, 1) of 0/1 in hidden's dtype.
  if (hidden.dim() != 3 || attention_mask.dim() != 2 || hidden.size(0) != attention_mask.size(0) ||
      hidden.size(1) != attention_mask.size(1))
    throw Error("pool: hidden states must be (B, T, H) and attention_mask (B, T), got " + shape_str(hidden.shape()) +
                " and " + shape_str(attention_mask.shape()));
  if (hidden.size(2) != config.word_embedding_dimension)
    throw Error("pool: hidden size " + std::to_string(hidden.size(2)) + " differs from the pooling config's " +
                "word_embedding_dimension " + std::to_string(config.word_embedding_dimension));
  Tensor m = ne(attention_mask, 0).to(hidden.dtype()).unsqueeze(-1);
  std::vector<Tensor> parts;
  if (config.cls_token) parts.push_back(hidden.select(1, 0));  // (B, H)
  if (config.max_tokens) {
    Tensor masked = where(ne(m, 0.0), hidden, -1e9);  // padding never wins, as sentence-transformers
    parts.push_back(amax(masked, {1}));
  }
  Tensor count, total;
  if (config.mean_tokens || config.mean_sqrt_len_tokens) {
    total = sum(mul(hidden, m), {1});                   // (B, H)
    count = clamp(sum(m, {1}), Scalar(1e-9), std::nullopt);  // (B, 1)
  }
  if (config.mean_tokens) parts.push_back(div(total, count));
  if (config.mean_sqrt_len_tokens) parts.push_back(div(total, sqrt(count)));
  return parts.size() == 1 ? parts[0] : cat(parts, 1);
}

SentenceTransformer SentenceTransformer::from_pretrained(const std::string& dir_str) {
  fs::path dir(dir_str);
  if (!fs::is_directory(dir))
    throw Error(std::string(kOp) + ": '" + dir_str + "' is not a folder; give a sentence-transformers or Hugging Face "
                "model folder (config.json, model.safetensors, tokenizer.json)");
  SentenceTransformer st;
  fs::path transformer_dir = dir, pooling_dir;
  bool has_pooling = false;
  fs::path modules = dir / "modules.json";
  if (fs::exists(modules)) {
    std::string text = io::read_file_bytes(modules.string(), kOp);
    json list = io::parse_json<json>(text, kOp, "'" + modules.string() + "'");
    if (!list.is_array() || list.empty())
      throw Error(std::string(kOp) + ": '" + modules.string() + "' must be a non-empty JSON array of modules");
    for (size_t i = 0; i < list.size(); ++i) {
      const json& e = list[i];
      std::string type = e.is_object() && e.contains("type") && e["type"].is_string() ? e["type"].get<std::string>() : "";
      fs::path p = module_dir(dir, e, modules.string());
      if (type == kTransformer && i == 0) {
        transformer_dir = p;
      } else if (type == kPooling && !has_pooling) {
        pooling_dir = p, has_pooling = true;
      } else if (type == kNormalize) {
        st.normalize_ = true;
      } else {
        throw Error(std::string(kOp) + ": '" + modules.string() + "' module " + std::to_string(i) + " has type '" +
                    type + "'; supported: a " + kTransformer + " first, then " + kPooling + " and " + kNormalize);
      }
    }
  }
  st.model_ = BertModel::from_pretrained(transformer_dir.string(), PretrainedOptions{.strict = true});
  st.model_->eval();
  st.tokenizer_ = text::Tokenizer::from_pretrained(transformer_dir.string());
  // max_seq_length: sentence_bert_config.json, else the model's positions (sentence-transformers
  // takes the smaller of the tokenizer's model_max_length and the positions; the file wins).
  st.max_seq_length_ = st.model_->config.max_position_embeddings;
  fs::path sbert = transformer_dir / "sentence_bert_config.json";
  if (fs::exists(sbert))
    st.max_seq_length_ = read_json(sbert).integer("max_seq_length", st.max_seq_length_, 1,
                                                  st.model_->config.max_position_embeddings);
  if (has_pooling) {
    fs::path cfg = pooling_dir / "config.json";
    st.pooling_ = PoolingConfig::from_json(io::read_file_bytes(cfg.string(), kOp), cfg.string());
  } else {
    st.pooling_.word_embedding_dimension = st.model_->config.hidden_size;  // mean pooling
  }
  if (st.pooling_.word_embedding_dimension != st.model_->config.hidden_size)
    throw Error(std::string(kOp) + ": '" + (pooling_dir / "config.json").string() + "': word_embedding_dimension " +
                std::to_string(st.pooling_.word_embedding_dimension) + " differs from the model's hidden_size " +
                std::to_string(st.model_->config.hidden_size));
  text::TruncationParams trunc;
  trunc.max_length = st.max_seq_length_;
  st.tokenizer_->enable_truncation(trunc);
  text::PaddingParams pad = st.tokenizer_->padding().value_or(text::PaddingParams{});
  pad.length.reset();  // each batch to its longest text
  st.tokenizer_->enable_padding(pad);
  return st;
}

Tensor SentenceTransformer::embed(const Tensor& input_ids, const Tensor& attention_mask) const {
  NoGradGuard no_grad;
  Tensor hidden = model_->forward(input_ids, attention_mask).sequence_output;  // (B, T, H)
  return pool_hidden(hidden, attention_mask);
}

Tensor SentenceTransformer::pool_hidden(const Tensor& hidden, const Tensor& attention_mask) const {
  Tensor e = pool(pooling_, hidden, attention_mask);  // (B, T, H) -> (B, D)
  if (normalize_) e = div(e, clamp(norm(e, 2.0, {1}, true), Scalar(1e-12), std::nullopt));
  return e;
}

Tensor SentenceTransformer::encode(const std::vector<std::string>& texts, int64_t batch_size) const {
  if (batch_size < 1) throw Error(std::string(kOp) + ".encode: batch_size must be at least 1, got " +
                                  std::to_string(batch_size));
  const int64_t n = static_cast<int64_t>(texts.size());
  Tensor out = zeros({n, dimension()});
  // Longest first, as sentence-transformers orders them (it counts characters, this bytes: only
  // which texts share a batch differs, and padding does not change a text's embedding).
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t a, int64_t b) { return texts[a].size() > texts[b].size(); });
  NoGradGuard no_grad;
  for (int64_t start = 0; start < n; start += batch_size) {
    int64_t end = std::min(n, start + batch_size);
    std::vector<std::string> batch;
    for (int64_t i = start; i < end; ++i) batch.push_back(texts[order[i]]);
    text::BatchEncoding enc = tokenizer_->encode_batch_tensors(batch);
    Tensor e = embed(enc.input_ids, enc.attention_mask);  // (b, D)
    for (int64_t i = start; i < end; ++i) out.select(0, order[i]).copy_(e.select(0, i - start));
  }
  return out;
}

}  // namespace ember::models
