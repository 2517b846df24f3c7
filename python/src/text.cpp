// ember._C.text: the C++ tokenizers. Text arrives as str (its UTF-8) or bytes; ids as a list of
// ints or a 1-D int tensor. Encoding runs without the GIL (the str's UTF-8 buffer is immutable
// and the caller holds it). ember/text.py adds Hugging Face's __call__.
#include "bind.h"

namespace ember::py {

std::string_view text_arg(nb::handle h, const char* op, const char* arg) {
  if (PyUnicode_Check(h.ptr())) {
    Py_ssize_t n = 0;
    const char* p = PyUnicode_AsUTF8AndSize(h.ptr(), &n);
    if (!p) throw nb::python_error();  // e.g. a lone surrogate
    return {p, static_cast<size_t>(n)};
  }
  if (PyBytes_Check(h.ptr())) return {PyBytes_AS_STRING(h.ptr()), static_cast<size_t>(PyBytes_GET_SIZE(h.ptr()))};
  type_error(op, arg, "a str or bytes", h);
}

namespace {

using namespace ember::text;

std::vector<std::string> texts_arg(nb::handle h, const char* op) {
  if (PyUnicode_Check(h.ptr()) || PyBytes_Check(h.ptr()) || !PySequence_Check(h.ptr()))
    type_error(op, "texts", "a list of str", h);
  std::vector<std::string> out;
  out.reserve(static_cast<size_t>(nb::len(h)));
  for (nb::handle t : nb::borrow<nb::sequence>(h)) out.emplace_back(text_arg(t, op, "texts"));
  return out;
}

// Decoded bytes as str; a prefix of an encoding may end inside a UTF-8 character, which becomes
// U+FFFD as in Hugging Face's and tiktoken's decode.
nb::str to_str(const std::string& s) {
  PyObject* o = PyUnicode_DecodeUTF8(s.data(), static_cast<Py_ssize_t>(s.size()), "replace");
  if (!o) throw nb::python_error();
  return nb::steal<nb::str>(o);
}

nb::list to_list(const std::vector<int64_t>& ids) {
  PyObject* l = PyList_New(static_cast<Py_ssize_t>(ids.size()));
  if (!l) throw nb::python_error();
  for (size_t i = 0; i < ids.size(); ++i) PyList_SET_ITEM(l, static_cast<Py_ssize_t>(i), PyLong_FromLongLong(ids[i]));
  return nb::steal<nb::list>(l);
}

// decode(ids) for a tensor (the C++ checks its shape and dtype), one int, or a sequence of ints.
template <class Decode>
std::string decode_arg(nb::handle ids, const char* op, Decode&& decode) {
  if (nb::isinstance<Tensor>(ids)) {
    const Tensor& t = nb::cast<const Tensor&>(ids);
    nb::gil_scoped_release r;
    return decode(t);
  }
  std::vector<int64_t> v;
  auto as_id = [&](nb::handle e) {
    if (PyBool_Check(e.ptr()) || !PyIndex_Check(e.ptr())) type_error(op, "ids", "a list of ints or a 1-D int tensor", e);
    long long x = PyLong_AsLongLong(e.ptr());  // numpy ints too, through __index__
    if (x == -1 && PyErr_Occurred()) throw nb::python_error();
    v.push_back(x);
  };
  if (PyIndex_Check(ids.ptr()) && !PyBool_Check(ids.ptr()) && !PySequence_Check(ids.ptr())) {  // one id
    as_id(ids);
  } else {
    if (!PySequence_Check(ids.ptr()) || PyUnicode_Check(ids.ptr()) || PyBytes_Check(ids.ptr()))
      type_error(op, "ids", "a list of ints or a 1-D int tensor", ids);
    for (nb::handle e : nb::borrow<nb::sequence>(ids)) as_id(e);
  }
  nb::gil_scoped_release r;
  return decode(v);
}

template <class Tok>
void json_pickle(nb::class_<Tok>& c) {
  c.def("to_json", &Tok::to_json)
      .def_static("from_json", [](const std::string& s) { return Tok::from_json(s); }, nb::arg("json"))
      .def("__eq__", [](const Tok& a, nb::handle b) { return nb::isinstance<Tok>(b) && a == nb::cast<const Tok&>(b); })
      .def("__getstate__", &Tok::to_json)
      .def("__setstate__", [](Tok* self, const std::string& s) { new (self) Tok(Tok::from_json(s)); });
  c.attr("__hash__") = nb::none();
}

void init_char(nb::module_& t) {
  // dynamic_attr: Hugging Face users set tok.pad_token (ember/text.py).
  nb::class_<CharTokenizer> c(t, "CharTokenizer", nb::dynamic_attr(),
                              "One token per Unicode character over the sorted distinct characters of a text "
                              "(char-rnn, nanoGPT's sorted(set(text))).");
  c.def_static("from_text", [](nb::handle text) {
        std::string_view s = text_arg(text, "CharTokenizer.from_text");
        nb::gil_scoped_release r;
        return CharTokenizer::from_text(s);
      }, nb::arg("text").none())
      .def_static("from_vocab", [](nb::handle vocab) {  // the characters as str/UTF-8 bytes, or code points
        if (PyUnicode_Check(vocab.ptr()) || PyBytes_Check(vocab.ptr()))
          return CharTokenizer::from_vocab_utf8(text_arg(vocab, "CharTokenizer.from_vocab", "vocab"));
        std::vector<char32_t> chars;
        for (int64_t v : nb::cast<std::vector<int64_t>>(vocab))  // out of range: 0x110000, which from_vocab names
          chars.push_back(v >= 0 && v <= 0x10FFFF ? static_cast<char32_t>(v) : char32_t{0x110000});
        return CharTokenizer::from_vocab(chars);
      }, nb::arg("vocab").none())
      .def_prop_ro("vocab_size", &CharTokenizer::vocab_size)
      .def("__len__", &CharTokenizer::vocab_size)
      .def_prop_ro("vocab", [](const CharTokenizer& tok) { return to_str(tok.vocab_utf8()); })  // id -> character
      .def("__contains__", [](const CharTokenizer& tok, nb::handle ch) {
        nb::str s = PyBytes_Check(ch.ptr()) ? to_str(std::string(text_arg(ch, "CharTokenizer.__contains__", "char")))
                                            : nb::borrow<nb::str>(ch);
        if (!PyUnicode_Check(s.ptr())) type_error("CharTokenizer.__contains__", "char", "a str or bytes", ch);
        return PyUnicode_GetLength(s.ptr()) == 1 && tok.contains(static_cast<char32_t>(PyUnicode_ReadChar(s.ptr(), 0)));
      })
      .def("encode", [](const CharTokenizer& tok, nb::handle text) {
        std::string_view s = text_arg(text, "CharTokenizer.encode");
        std::vector<int64_t> ids;
        {
          nb::gil_scoped_release r;
          ids = tok.encode(s);
        }
        return to_list(ids);
      }, nb::arg("text").none())
      .def("encode_tensor", [](const CharTokenizer& tok, nb::handle text) {
        std::string_view s = text_arg(text, "CharTokenizer.encode_tensor");
        nb::gil_scoped_release r;
        return tok.encode_tensor(s);
      }, nb::arg("text").none())
      .def("decode", [](const CharTokenizer& tok, nb::handle ids) {
        return to_str(decode_arg(ids, "CharTokenizer.decode", [&](const auto& x) { return tok.decode(x); }));
      }, nb::arg("ids").none())
      .def("decode_bytes", [](const CharTokenizer& tok, nb::handle ids) {
        std::string s = decode_arg(ids, "CharTokenizer.decode_bytes", [&](const auto& x) { return tok.decode(x); });
        return nb::bytes(s.data(), s.size());
      }, nb::arg("ids").none())
      .def("__repr__", [](const CharTokenizer& tok) {
        return "CharTokenizer(vocab_size=" + std::to_string(tok.vocab_size()) + ")";
      });
  json_pickle(c);
}

void init_word(nb::module_& t) {
  nb::class_<WordTokenizer> c(t, "WordTokenizer",
                              "Word-level vocabulary: <pad> = 0, <unk> = 1, then words by frequency (IMDB).");
  c.def_ro_static("pad_token_id", &WordTokenizer::kPad)
      .def_ro_static("unk_token_id", &WordTokenizer::kUnk)
      .def_prop_ro_static("pad_token", [](nb::handle) { return WordTokenizer::kPadToken; })
      .def_prop_ro_static("unk_token", [](nb::handle) { return WordTokenizer::kUnkToken; })
      .def_static("split_words", [](nb::handle text) {
        std::string_view s = text_arg(text, "WordTokenizer.split_words");
        std::vector<std::string> words;
        {
          nb::gil_scoped_release r;
          words = WordTokenizer::split_words(s);
        }
        nb::list out;
        for (const auto& w : words) out.append(to_str(w));
        return out;
      }, nb::arg("text").none())
      .def_static("build", [](nb::handle texts, int64_t min_freq, std::optional<int64_t> max_size) {
        std::vector<std::string> v = texts_arg(texts, "WordTokenizer.build");
        nb::gil_scoped_release r;
        return WordTokenizer::build(v, {.min_freq = min_freq, .max_size = max_size});
      }, nb::arg("texts").none(), nb::arg("min_freq") = 1, nb::arg("max_size").none() = nb::none())
      .def_static("from_words", [](nb::handle words) {
        return WordTokenizer::from_words(texts_arg(words, "WordTokenizer.from_words"));
      }, nb::arg("words").none())
      .def_prop_ro("vocab_size", &WordTokenizer::vocab_size)
      .def("__len__", &WordTokenizer::vocab_size)
      .def_prop_ro("vocab", [](const WordTokenizer& tok) {  // id -> token
        nb::list out;
        for (const auto& w : tok.vocab()) out.append(to_str(w));
        return out;
      })
      .def("get_vocab", [](const WordTokenizer& tok) {  // token -> id, as Hugging Face's
        nb::dict d;
        const auto& v = tok.vocab();
        for (size_t i = 0; i < v.size(); ++i) d[to_str(v[i])] = i;
        return d;
      })
      .def("id_of", [](const WordTokenizer& tok, nb::handle w) {
        return tok.id_of(text_arg(w, "WordTokenizer.id_of", "word"));
      }, nb::arg("word").none())
      .def("token", [](const WordTokenizer& tok, int64_t id) { return to_str(tok.token(id)); }, nb::arg("id"))
      .def("encode", [](const WordTokenizer& tok, nb::handle text) {
        std::string_view s = text_arg(text, "WordTokenizer.encode");
        std::vector<int64_t> ids;
        {
          nb::gil_scoped_release r;
          ids = tok.encode(s);
        }
        return to_list(ids);
      }, nb::arg("text").none())
      .def("encode_tensor", [](const WordTokenizer& tok, nb::handle text) {
        std::string_view s = text_arg(text, "WordTokenizer.encode_tensor");
        nb::gil_scoped_release r;
        return tok.encode_tensor(s);
      }, nb::arg("text").none())
      .def("decode", [](const WordTokenizer& tok, nb::handle ids, bool keep_padding) {
        return to_str(decode_arg(ids, "WordTokenizer.decode", [&](const auto& x) { return tok.decode(x, keep_padding); }));
      }, nb::arg("ids").none(), nb::arg("keep_padding") = false)
      .def("__repr__", [](const WordTokenizer& tok) {
        return "WordTokenizer(vocab_size=" + std::to_string(tok.vocab_size()) + ")";
      });
  json_pickle(c);
}

void init_gpt2(nb::module_& t) {
  nb::class_<GPT2Tokenizer>(t, "GPT2Tokenizer", nb::dynamic_attr(), "GPT-2's byte-level BPE (the ids of OpenAI's encoder and tiktoken).")
      .def_static("from_files", [](const std::string& encoder_json, const std::string& vocab_bpe) {
        nb::gil_scoped_release r;
        return GPT2Tokenizer::from_files(encoder_json, vocab_bpe);
      }, nb::arg("encoder_json"), nb::arg("vocab_bpe"))
      .def_static("from_directory", [](const std::string& dir) {
        nb::gil_scoped_release r;
        return GPT2Tokenizer::from_directory(dir);
      }, nb::arg("directory"))
      .def("encode", [](const GPT2Tokenizer& tok, nb::handle text, bool allow_special) {
        std::string_view s = text_arg(text, "GPT2Tokenizer.encode");
        std::vector<int64_t> ids;
        {
          nb::gil_scoped_release r;
          ids = tok.encode(s, {.allow_special = allow_special});
        }
        return to_list(ids);
      }, nb::arg("text").none(), nb::arg("allow_special") = false)
      .def("encode_tensor", [](const GPT2Tokenizer& tok, nb::handle text, bool allow_special) {
        std::string_view s = text_arg(text, "GPT2Tokenizer.encode_tensor");
        nb::gil_scoped_release r;
        return tok.encode_tensor(s, {.allow_special = allow_special});
      }, nb::arg("text").none(), nb::arg("allow_special") = false)
      .def("decode", [](const GPT2Tokenizer& tok, nb::handle ids) {
        return to_str(decode_arg(ids, "GPT2Tokenizer.decode", [&](const auto& x) { return tok.decode(x); }));
      }, nb::arg("ids").none())
      .def("decode_bytes", [](const GPT2Tokenizer& tok, nb::handle ids) {
        std::string s = decode_arg(ids, "GPT2Tokenizer.decode_bytes", [&](const auto& x) { return tok.decode(x); });
        return nb::bytes(s.data(), s.size());
      }, nb::arg("ids").none())
      .def("token_bytes", [](const GPT2Tokenizer& tok, int64_t id) {
        const std::string& s = tok.token_bytes(id);
        return nb::bytes(s.data(), s.size());
      }, nb::arg("id"))
      .def_prop_ro("vocab_size", &GPT2Tokenizer::vocab_size)
      .def("__len__", &GPT2Tokenizer::vocab_size)
      .def_prop_ro("eot_token", &GPT2Tokenizer::eot_token)
      .def_prop_ro("num_merges", &GPT2Tokenizer::num_merges)
      .def("__repr__", [](const GPT2Tokenizer& tok) {
        return "GPT2Tokenizer(vocab_size=" + std::to_string(tok.vocab_size()) + ")";
      });
}

}  // namespace

void init_text_hf(nb::module_& t);  // text_hf.cpp: Tokenizer (tokenizer.json), Encoding

void init_text(nb::module_& m) {
  nb::module_ t = m.def_submodule("text", "ember::text");
  init_char(t);
  init_word(t);
  init_gpt2(t);
  init_text_hf(t);
}

}  // namespace ember::py
