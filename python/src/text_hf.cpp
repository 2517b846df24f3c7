// ember._C.text.Tokenizer / Encoding: Hugging Face tokenizer.json pipelines (ember/text/tokenizer.h)
// with the method names of the `tokenizers` package. Offsets are given in characters, as its
// Python API gives them (the C++ gives bytes). Encoding runs without the GIL.
#include <nanobind/stl/string_view.h>

#include "bind.h"
#include "ember/text/tokenizer.h"

namespace ember::py {

namespace {

using namespace ember::text;

nb::str utf8_str(const std::string& s) {
  PyObject* o = PyUnicode_DecodeUTF8(s.data(), static_cast<Py_ssize_t>(s.size()), "replace");
  if (!o) throw nb::python_error();
  return nb::steal<nb::str>(o);
}

// An encoding with character offsets (the texts it came from are needed to count characters).
Encoding with_char_offsets(Encoding e, std::string_view text, std::string_view pair) {
  e.offsets = e.char_offsets(text, pair);
  return e;
}

std::vector<int64_t> ids_arg(nb::handle ids, const char* op) {
  if (nb::isinstance<Tensor>(ids)) {
    const Tensor& t = nb::cast<const Tensor&>(ids);
    if (t.dim() != 1) throw nb::value_error((std::string(op) + "(): a tensor of ids must be 1-D").c_str());
    Tensor l = t.to(DType::Int64).contiguous();
    const int64_t* p = l.data_ptr<int64_t>();
    return std::vector<int64_t>(p, p + l.numel());
  }
  if (!PySequence_Check(ids.ptr()) || PyUnicode_Check(ids.ptr()) || PyBytes_Check(ids.ptr()))
    type_error(op, "ids", "a list of ints or a 1-D int tensor", ids);
  std::vector<int64_t> v;
  for (nb::handle e : nb::borrow<nb::sequence>(ids)) {
    if (PyBool_Check(e.ptr()) || !PyIndex_Check(e.ptr())) type_error(op, "ids", "a list of ints or a 1-D int tensor", e);
    long long x = PyLong_AsLongLong(e.ptr());
    if (x == -1 && PyErr_Occurred()) throw nb::python_error();
    v.push_back(x);
  }
  return v;
}

TruncationStrategy strategy_arg(const std::string& s) {
  if (s == "longest_first") return TruncationStrategy::LongestFirst;
  if (s == "only_first") return TruncationStrategy::OnlyFirst;
  if (s == "only_second") return TruncationStrategy::OnlySecond;
  throw nb::value_error(("enable_truncation(): strategy must be 'longest_first', 'only_first' or 'only_second', got '" +
                         s + "'").c_str());
}

Direction direction_arg(const std::string& s, const char* op) {
  if (s == "right") return Direction::Right;
  if (s == "left") return Direction::Left;
  throw nb::value_error((std::string(op) + "(): direction must be 'right' or 'left', got '" + s + "'").c_str());
}

const char* name(Direction d) { return d == Direction::Right ? "right" : "left"; }
const char* name(TruncationStrategy s) {
  return s == TruncationStrategy::LongestFirst ? "longest_first"
         : s == TruncationStrategy::OnlyFirst  ? "only_first"
                                               : "only_second";
}

// encode_batch's input: str items, or (text, pair) tuples/lists.
std::vector<Encoding> encode_batch(const Tokenizer& tok, nb::handle input, bool add_special) {
  const char* op = "Tokenizer.encode_batch";
  if (PyUnicode_Check(input.ptr()) || !PySequence_Check(input.ptr()))
    type_error(op, "input", "a list of str or of (str, str) pairs", input);
  std::vector<std::string> singles;
  std::vector<std::pair<std::string, std::string>> pairs;
  for (nb::handle item : nb::borrow<nb::sequence>(input)) {
    if (PyUnicode_Check(item.ptr()) || PyBytes_Check(item.ptr())) {
      singles.emplace_back(text_arg(item, op, "input"));
    } else if ((PyTuple_Check(item.ptr()) || PyList_Check(item.ptr())) && nb::len(item) == 2) {
      pairs.emplace_back(std::string(text_arg(item[0], op, "input")), std::string(text_arg(item[1], op, "input")));
    } else {
      type_error(op, "input", "a list of str or of (str, str) pairs", item);
    }
  }
  if (!singles.empty() && !pairs.empty())
    throw nb::value_error("Tokenizer.encode_batch(): mix of single texts and pairs; give one kind");
  std::vector<Encoding> out;
  {
    nb::gil_scoped_release r;
    out = pairs.empty() ? tok.encode_batch(singles, add_special) : tok.encode_batch(pairs, add_special);
    for (size_t i = 0; i < out.size(); ++i)
      out[i] = pairs.empty() ? with_char_offsets(std::move(out[i]), singles[i], {})
                             : with_char_offsets(std::move(out[i]), pairs[i].first, pairs[i].second);
  }
  return out;
}

}  // namespace

void init_text_hf(nb::module_& t) {
  nb::class_<Encoding>(t, "Encoding", "One input's tokens: ids, type_ids, tokens, offsets (characters), masks.")
      .def_ro("ids", &Encoding::ids)
      .def_ro("type_ids", &Encoding::type_ids)
      .def_prop_ro("tokens", [](const Encoding& e) {
        nb::list l;
        for (const auto& s : e.tokens) l.append(utf8_str(s));
        return l;
      })
      .def_ro("offsets", &Encoding::offsets)
      .def_ro("attention_mask", &Encoding::attention_mask)
      .def_ro("special_tokens_mask", &Encoding::special_tokens_mask)
      .def_prop_ro("word_ids", [](const Encoding& e) {
        nb::list l;
        for (int64_t w : e.word_ids) l.append(w < 0 ? nb::object(nb::none()) : nb::object(nb::int_(w)));
        return l;
      })
      .def_prop_ro("sequence_ids", [](const Encoding& e) {
        nb::list l;
        for (int64_t s : e.sequence_ids) l.append(s < 0 ? nb::object(nb::none()) : nb::object(nb::int_(s)));
        return l;
      })
      .def("__len__", &Encoding::size)
      .def("__repr__", [](const Encoding& e) {
        return "Encoding(num_tokens=" + std::to_string(e.size()) + ", attributes=[ids, type_ids, tokens, offsets, "
               "attention_mask, special_tokens_mask, word_ids, sequence_ids])";
      });

  nb::class_<Tokenizer>(t, "Tokenizer", nb::dynamic_attr(),
                        "A Hugging Face tokenizer.json pipeline (WordPiece, BPE, WordLevel), as `tokenizers.Tokenizer`.")
      .def_static("from_file", [](const std::string& path) {
        nb::gil_scoped_release r;
        return Tokenizer::from_file(path);
      }, nb::arg("path"))
      .def_static("from_str", [](const std::string& json) {
        nb::gil_scoped_release r;
        return Tokenizer::from_json(json);
      }, nb::arg("json"))
      .def_static("from_pretrained", [](const std::string& dir) {
        nb::gil_scoped_release r;
        return Tokenizer::from_pretrained(dir);
      }, nb::arg("path"))
      .def("encode", [](const Tokenizer& tok, nb::handle text, nb::handle pair, bool add_special) {
        std::string_view a = text_arg(text, "Tokenizer.encode", "sequence");
        if (pair.is_none()) {
          nb::gil_scoped_release r;
          return with_char_offsets(tok.encode(a, add_special), a, {});
        }
        std::string_view b = text_arg(pair, "Tokenizer.encode", "pair");
        nb::gil_scoped_release r;
        return with_char_offsets(tok.encode(a, b, add_special), a, b);
      }, nb::arg("sequence"), nb::arg("pair").none() = nb::none(), nb::arg("add_special_tokens") = true)
      .def("encode_batch", &encode_batch, nb::arg("input"), nb::arg("add_special_tokens") = true)
      .def("decode", [](const Tokenizer& tok, nb::handle ids, bool skip) {
        std::vector<int64_t> v = ids_arg(ids, "Tokenizer.decode");
        std::string s;
        {
          nb::gil_scoped_release r;
          s = tok.decode(v, skip);
        }
        return utf8_str(s);
      }, nb::arg("ids"), nb::arg("skip_special_tokens") = true)
      .def("decode_batch", [](const Tokenizer& tok, nb::handle seqs, bool skip) {
        if (!PySequence_Check(seqs.ptr())) type_error("Tokenizer.decode_batch", "sequences", "a list of id lists", seqs);
        nb::list out;
        for (nb::handle ids : nb::borrow<nb::sequence>(seqs)) {
          std::vector<int64_t> v = ids_arg(ids, "Tokenizer.decode_batch");
          out.append(utf8_str(tok.decode(v, skip)));
        }
        return out;
      }, nb::arg("sequences"), nb::arg("skip_special_tokens") = true)
      .def("token_to_id", [](const Tokenizer& tok, std::string_view token) { return tok.token_to_id(token); },
           nb::arg("token"))
      .def("id_to_token", [](const Tokenizer& tok, int64_t id) -> nb::object {
        auto s = tok.id_to_token(id);
        return s ? nb::object(utf8_str(*s)) : nb::none();
      }, nb::arg("id"))
      .def("get_vocab_size", &Tokenizer::vocab_size, nb::arg("with_added_tokens") = true)
      .def("enable_truncation", [](Tokenizer& tok, int64_t max_length, int64_t stride, const std::string& strategy,
                                   const std::string& direction) {
        TruncationParams p;
        p.max_length = max_length;
        p.stride = stride;
        p.strategy = strategy_arg(strategy);
        p.direction = direction_arg(direction, "enable_truncation");
        tok.enable_truncation(p);
      }, nb::arg("max_length"), nb::arg("stride") = 0, nb::arg("strategy") = "longest_first",
         nb::arg("direction") = "right")
      .def("no_truncation", &Tokenizer::no_truncation)
      .def_prop_ro("truncation", [](const Tokenizer& tok) -> nb::object {
        if (!tok.truncation()) return nb::none();
        const TruncationParams& p = *tok.truncation();
        nb::dict d;
        d["max_length"] = p.max_length;
        d["stride"] = p.stride;
        d["strategy"] = name(p.strategy);
        d["direction"] = name(p.direction);
        return d;
      })
      .def("enable_padding", [](Tokenizer& tok, const std::string& direction, int64_t pad_id, int64_t pad_type_id,
                                const std::string& pad_token, std::optional<int64_t> length,
                                std::optional<int64_t> multiple) {
        PaddingParams p;
        p.direction = direction_arg(direction, "enable_padding");
        p.pad_id = pad_id;
        p.pad_type_id = pad_type_id;
        p.pad_token = pad_token;
        p.length = length;
        p.pad_to_multiple_of = multiple;
        tok.enable_padding(p);
      }, nb::arg("direction") = "right", nb::arg("pad_id") = 0, nb::arg("pad_type_id") = 0,
         nb::arg("pad_token") = "[PAD]", nb::arg("length").none() = nb::none(),
         nb::arg("pad_to_multiple_of").none() = nb::none())
      .def("no_padding", &Tokenizer::no_padding)
      .def_prop_ro("padding", [](const Tokenizer& tok) -> nb::object {
        if (!tok.padding()) return nb::none();
        const PaddingParams& p = *tok.padding();
        nb::dict d;
        d["length"] = p.length ? nb::object(nb::int_(*p.length)) : nb::none();
        d["pad_to_multiple_of"] = p.pad_to_multiple_of ? nb::object(nb::int_(*p.pad_to_multiple_of)) : nb::none();
        d["pad_id"] = p.pad_id;
        d["pad_type_id"] = p.pad_type_id;
        d["pad_token"] = p.pad_token;
        d["direction"] = name(p.direction);
        return d;
      })
      .def("__copy__", [](const Tokenizer& tok) { return Tokenizer(tok); })
      .def("__repr__", [](const Tokenizer& tok) {
        return "Tokenizer(vocab_size=" + std::to_string(tok.vocab_size()) + ")";
      });
}

}  // namespace ember::py
