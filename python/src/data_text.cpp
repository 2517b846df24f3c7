// ember._C.data's text data sets: IMDB reviews (word ids), TokenWindows and CharLMDataset
// (nanoGPT's char-level language model). ember/datasets.py gives them torchvision-like classes;
// as Datasets bound from C++, the DataLoader loads them without Python.
#include "bind.h"

namespace ember::py {
namespace {

using namespace ember::data;

Split split_arg(const std::string& s, const char* op) {
  if (s == "train") return Split::Train;
  if (s == "val" || s == "validation") return Split::Val;
  throw nb::value_error((std::string(op) + "(): argument 'split' must be 'train' or 'val', got '" + s + "'").c_str());
}

nb::list str_list(const std::vector<std::string>& v) {
  nb::list out;
  for (const auto& s : v) {
    PyObject* o = PyUnicode_DecodeUTF8(s.data(), static_cast<Py_ssize_t>(s.size()), "replace");
    if (!o) throw nb::python_error();
    out.append(nb::steal(o));
  }
  return out;
}

}  // namespace

void init_data_text(nb::module_& d) {
  nb::class_<TextSplit>(d, "TextSplit", "Labelled texts (IMDB reviews: 0 = negative, 1 = positive).")
      .def("__init__", [](TextSplit* self, std::vector<std::string> texts, std::vector<int64_t> labels) {
        if (texts.size() != labels.size())
          throw nb::value_error(("TextSplit(): " + std::to_string(texts.size()) + " texts but " +
                                 std::to_string(labels.size()) + " labels").c_str());
        new (self) TextSplit{std::move(texts), std::move(labels)};
      }, nb::arg("texts"), nb::arg("labels"))
      .def("__len__", &TextSplit::size)
      .def_prop_ro("texts", [](const TextSplit& s) { return str_list(s.texts); })
      .def_ro("labels", &TextSplit::labels)
      // WordTokenizer.build over these texts without a round trip through Python strings.
      .def("build_vocab", [](const TextSplit& s, int64_t min_freq, std::optional<int64_t> max_size) {
        nb::gil_scoped_release r;
        return text::WordTokenizer::build(s.texts, {.min_freq = min_freq, .max_size = max_size});
      }, nb::arg("min_freq") = 1, nb::arg("max_size").none() = nb::none());
  d.def("read_imdb_file", [](const std::string& path) {
    nb::gil_scoped_release r;
    return read_imdb_file(path);
  }, nb::arg("path"));
  d.def("read_imdb", [](const std::string& root) {
    IMDBReviews rv;
    {
      nb::gil_scoped_release r;
      rv = read_imdb(root);
    }
    return nb::make_tuple(std::move(rv.train), std::move(rv.test));
  }, nb::arg("root") = "");

  nb::class_<IMDB, Dataset>(d, "IMDB")
      .def("__init__", [](IMDB* self, const TextSplit& split, std::shared_ptr<text::WordTokenizer> tok, int64_t max_len,
                          bool keep_end) {
        if (!tok) throw nb::type_error("IMDB(): argument 'tokenizer' must be a WordTokenizer, not None");
        nb::gil_scoped_release r;
        new (self) IMDB(split, std::move(tok), max_len, keep_end);
      }, nb::arg("split"), nb::arg("tokenizer"), nb::arg("max_len"), nb::arg("keep_end") = false)
      .def_prop_ro("tokens", &IMDB::tokens)
      .def_prop_ro("lengths", &IMDB::lengths)
      .def_prop_ro("labels", &IMDB::labels)
      .def_prop_ro("max_len", &IMDB::max_len);
  d.def("padded_lengths", &padded_lengths, nb::arg("tokens"), nb::arg("pad_id") = text::WordTokenizer::kPad);

  nb::class_<TokenWindows, Dataset>(d, "TokenWindows")
      .def(nb::init<Tensor, int64_t, std::string>(), nb::arg("ids"), nb::arg("block_size"),
           nb::arg("what") = "token stream")
      .def_prop_ro("block_size", &TokenWindows::block_size);

  nb::class_<CharLMDataset>(d, "CharLMDataset")
      .def("__init__", [](CharLMDataset* self, nb::handle text_obj, double train_fraction,
                          std::optional<text::CharTokenizer> tok) {
        std::string_view text = text_arg(text_obj, "CharLMDataset");
        nb::gil_scoped_release r;
        if (tok) new (self) CharLMDataset(std::string(text), std::move(*tok), train_fraction);
        else new (self) CharLMDataset(std::string(text), train_fraction);
      }, nb::arg("text").none(), nb::arg("train_fraction") = 0.9, nb::arg("tokenizer").none() = nb::none())
      .def_static("from_file", [](const std::string& path, double train_fraction,
                                  std::optional<text::CharTokenizer> tok) {
        nb::gil_scoped_release r;
        std::string text = read_text_file(path);
        return tok ? CharLMDataset(text, std::move(*tok), train_fraction) : CharLMDataset(text, train_fraction);
      }, nb::arg("path"), nb::arg("train_fraction") = 0.9, nb::arg("tokenizer").none() = nb::none())
      .def_static("tinyshakespeare", [](const std::string& root, double train_fraction) {
        nb::gil_scoped_release r;
        return CharLMDataset::tinyshakespeare(root, train_fraction);
      }, nb::arg("root") = "", nb::arg("train_fraction") = 0.9)
      .def_prop_ro("tokenizer", &CharLMDataset::tokenizer)
      .def("ids", [](const CharLMDataset& ds, const std::string& s) { return ds.ids(split_arg(s, "ids")); },
           nb::arg("split"))
      .def("windows", [](const CharLMDataset& ds, const std::string& s, int64_t block_size) {
        return ds.windows(split_arg(s, "windows"), block_size);
      }, nb::arg("split"), nb::arg("block_size"))
      .def("sample_batch", [](const CharLMDataset& ds, const std::string& s, int64_t batch_size, int64_t block_size,
                              nb::handle generator) {
        Split split = split_arg(s, "sample_batch");
        Batch b = with_generator(generator, "sample_batch",
                                 [&](Generator& g) { return ds.sample_batch(split, batch_size, block_size, g); });
        return nb::make_tuple(b.data, b.target);
      }, nb::arg("split"), nb::arg("batch_size"), nb::arg("block_size"), nb::arg("generator").none() = nb::none());
  d.def("read_text_file", [](const std::string& path) {
    std::string s;
    {
      nb::gil_scoped_release r;
      s = read_text_file(path);
    }
    return nb::bytes(s.data(), s.size());
  }, nb::arg("path"));
}

}  // namespace ember::py
