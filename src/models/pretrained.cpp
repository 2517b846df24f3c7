// from_pretrained / save_pretrained: Hugging Face model folders <-> Ember's BERT and GPT-2.
#include "ember/models/pretrained.h"
#include "ember/io/json.h"

#include <filesystem>
#include <functional>
#include <map>
#include <regex>

#include "ember/autograd.h"
#include "ember/data/data_root.h"
#include "ember/io/file.h"
#include "ember/io/safetensors.h"
#include "ember/models/bert.h"
#include "ember/models/bert_classifier.h"
#include "ember/models/gpt.h"
#include "ember/ops.h"
#include "models/hf_config_reader.h"
#include "models/hf_weights.h"

namespace ember::models {

namespace fs = std::filesystem;

std::string LoadReport::str() const {
  if (all_matched()) return "<All keys matched successfully>";
  auto list = [](const std::vector<std::string>& v) {
    std::string s = "[";
    for (size_t i = 0; i < v.size(); ++i) s += (i ? ", '" : "'") + v[i] + "'";
    return s + "]";
  };
  return "_IncompatibleKeys(missing_keys=" + list(missing_keys) + ", unexpected_keys=" + list(unexpected_keys) + ")";
}

namespace {

constexpr const char* kOp = "from_pretrained";

// A transformers class Ember builds. `prefix` is the base model's attribute in the classes with a
// head ("bert.", "transformer."): checkpoints of base models lack it, those of heads have it.
struct Arch {
  const char* name;
  const char* model_type;
  const char* prefix;
  bool base;  // the base model itself (no head)
};
constexpr Arch kArchs[] = {
    {"BertModel", "bert", "bert.", true},
    {"BertForSequenceClassification", "bert", "bert.", false},
    {"GPT2Model", "gpt2", "transformer.", true},
    {"GPT2LMHeadModel", "gpt2", "transformer.", false},
};
constexpr const char* kSupported =
    "BertModel, BertForSequenceClassification (model_type bert), GPT2Model, GPT2LMHeadModel (model_type gpt2)";

const Arch* find_arch(const std::string& name) {
  for (auto& a : kArchs)
    if (name == a.name) return &a;
  return nullptr;
}

const Arch* default_arch(const std::string& model_type) {
  if (model_type == "bert") return find_arch("BertModel");
  if (model_type == "gpt2") return find_arch("GPT2LMHeadModel");
  return nullptr;
}

struct FolderConfig {
  std::string path, text;
  hf::json json;
  std::string model_type;    // "" when absent
  std::string architecture;  // architectures[0]; "" when absent
};

FolderConfig read_config(const std::string& dir) {
  EMBER_CHECK(fs::is_directory(dir), kOp, "'", dir, "' is not a directory; pass a Hugging Face model folder");
  FolderConfig c;
  c.path = (fs::path(dir) / "config.json").string();
  EMBER_CHECK(fs::is_regular_file(c.path), kOp, "'", dir, "' has no config.json; a Hugging Face model folder holds "
              "config.json and model.safetensors (transformers' save_pretrained writes both)");
  c.text = io::read_file_bytes(c.path, kOp);
  c.json = hf::parse_config(c.text, c.path, kOp);
  hf::ConfigReader r(c.json, c.path, kOp);
  c.model_type = r.string("model_type", "");
  if (r.has("architectures")) {
    const hf::json& a = c.json["architectures"];
    if (!a.is_array() || (!a.empty() && !a[0].is_string()))
      r.fail("architectures", "must be a list of class names, got " + io::describe_json(a));
    if (!a.empty()) c.architecture = a[0].get<std::string>();
  }
  return c;
}

// architectures[0] when Ember has it, else the model_type's default class (as AutoModel).
const Arch& pick_arch(const FolderConfig& c) {
  if (const Arch* a = find_arch(c.architecture)) {
    EMBER_CHECK(c.model_type.empty() || c.model_type == a->model_type, kOp, "'", c.path, "': key 'model_type' is '",
                c.model_type, "' but architectures[0] is ", a->name, ", a '", a->model_type, "' model");
    return *a;
  }
  if (const Arch* a = default_arch(c.model_type)) return *a;
  if (c.model_type.empty() && c.architecture.empty())
    EMBER_FAIL(kOp, "'", c.path, "' has neither 'model_type' nor 'architectures'; Ember loads ", kSupported);
  EMBER_FAIL(kOp, "'", c.path, "': ",
             c.architecture.empty() ? std::string() : "key 'architectures' names '" + c.architecture + "' and ",
             "key 'model_type' is '", c.model_type, "', which Ember does not support; it loads ", kSupported);
}

// The model of `arch` built from config.json, before any weight is read into it.
struct Plan {
  std::function<std::shared_ptr<nn::Module>(Generator*)> build;
  int64_t num_parameters = 0;  // from the config's sizes
  int64_t may_be_missing = 0;  // parameters a sound checkpoint may lack (pooler, a new classifier)
  std::string sizes;           // the config's sizes, for error messages
};

Plan plan(const Arch& arch, const FolderConfig& c, const PretrainedOptions& opts) {
  Plan p;
  if (std::string(arch.model_type) == "bert") {
    BertConfig cfg = BertConfig::from_hf_json(c.text, c.path);
    const bool cls = std::string(arch.name) == "BertForSequenceClassification";
    if (cls && opts.num_labels && *opts.num_labels != cfg.num_labels) {
      EMBER_CHECK(*opts.num_labels > 0 && *opts.num_labels <= hf::kMaxLabels, kOp, "num_labels must be in [1, ",
                  hf::kMaxLabels, "], got ", *opts.num_labels);
      cfg.num_labels = *opts.num_labels;
      cfg.id2label.clear();
    }
    const int64_t H = cfg.hidden_size, head = cls ? H * cfg.num_labels + cfg.num_labels : 0;
    p.num_parameters = cfg.num_parameters() + head;
    p.may_be_missing = H * H + H + head;
    p.sizes = detail::str_cat("vocab_size ", cfg.vocab_size, ", hidden_size ", H, ", num_hidden_layers ",
                              cfg.num_hidden_layers, ", intermediate_size ", cfg.intermediate_size,
                              ", max_position_embeddings ", cfg.max_position_embeddings);
    if (cls)
      p.build = [cfg](Generator* g) { return std::make_shared<BertForSequenceClassification>(cfg, g); };
    else
      p.build = [cfg](Generator* g) { return std::make_shared<BertModel>(cfg, g); };
  } else {
    GPTConfig cfg = GPTConfig::from_hf_json(c.text, c.path);
    p.num_parameters = cfg.num_parameters();
    p.sizes = detail::str_cat("vocab_size ", cfg.vocab_size, ", n_embd ", cfg.n_embd, ", n_layer ", cfg.n_layer,
                              ", n_inner ", cfg.inner_size(), ", n_positions ", cfg.block_size);
    if (arch.base)
      p.build = [cfg](Generator* g) { return std::make_shared<GPT2Model>(cfg, g); };
    else
      p.build = [cfg](Generator* g) { return std::make_shared<GPT>(cfg, g); };
  }
  return p;
}

// Ember's state_dict name -> transformers' name for `arch`: Ember's GPT is GPT2LMHeadModel without
// the "transformer." level; every other class has transformers' names already.
std::string hf_name(const Arch& arch, const std::string& ember_name) {
  return std::string(arch.name) == "GPT2LMHeadModel" ? "transformer." + ember_name : ember_name;
}

std::string strip(const std::string& s, const std::string& prefix) {
  return s.rfind(prefix, 0) == 0 ? s.substr(prefix.size()) : s;
}

// Entries transformers skips too: buffers it rebuilds, pre-training heads no supported class has.
bool ignored(const Arch& arch, const std::string& bare) {
  static const std::regex gpt_mask(R"(h\.[0-9]+\.attn\.(bias|masked_bias))");
  if (std::string(arch.model_type) == "bert") return bare == "embeddings.position_ids" || bare.rfind("cls.", 0) == 0;
  return std::regex_match(bare, gpt_mask);
}

void load_weights(nn::Module& model, const Arch& arch, const hf::Checkpoint& ck, const FolderConfig& c,
                  const PretrainedOptions& opts, LoadReport& report) {
  const nn::NamedTensors mine = model.state_dict();  // Ember's names, this model's shapes
  std::map<std::string, size_t> by_hf_name;
  for (size_t i = 0; i < mine.size(); ++i) by_hf_name.emplace(hf_name(arch, mine[i].first), i);
  const std::string prefix = arch.prefix;
  const bool lm_head = std::string(arch.name) == "GPT2LMHeadModel";

  std::vector<const hf::CheckpointEntry*> assigned(mine.size(), nullptr);
  const hf::CheckpointEntry* head = nullptr;
  for (const hf::CheckpointEntry& e : ck.entries) {
    const std::string bare = strip(e.key, prefix);
    if (ignored(arch, bare)) {
      report.ignored_keys.push_back(e.key);
      continue;
    }
    if (lm_head && e.key == "lm_head.weight") {
      head = &e;  // tied to wte: checked once wte is loaded
      continue;
    }
    // The key as it is, with the base model's prefix added (a base checkpoint into a class with a
    // head), or with it removed (a checkpoint with a head into the base class).
    auto it = by_hf_name.find(e.key);
    if (it == by_hf_name.end() && !arch.base) it = by_hf_name.find(prefix + e.key);
    if (it == by_hf_name.end() && arch.base) it = by_hf_name.find(bare);
    if (it == by_hf_name.end()) {
      report.unexpected_keys.push_back(e.key);
      continue;
    }
    const size_t i = it->second;
    EMBER_CHECK(!assigned[i], kOp, "'", e.file, "': keys '", assigned[i] ? assigned[i]->key : "", "' and '", e.key,
                "' both name the weight '", it->first, "'; the checkpoint holds it twice");
    const Tensor& want = mine[i].second;
    EMBER_CHECK(e.value.is_floating_point(), kOp, "'", e.file, "': key '", e.key, "' is ", dtype_name(e.value.dtype()),
                "; a weight must be a floating-point tensor (F32, F16, BF16 or F64)");
    EMBER_CHECK(e.value.shape() == want.shape(), kOp, "'", e.file, "': key '", e.key, "' has shape ",
                shape_str(e.value.shape()), " but '", c.path, "' makes it ", shape_str(want.shape()), " in ", arch.name,
                "; the weights and config.json disagree (is config.json from another model?)");
    assigned[i] = &e;
  }
  for (size_t i = 0; i < mine.size(); ++i)
    if (!assigned[i]) report.missing_keys.push_back(hf_name(arch, mine[i].first));

  if (opts.strict && !report.all_matched()) {
    std::string msg;
    auto join = [](const std::vector<std::string>& v) {
      std::string s;
      for (auto& k : v) s += (s.empty() ? "'" : ", '") + k + "'";
      return s;
    };
    if (!report.missing_keys.empty()) msg += "missing key(s) " + join(report.missing_keys);
    if (!report.unexpected_keys.empty())
      msg += (msg.empty() ? "" : "; ") + ("unexpected key(s) " + join(report.unexpected_keys));
    EMBER_FAIL(kOp, "'", ck.source, "' does not match ", arch.name, " (strict): ", msg,
               ". Load with strict=false to keep the initialization of missing weights and skip unexpected ones");
  }

  nn::NamedTensors state;
  for (size_t i = 0; i < mine.size(); ++i)
    if (assigned[i]) state.emplace_back(mine[i].first, assigned[i]->value.to(DType::Float32));
  model.load_state_dict(state, /*strict=*/false);

  if (head) {
    const Tensor& wte = dynamic_cast<GPT&>(model).wte->weight;
    NoGradGuard ng;
    EMBER_CHECK(head->value.is_floating_point() && head->value.shape() == wte.shape() &&
                    ember::equal(head->value.to(DType::Float32), wte),
                kOp, "'", head->file, "': lm_head.weight differs from transformer.wte.weight, but Ember's GPT ties its "
                "output layer to the token embedding; an untied GPT-2 checkpoint cannot be loaded");
    report.ignored_keys.push_back(head->key);
  }
}

PretrainedModel load(const std::string& dir, const FolderConfig& c, const Arch& arch, const PretrainedOptions& opts) {
  Plan p = plan(arch, c, opts);  // config.json's keys checked, nothing allocated yet
  hf::Checkpoint ck = hf::read_hf_checkpoint(dir, kOp);
  // Sizes that pass the per-key limits can still multiply into a model far larger than its
  // weights: refuse before allocating it. A sound checkpoint holds every weight but the pooler or
  // a new classifier; half the model (a partial checkpoint) is still accepted.
  const int64_t held = ck.num_values();
  if (p.num_parameters > 2 * held + p.may_be_missing + (int64_t{1} << 20))
    EMBER_FAIL(kOp, "'", c.path, "': its sizes (", p.sizes, ") make a ", arch.name, " of ",
               hf::with_commas(p.num_parameters), " parameters, but '", ck.source, "' holds only ", hf::with_commas(held),
               " values; config.json and the weights disagree (check those keys)");

  PretrainedModel out;
  out.architecture = arch.name;
  out.model_type = arch.model_type;
  out.config_json = c.text;
  out.module = p.build(opts.generator);
  load_weights(*out.module, arch, ck, c, opts, out.report);
  out.module->eval();
  return out;
}

// The typed entry points: `arch_name`'s class from any folder of its model_type.
PretrainedModel load_as(const std::string& dir, const char* arch_name, const PretrainedOptions& opts) {
  const Arch& arch = *find_arch(arch_name);
  FolderConfig c = read_config(dir);
  const std::string mt = c.model_type.empty() ? pick_arch(c).model_type : c.model_type;
  EMBER_CHECK(mt == arch.model_type, kOp, "'", c.path, "': key 'model_type' is '", mt, "', but ", arch_name,
              " needs a '", arch.model_type, "' model; use models::from_pretrained to build whatever the folder holds");
  return load(dir, c, arch, opts);
}

template <typename T>
std::shared_ptr<T> typed(const PretrainedModel& m, const char* want) {
  EMBER_CHECK(m.architecture == want, "PretrainedModel", "the model is a ", m.architecture, ", not a ", want);
  return std::dynamic_pointer_cast<T>(m.module);
}

template <typename T>
std::shared_ptr<T> typed_load(const std::string& dir, const char* arch, const PretrainedOptions& opts, LoadReport* report) {
  PretrainedModel m = load_as(dir, arch, opts);
  if (report) *report = m.report;
  return std::dynamic_pointer_cast<T>(m.module);
}

}  // namespace

PretrainedModel from_pretrained(const std::string& dir, const PretrainedOptions& opts) {
  FolderConfig c = read_config(dir);
  return load(dir, c, pick_arch(c), opts);
}

std::shared_ptr<BertModel> PretrainedModel::bert_model() const { return typed<BertModel>(*this, "BertModel"); }
std::shared_ptr<BertForSequenceClassification> PretrainedModel::bert_for_sequence_classification() const {
  return typed<BertForSequenceClassification>(*this, "BertForSequenceClassification");
}
std::shared_ptr<GPT2Model> PretrainedModel::gpt2_model() const { return typed<GPT2Model>(*this, "GPT2Model"); }
std::shared_ptr<GPT> PretrainedModel::gpt2_lm_head_model() const { return typed<GPT>(*this, "GPT2LMHeadModel"); }

std::shared_ptr<BertModel> BertModel::from_pretrained(const std::string& dir, const PretrainedOptions& opts,
                                                      LoadReport* report) {
  return typed_load<BertModel>(dir, "BertModel", opts, report);
}
std::shared_ptr<BertForSequenceClassification> BertForSequenceClassification::from_pretrained(
    const std::string& dir, const PretrainedOptions& opts, LoadReport* report) {
  return typed_load<BertForSequenceClassification>(dir, "BertForSequenceClassification", opts, report);
}
std::shared_ptr<GPT> GPT::from_pretrained(const std::string& dir, const PretrainedOptions& opts, LoadReport* report) {
  return typed_load<GPT>(dir, "GPT2LMHeadModel", opts, report);
}
std::shared_ptr<GPT2Model> GPT2Model::from_pretrained(const std::string& dir, const PretrainedOptions& opts,
                                                      LoadReport* report) {
  return typed_load<GPT2Model>(dir, "GPT2Model", opts, report);
}

void save_pretrained(const nn::Module& model, const std::string& dir) {
  const char* op = "save_pretrained";
  std::string arch, config;
  if (auto* m = dynamic_cast<const BertForSequenceClassification*>(&model)) {
    arch = "BertForSequenceClassification", config = m->config.to_hf_json(arch);
  } else if (auto* m = dynamic_cast<const BertModel*>(&model)) {
    arch = "BertModel", config = m->config.to_hf_json(arch);
  } else if (auto* m = dynamic_cast<const GPT2Model*>(&model)) {  // before GPT, its base class
    arch = "GPT2Model", config = m->config.to_hf_json(arch);
  } else if (auto* m = dynamic_cast<const GPT*>(&model)) {
    arch = "GPT2LMHeadModel", config = m->config.to_hf_json(arch);
  } else {
    EMBER_FAIL(op, "a ", model.name(), " has no Hugging Face equivalent; save_pretrained writes BertModel, "
               "BertForSequenceClassification, GPT2Model and GPT (as GPT2LMHeadModel)");
  }
  const Arch& a = *find_arch(arch);
  nn::NamedTensors tensors;
  for (auto& [name, t] : model.state_dict())  // float32, as config.json's "dtype" says
    tensors.emplace_back(hf_name(a, name), t.is_floating_point() ? t.detach().to(DType::Float32) : t.detach());
  std::error_code ec;
  fs::create_directories(dir, ec);
  EMBER_CHECK(!ec && fs::is_directory(dir), op, "cannot create the folder '", dir, "': ",
              ec ? ec.message() : std::string("a file of that name exists"));
  // The weights first: a folder whose config.json is new has its new weights too.
  io::save_safetensors((fs::path(dir) / "model.safetensors").string(), tensors, {{"format", "pt"}});
  io::write_file_atomic((fs::path(dir) / "config.json").string(), config, op);
}

std::string resolve_model_dir(const std::string& name_or_dir, const std::string& data_root, const char* flag) {
  EMBER_CHECK(!name_or_dir.empty(), flag, "a Hugging Face model folder is required (config.json, model.safetensors, "
              "tokenizer.json), or the name of one under the data root's models/");
  if (fs::is_directory(name_or_dir) || fs::path(name_or_dir).has_parent_path()) return name_or_dir;
  std::string root;
  try {
    root = data::resolve_data_root(data_root);
  } catch (const Error& e) {
    EMBER_FAIL(flag, "'", name_or_dir, "' is not a folder, and there is no data root to look for it under models/: ",
               e.what());
  }
  const std::string under = (fs::path(root) / "models" / name_or_dir).string();
  EMBER_CHECK(fs::is_directory(under), flag, "'", name_or_dir, "' is neither a folder nor one under ", root,
              "/models; pass a Hugging Face model folder (config.json, model.safetensors, tokenizer.json)");
  return under;
}

}  // namespace ember::models
