// ember._C.models, Hugging Face folders: from_pretrained / save_pretrained (ember/models/pretrained.h),
// LoadReport, and the architectures only they need (BertForSequenceClassification, GPT2Model).
// ember/models/pretrained.py wraps the results in Python Modules.
#include "bind.h"
#include "ember/models/bert.h"
#include "ember/models/bert_classifier.h"
#include "ember/models/gpt.h"
#include "ember/models/pretrained.h"
#include "ember/models/sentence_transformer.h"

namespace ember::py {

using namespace ember::models;

namespace {

constexpr auto nogil = nb::call_guard<nb::gil_scoped_release>();

PretrainedOptions options(bool strict, std::optional<int64_t> num_labels, nb::handle gen, const char* op) {
  PretrainedOptions o;
  o.strict = strict;
  o.num_labels = num_labels;
  if (!gen.is_none() && (!nb::try_cast<Generator*>(gen, o.generator) || !o.generator))
    type_error(op, "generator", "an ember.Generator or None", gen);
  return o;
}

// Cls::from_pretrained(dir, opts, &report) -> (model, report), without the GIL.
template <class Cls, class Bound>
void def_from_pretrained(Bound& c, const char* op) {
  c.def_static("from_pretrained", [op](const std::string& dir, bool strict, std::optional<int64_t> num_labels,
                                       nb::handle gen) {
    PretrainedOptions o = options(strict, num_labels, gen, op);
    LoadReport report;
    std::shared_ptr<Cls> model;
    {
      nb::gil_scoped_release r;
      model = Cls::from_pretrained(dir, o, &report);
    }
    return std::make_pair(model, report);
  }, nb::arg("path"), nb::arg("strict") = false, nb::arg("num_labels").none() = nb::none(),
     nb::arg("generator").none() = nb::none());
}

}  // namespace

void bind_pretrained(nb::module_& m) {
  nb::class_<LoadReport>(m, "LoadReport")
      .def_ro("missing_keys", &LoadReport::missing_keys)
      .def_ro("unexpected_keys", &LoadReport::unexpected_keys)
      .def_ro("ignored_keys", &LoadReport::ignored_keys)
      .def("all_matched", &LoadReport::all_matched)
      .def("__repr__", &LoadReport::str);

  nb::class_<BertForSequenceClassification, nn::Module> cls(m, "BertForSequenceClassification");
  cls.def("__init__", [](BertForSequenceClassification* self, const BertConfig& cfg, nb::handle gen) {
       PretrainedOptions o = options(false, std::nullopt, gen, "BertForSequenceClassification");
       nb::gil_scoped_release r;
       new (self) BertForSequenceClassification(cfg, o.generator);
     }, nb::arg("config"), nb::arg("generator").none() = nb::none())
      .def("forward", [](BertForSequenceClassification& s, const Tensor& ids, std::optional<Tensor> mask,
                         std::optional<Tensor> types, std::optional<Tensor> labels) {
        SequenceClassifierOutput o = s.forward(ids, opt(mask), opt(types), opt(labels));
        std::optional<Tensor> loss;
        if (o.loss.defined()) loss = o.loss;
        return std::make_pair(o.logits, loss);
      }, nb::arg("input_ids"), nb::arg("attention_mask").none() = nb::none(),
         nb::arg("token_type_ids").none() = nb::none(), nb::arg("labels").none() = nb::none(), nogil)
      .def_ro("config", &BertForSequenceClassification::config);
  def_from_pretrained<BertForSequenceClassification>(cls, "BertForSequenceClassification.from_pretrained");

  nb::class_<GPT2Model, GPT> gpt2(m, "GPT2Model");
  gpt2.def("__init__", [](GPT2Model* self, const GPTConfig& cfg, nb::handle gen) {
        PretrainedOptions o = options(false, std::nullopt, gen, "GPT2Model");
        nb::gil_scoped_release r;
        new (self) GPT2Model(cfg, o.generator);
      }, nb::arg("config"), nb::arg("generator").none() = nb::none())
      .def("forward", [](GPT2Model& s, const Tensor& idx, KVCache* cache) { return s.forward(idx, cache); },
           nb::arg("idx"), nb::arg("cache").none() = nb::none(), nogil);
  def_from_pretrained<GPT2Model>(gpt2, "GPT2Model.from_pretrained");

  // The typed entry points of the classes bound in models.cpp.
  auto bert = nb::borrow<nb::class_<BertModel, nn::Module>>(m.attr("BertModel"));
  def_from_pretrained<BertModel>(bert, "BertModel.from_pretrained");
  auto gpt = nb::borrow<nb::class_<GPT, nn::Module>>(m.attr("GPT"));
  def_from_pretrained<GPT>(gpt, "GPT.from_pretrained");

  // (architecture, module, report): the module as its most derived bound class.
  m.def("from_pretrained", [](const std::string& dir, bool strict, std::optional<int64_t> num_labels,
                              nb::handle gen) {
    PretrainedOptions o = options(strict, num_labels, gen, "from_pretrained");
    PretrainedModel p;
    {
      nb::gil_scoped_release r;
      p = from_pretrained(dir, o);
    }
    return std::make_tuple(p.architecture, p.module, p.report);
  }, nb::arg("path"), nb::arg("strict") = false, nb::arg("num_labels").none() = nb::none(),
        nb::arg("generator").none() = nb::none());
  m.def("save_pretrained", &save_pretrained, nb::arg("model"), nb::arg("path"), nogil);

  nb::class_<SentenceTransformer>(m, "SentenceTransformer")
      .def_static("from_pretrained", &SentenceTransformer::from_pretrained, nb::arg("path"), nogil)
      .def("encode", [](const SentenceTransformer& s, std::vector<std::string> texts, int64_t batch_size) {
        return s.encode(texts, batch_size);
      }, nb::arg("texts"), nb::arg("batch_size") = 32, nogil)
      .def("embed", &SentenceTransformer::embed, nb::arg("input_ids"), nb::arg("attention_mask"), nogil)
      .def_prop_ro("max_seq_length", &SentenceTransformer::max_seq_length)
      .def_prop_ro("dimension", &SentenceTransformer::dimension)
      .def_prop_ro("normalizes", &SentenceTransformer::normalizes)
      .def_prop_ro("tokenizer", [](const SentenceTransformer& s) { return s.tokenizer(); })
      .def_prop_ro("model", [](const SentenceTransformer& s) { return s.model(); });
}

}  // namespace ember::py
