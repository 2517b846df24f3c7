// ember._C.models: the C++ models (GPT, BERT, the autoencoders) and GPT's decoding. ember.models
// wraps each in a Python Module (nn/modules/_cpp.py) so state_dict names and parameters are the
// C++ ones; forward and generate run without the GIL.
#include "bind.h"
#include "ember/models/autoencoder.h"
#include "ember/models/bert.h"
#include "ember/models/generate.h"
#include "ember/models/gpt.h"

namespace ember::py {
namespace {

using namespace ember::models;
constexpr auto nogil = nb::call_guard<nb::gil_scoped_release>();
nb::object or_none(const Tensor& t) { return t.defined() ? nb::cast(t) : nb::none(); }

Generator* generator_arg(nb::handle g, const char* op) {
  if (g.is_none()) return nullptr;
  Generator* gen = nullptr;
  if (!nb::try_cast<Generator*>(g, gen) || !gen) type_error(op, "generator", "an ember.Generator or None", g);
  return gen;
}

void bind_gpt(nb::module_& m) {
  using nn::Module;
  nb::class_<GPTConfig>(m, "GPTConfig")
      .def("__init__", [](GPTConfig* c, int64_t vocab_size, int64_t block_size, int64_t n_layer, int64_t n_head,
                          int64_t n_embd, double dropout, bool bias, double eps, int64_t n_inner, std::string act) {
        new (c) GPTConfig{vocab_size, block_size, n_layer, n_head, n_embd, dropout, bias, eps, n_inner, std::move(act)};
      }, nb::arg("vocab_size") = 50257, nb::arg("block_size") = 1024, nb::arg("n_layer") = 12, nb::arg("n_head") = 12,
           nb::arg("n_embd") = 768, nb::arg("dropout") = 0.0, nb::arg("bias") = true,
           nb::arg("layer_norm_epsilon") = 1e-5, nb::arg("n_inner") = 0, nb::arg("activation_function") = "gelu_new")
      .def_rw("vocab_size", &GPTConfig::vocab_size)
      .def_rw("block_size", &GPTConfig::block_size)
      .def_rw("n_layer", &GPTConfig::n_layer)
      .def_rw("n_head", &GPTConfig::n_head)
      .def_rw("n_embd", &GPTConfig::n_embd)
      .def_rw("dropout", &GPTConfig::dropout)
      .def_rw("bias", &GPTConfig::bias)
      .def_rw("layer_norm_epsilon", &GPTConfig::layer_norm_epsilon)
      .def_rw("n_inner", &GPTConfig::n_inner)
      .def_rw("activation_function", &GPTConfig::activation_function)
      .def_rw("embd_pdrop", &GPTConfig::embd_pdrop, nb::arg().none())
      .def_rw("attn_pdrop", &GPTConfig::attn_pdrop, nb::arg().none())
      .def_rw("resid_pdrop", &GPTConfig::resid_pdrop, nb::arg().none())
      .def_rw("bos_token_id", &GPTConfig::bos_token_id, nb::arg().none())
      .def_rw("eos_token_id", &GPTConfig::eos_token_id, nb::arg().none())
      .def("num_parameters", &GPTConfig::num_parameters)
      .def_static("from_hf_json", &GPTConfig::from_hf_json, nb::arg("json_text"), nb::arg("source") = "config.json")
      .def_static("from_hf_json_file", &GPTConfig::from_hf_json_file, nb::arg("path"))
      .def("to_hf_json", &GPTConfig::to_hf_json, nb::arg("architecture") = "GPT2LMHeadModel")
      .def_static("gpt2", &GPTConfig::gpt2)
      .def_static("baby", &GPTConfig::baby)
      .def_static("shakespeare", &GPTConfig::shakespeare)
      .def("validate", &GPTConfig::validate)
      .def("__repr__", [](const GPTConfig& c) { return "GPTConfig(" + c.str() + ")"; });

  nb::class_<Conv1D, Module>(m, "Conv1D")
      .def(nb::init<int64_t, int64_t, bool>(), nb::arg("in_features"), nb::arg("out_features"), nb::arg("bias") = true)
      .def("forward", [](Conv1D& s, const Tensor& x) { return s.forward(x); }, nb::arg("input"), nogil)
      .def_ro("in_features", &Conv1D::in_features)
      .def_ro("out_features", &Conv1D::out_features);
  tensor_members<Conv1D>({{"weight", &Conv1D::weight}, {"bias", &Conv1D::bias}});
  nb::class_<CausalSelfAttention, Module>(m, "CausalSelfAttention")
      .def("forward", [](CausalSelfAttention& s, const Tensor& x) { return s.forward(x, nullptr, nullptr); },
           nb::arg("input"), nogil);
  nb::class_<MLP, Module>(m, "MLP").def("forward", [](MLP& s, const Tensor& x) { return s.forward(x); },
                                        nb::arg("input"), nogil);
  nb::class_<Block, Module>(m, "Block")
      .def("forward", [](Block& s, const Tensor& x) { return s.forward(x, nullptr, nullptr); }, nb::arg("input"), nogil);

  nb::class_<KVCache>(m, "KVCache")
      .def(nb::init<>())
      .def("__len__", &KVCache::length)
      .def_prop_ro("length", &KVCache::length)
      .def("clear", &KVCache::clear);

  nb::class_<GPT, Module>(m, "GPT")
      .def("__init__", [](GPT* self, const GPTConfig& cfg, nb::handle gen) {
        Generator* g = generator_arg(gen, "GPT");
        nb::gil_scoped_release r;
        new (self) GPT(cfg, g);
      }, nb::arg("config"), nb::arg("generator").none() = nb::none())
      .def("forward", [](GPT& s, const Tensor& idx, std::optional<Tensor> targets, KVCache* cache) {
        GPTOutput o;
        {
          nb::gil_scoped_release r;
          o = s.forward(idx, opt(targets), cache);
        }
        return nb::make_tuple(o.logits, or_none(o.loss));
      }, nb::arg("idx"), nb::arg("targets").none() = nb::none(), nb::arg("cache").none() = nb::none())
      .def("loss", &GPT::loss, nb::arg("idx"), nb::arg("targets"), nogil)
      .def("hidden_states", &GPT::hidden_states, nb::arg("idx"), nb::arg("cache").none() = nb::none(), nogil)
      .def("next_token_logits", &GPT::next_token_logits, nb::arg("idx"), nb::arg("cache").none() = nb::none(), nogil)
      .def("load_safetensors", &GPT::load_safetensors, nb::arg("path"), nogil)
      .def("decay_groups", &GPT::decay_groups)
      .def_ro("config", &GPT::config);

  m.def("generate", [](GPT& model, std::vector<int64_t> prompt, int64_t max_new_tokens, double temperature,
                       int64_t top_k, double top_p, std::optional<int64_t> stop_token, bool crop_prompt,
                       bool use_cache, nb::handle generator) {
    GenerateOptions o{max_new_tokens, temperature, top_k, top_p, stop_token, crop_prompt, use_cache};
    return with_generator(generator, "generate", [&](Generator& g) { return generate(model, prompt, o, g); });
  }, nb::arg("model"), nb::arg("prompt"), nb::arg("max_new_tokens") = 100, nb::arg("temperature") = 1.0,
        nb::arg("top_k") = 0, nb::arg("top_p") = 1.0, nb::arg("stop_token").none() = nb::none(),
        nb::arg("crop_prompt") = true, nb::arg("use_cache") = true, nb::arg("generator").none() = nb::none());
}

void bind_bert(nb::module_& m) {
  using nn::Module;
  nb::class_<BertConfig>(m, "BertConfig")
      .def("__init__", [](BertConfig* c, int64_t vocab, int64_t hidden, int64_t layers, int64_t heads,
                          int64_t intermediate, double hdrop, double adrop, int64_t maxpos, int64_t types, double eps,
                          int64_t pad, std::string act, int64_t num_labels, std::optional<double> cdrop,
                          std::string problem_type) {
        new (c) BertConfig{vocab, hidden, layers, heads, intermediate, hdrop, adrop, maxpos, types, eps, pad,
                           std::move(act), num_labels, {}, cdrop, std::move(problem_type)};
      }, nb::arg("vocab_size") = 30522, nb::arg("hidden_size") = 768, nb::arg("num_hidden_layers") = 12,
           nb::arg("num_attention_heads") = 12, nb::arg("intermediate_size") = 3072,
           nb::arg("hidden_dropout_prob") = 0.1, nb::arg("attention_probs_dropout_prob") = 0.1,
           nb::arg("max_position_embeddings") = 512, nb::arg("type_vocab_size") = 2,
           nb::arg("layer_norm_eps") = 1e-12, nb::arg("pad_token_id") = 0, nb::arg("hidden_act") = "gelu",
           nb::arg("num_labels") = 2, nb::arg("classifier_dropout").none() = nb::none(), nb::arg("problem_type") = "")
      .def_rw("vocab_size", &BertConfig::vocab_size)
      .def_rw("hidden_size", &BertConfig::hidden_size)
      .def_rw("num_hidden_layers", &BertConfig::num_hidden_layers)
      .def_rw("num_attention_heads", &BertConfig::num_attention_heads)
      .def_rw("intermediate_size", &BertConfig::intermediate_size)
      .def_rw("hidden_dropout_prob", &BertConfig::hidden_dropout_prob)
      .def_rw("attention_probs_dropout_prob", &BertConfig::attention_probs_dropout_prob)
      .def_rw("max_position_embeddings", &BertConfig::max_position_embeddings)
      .def_rw("type_vocab_size", &BertConfig::type_vocab_size)
      .def_rw("layer_norm_eps", &BertConfig::layer_norm_eps)
      .def_rw("pad_token_id", &BertConfig::pad_token_id)
      .def_rw("hidden_act", &BertConfig::hidden_act)
      .def_rw("num_labels", &BertConfig::num_labels)
      .def_rw("id2label", &BertConfig::id2label)
      .def_rw("classifier_dropout", &BertConfig::classifier_dropout, nb::arg().none())
      .def_rw("problem_type", &BertConfig::problem_type)
      .def("num_parameters", &BertConfig::num_parameters)
      .def_static("from_hf_json", &BertConfig::from_hf_json, nb::arg("json_text"), nb::arg("source") = "config.json")
      .def_static("from_hf_json_file", &BertConfig::from_hf_json_file, nb::arg("path"))
      .def("to_hf_json", &BertConfig::to_hf_json, nb::arg("architecture") = "BertModel")
      .def_static("base", &BertConfig::base)
      .def("validate", &BertConfig::validate);

  nb::class_<BertEmbeddings, Module>(m, "BertEmbeddings")
      .def("forward", &BertEmbeddings::forward, nb::arg("input_ids"), nb::arg("token_type_ids"), nogil);
  nb::class_<BertSelfAttention, Module>(m, "BertSelfAttention");
  nb::class_<BertResidualOutput, Module>(m, "BertResidualOutput")
      .def("forward", &BertResidualOutput::forward, nb::arg("input"), nb::arg("residual"), nogil);
  nb::class_<BertAttention, Module>(m, "BertAttention");
  nb::class_<BertIntermediate, Module>(m, "BertIntermediate");
  nb::class_<BertLayer, Module>(m, "BertLayer");
  nb::class_<BertModel, Module>(m, "BertModel")
      .def("__init__", [](BertModel* self, const BertConfig& cfg, nb::handle gen) {
        Generator* g = generator_arg(gen, "BertModel");
        nb::gil_scoped_release r;
        new (self) BertModel(cfg, g);
      }, nb::arg("config"), nb::arg("generator").none() = nb::none())
      .def("forward", [](BertModel& s, const Tensor& ids, std::optional<Tensor> mask, std::optional<Tensor> types) {
        BertOutput o = s.forward(ids, opt(mask), opt(types));
        return std::make_pair(o.sequence_output, o.pooled_output);
      }, nb::arg("input_ids"), nb::arg("attention_mask").none() = nb::none(),
           nb::arg("token_type_ids").none() = nb::none(), nogil)
      .def("load_safetensors", &BertModel::load_safetensors, nb::arg("path"), nogil)
      .def_ro("config", &BertModel::config);
}

void bind_autoencoders(nb::module_& m) {
  using nn::Module;
  nb::class_<ConvAutoencoder, Module>(m, "ConvAutoencoder")
      .def(nb::init<int64_t, int64_t>(), nb::arg("latent_dim") = 32, nb::arg("width") = 16)
      .def("encode", &ConvAutoencoder::encode, nb::arg("x"), nogil)
      .def("decode", &ConvAutoencoder::decode, nb::arg("z"), nogil)
      .def_ro("latent_dim", &ConvAutoencoder::latent_dim)
      .def_ro("width", &ConvAutoencoder::width);
  nb::class_<VAE, Module>(m, "VAE")
      .def(nb::init<int64_t, int64_t, int64_t>(), nb::arg("latent_dim") = 20, nb::arg("hidden") = 400,
           nb::arg("input") = 784)
      .def("encode", &VAE::encode, nb::arg("x"), nogil)
      .def("decode", &VAE::decode, nb::arg("z"), nogil)
      .def("forward", [](VAE& s, const Tensor& x, nb::handle gen) {
        Generator* g = generator_arg(gen, "VAE.forward");
        nb::gil_scoped_release r;
        VAEOutput o = s.forward(x, g);
        return std::make_tuple(o.recon, o.mu, o.logvar);
      }, nb::arg("x"), nb::arg("generator").none() = nb::none())
      .def_static("reparameterize", [](const Tensor& mu, const Tensor& logvar, nb::handle eps_or_gen) {
        if (nb::isinstance<Tensor>(eps_or_gen)) return VAE::reparameterize(mu, logvar, nb::cast<Tensor>(eps_or_gen));
        Generator* g = generator_arg(eps_or_gen, "VAE.reparameterize");
        return VAE::reparameterize(mu, logvar, g);
      }, nb::arg("mu"), nb::arg("logvar"), nb::arg("eps").none() = nb::none())
      .def_ro("latent_dim", &VAE::latent_dim)
      .def_ro("hidden", &VAE::hidden)
      .def_ro("input", &VAE::input);
  m.def("vae_loss", &vae_loss, nb::arg("recon"), nb::arg("x"), nb::arg("mu"), nb::arg("logvar"), nogil);
  m.def("vae_kl_divergence", &vae_kl_divergence, nb::arg("mu"), nb::arg("logvar"), nogil);
}

}  // namespace

void bind_pretrained(nb::module_& m);  // models_pretrained.cpp

void init_models(nb::module_& parent) {
  nb::module_ m = parent.def_submodule("models", "ember::models; use ember.models");
  bind_gpt(m);
  bind_bert(m);
  bind_pretrained(m);
  bind_autoencoders(m);
}

}  // namespace ember::py
