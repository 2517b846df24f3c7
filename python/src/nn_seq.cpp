// ember._C._nn: sequence layers: recurrent layers and cells, PackedSequence and its utilities,
// multi-head attention, transformer layers and stacks.
#include "bind.h"
#include "ember/nn/positional.h"
#include "ember/nn/rnn.h"
#include "ember/nn/transformer.h"

namespace ember::py {
namespace {

constexpr auto nogil = nb::call_guard<nb::gil_scoped_release>();

// The read-only fields TransformerEncoderLayer and TransformerDecoderLayer share.
template <class Layer>
nb::class_<Layer, nn::Module> layer_attrs(nb::class_<Layer, nn::Module> c) {
  return c.def_ro("d_model", &Layer::d_model)
      .def_ro("nhead", &Layer::nhead)
      .def_ro("dim_feedforward", &Layer::dim_feedforward)
      .def_ro("activation", &Layer::activation)
      .def_ro("batch_first", &Layer::batch_first)
      .def_ro("norm_first", &Layer::norm_first);
}
nb::object or_none(const Tensor& t) { return t.defined() ? nb::cast(t) : nb::none(); }

}  // namespace

void init_nn_seq(nb::module_& m) {
  using nn::Module;
  nb::class_<nn::PackedSequence>(m, "PackedSequence")
      .def("__init__", [](nn::PackedSequence* self, const Tensor& data, const Tensor& batch_sizes,
                          std::optional<Tensor> sorted, std::optional<Tensor> unsorted) {
        new (self) nn::PackedSequence{data, batch_sizes, opt(sorted), opt(unsorted)};
      }, nb::arg("data"), nb::arg("batch_sizes"), nb::arg("sorted_indices").none() = nb::none(),
           nb::arg("unsorted_indices").none() = nb::none())
      .def_prop_ro("data", [](const nn::PackedSequence& p) { return p.data; })
      .def_prop_ro("batch_sizes", [](const nn::PackedSequence& p) { return p.batch_sizes; })
      .def_prop_ro("sorted_indices", [](const nn::PackedSequence& p) { return or_none(p.sorted_indices); })
      .def_prop_ro("unsorted_indices", [](const nn::PackedSequence& p) { return or_none(p.unsorted_indices); })
      .def("__iter__", [](const nn::PackedSequence& p) {  // unpacks as PyTorch's namedtuple
        return nb::iter(nb::make_tuple(p.data, p.batch_sizes, or_none(p.sorted_indices), or_none(p.unsorted_indices)));
      })
      .def("__repr__", [](const nn::PackedSequence& p) {
        return "PackedSequence(data=" + to_string(p.data) + ", batch_sizes=" + to_string(p.batch_sizes) + ")";
      });
  m.def("pack_padded_sequence", nb::overload_cast<const Tensor&, const std::vector<int64_t>&, bool, bool>(
                                    &nn::pack_padded_sequence),
        nb::arg("input"), nb::arg("lengths"), nb::arg("batch_first"), nb::arg("enforce_sorted"));
  m.def("pack_padded_sequence", nb::overload_cast<const Tensor&, const Tensor&, bool, bool>(&nn::pack_padded_sequence),
        nb::arg("input"), nb::arg("lengths"), nb::arg("batch_first"), nb::arg("enforce_sorted"));
  m.def("pad_packed_sequence", &nn::pad_packed_sequence, nb::arg("sequence"), nb::arg("batch_first"),
        nb::arg("padding_value"), nb::arg("total_length").none());
  m.def("pad_sequence", &nn::pad_sequence, nb::arg("sequences"), nb::arg("batch_first"), nb::arg("padding_value"));
  m.def("pack_sequence", &nn::pack_sequence, nb::arg("sequences"), nb::arg("enforce_sorted"));

  nb::class_<nn::RNNBase, Module>(m, "_RNNBase")
      .def_ro("mode", &nn::RNNBase::mode)
      .def_ro("input_size", &nn::RNNBase::input_size)
      .def_ro("hidden_size", &nn::RNNBase::hidden_size)
      .def_ro("num_layers", &nn::RNNBase::num_layers)
      .def_ro("bias", &nn::RNNBase::bias)
      .def_ro("batch_first", &nn::RNNBase::batch_first)
      .def_ro("dropout", &nn::RNNBase::dropout)
      .def_ro("bidirectional", &nn::RNNBase::bidirectional)
      .def("flat_weights", &nn::RNNBase::flat_weights)
      .def("reset_parameters", &nn::RNNBase::reset_parameters)
      // (output, h_n, c_n or None): pack, forward and pad to T steps as one op (ONNX export).
      .def("forward_padded", [](nn::RNNBase& self, const Tensor& x, const Tensor& lengths) {
        auto r = self.forward_padded(x, lengths);
        return std::make_tuple(r.output, r.h_n, r.c_n.defined() ? std::optional<Tensor>(r.c_n) : std::nullopt);
      }, nb::arg("input"), nb::arg("lengths"), nb::call_guard<nb::gil_scoped_release>());
  // RNN / GRU: (output, h_n); LSTM: (output, h_n, c_n). Padded or packed input.
  nb::class_<nn::RNN, nn::RNNBase>(m, "RNN")
      .def(nb::init<int64_t, int64_t, int64_t, const std::string&, bool, bool, double, bool>(), nb::arg("input_size"),
           nb::arg("hidden_size"), nb::arg("num_layers"), nb::arg("nonlinearity"), nb::arg("bias"),
           nb::arg("batch_first"), nb::arg("dropout"), nb::arg("bidirectional"))
      .def("forward", [](nn::RNN& self, const Tensor& x, std::optional<Tensor> h0) {
        auto r = self.forward(x, opt(h0));
        return std::make_pair(r.output, r.h_n);
      }, nb::arg("input"), nb::arg("hx").none() = nb::none(), nogil)
      .def("forward", [](nn::RNN& self, const nn::PackedSequence& x, std::optional<Tensor> h0) {
        auto r = self.forward(x, opt(h0));
        return std::make_pair(r.output, r.h_n);
      }, nb::arg("input"), nb::arg("hx").none() = nb::none(), nogil)
      .def_ro("nonlinearity", &nn::RNN::nonlinearity);
  nb::class_<nn::GRU, nn::RNNBase>(m, "GRU")
      .def(nb::init<int64_t, int64_t, int64_t, bool, bool, double, bool>(), nb::arg("input_size"),
           nb::arg("hidden_size"), nb::arg("num_layers"), nb::arg("bias"), nb::arg("batch_first"), nb::arg("dropout"),
           nb::arg("bidirectional"))
      .def("forward", [](nn::GRU& self, const Tensor& x, std::optional<Tensor> h0) {
        auto r = self.forward(x, opt(h0));
        return std::make_pair(r.output, r.h_n);
      }, nb::arg("input"), nb::arg("hx").none() = nb::none(), nogil)
      .def("forward", [](nn::GRU& self, const nn::PackedSequence& x, std::optional<Tensor> h0) {
        auto r = self.forward(x, opt(h0));
        return std::make_pair(r.output, r.h_n);
      }, nb::arg("input"), nb::arg("hx").none() = nb::none(), nogil);
  nb::class_<nn::LSTM, nn::RNNBase>(m, "LSTM")
      .def(nb::init<int64_t, int64_t, int64_t, bool, bool, double, bool>(), nb::arg("input_size"),
           nb::arg("hidden_size"), nb::arg("num_layers"), nb::arg("bias"), nb::arg("batch_first"), nb::arg("dropout"),
           nb::arg("bidirectional"))
      .def("forward", [](nn::LSTM& self, const Tensor& x, std::optional<Tensor> h0, std::optional<Tensor> c0) {
        auto r = self.forward(x, opt(h0), opt(c0));
        return std::make_tuple(r.output, r.h_n, r.c_n);
      }, nb::arg("input"), nb::arg("h0").none() = nb::none(), nb::arg("c0").none() = nb::none(), nogil)
      .def("forward", [](nn::LSTM& self, const nn::PackedSequence& x, std::optional<Tensor> h0, std::optional<Tensor> c0) {
        auto r = self.forward(x, opt(h0), opt(c0));
        return std::make_tuple(r.output, r.h_n, r.c_n);
      }, nb::arg("input"), nb::arg("h0").none() = nb::none(), nb::arg("c0").none() = nb::none(), nogil);

  nb::class_<nn::RNNCellBase, Module>(m, "_RNNCellBase")
      .def_ro("input_size", &nn::RNNCellBase::input_size)
      .def_ro("hidden_size", &nn::RNNCellBase::hidden_size)
      .def_ro("bias", &nn::RNNCellBase::bias)
      .def("reset_parameters", &nn::RNNCellBase::reset_parameters);
  auto cell_members = [](auto* tag) {
    using M = std::remove_pointer_t<decltype(tag)>;
    tensor_members<M>({{"weight_ih", &nn::RNNCellBase::weight_ih}, {"weight_hh", &nn::RNNCellBase::weight_hh},
                       {"bias_ih", &nn::RNNCellBase::bias_ih}, {"bias_hh", &nn::RNNCellBase::bias_hh}});
  };
  nb::class_<nn::RNNCell, nn::RNNCellBase>(m, "RNNCell")
      .def(nb::init<int64_t, int64_t, bool, const std::string&>(), nb::arg("input_size"), nb::arg("hidden_size"),
           nb::arg("bias"), nb::arg("nonlinearity"))
      .def("forward", [](nn::RNNCell& self, const Tensor& x, std::optional<Tensor> h) { return self.forward(x, opt(h)); },
           nb::arg("input"), nb::arg("hx").none() = nb::none(), nogil)
      .def_ro("nonlinearity", &nn::RNNCell::nonlinearity);
  nb::class_<nn::GRUCell, nn::RNNCellBase>(m, "GRUCell")
      .def(nb::init<int64_t, int64_t, bool>(), nb::arg("input_size"), nb::arg("hidden_size"), nb::arg("bias"))
      .def("forward", [](nn::GRUCell& self, const Tensor& x, std::optional<Tensor> h) { return self.forward(x, opt(h)); },
           nb::arg("input"), nb::arg("hx").none() = nb::none(), nogil);
  nb::class_<nn::LSTMCell, nn::RNNCellBase>(m, "LSTMCell")
      .def(nb::init<int64_t, int64_t, bool>(), nb::arg("input_size"), nb::arg("hidden_size"), nb::arg("bias"))
      .def("forward", [](nn::LSTMCell& self, const Tensor& x, std::optional<Tensor> h, std::optional<Tensor> c) {
        auto r = self.forward(x, opt(h), opt(c));
        return std::make_pair(r.h, r.c);
      }, nb::arg("input"), nb::arg("h").none() = nb::none(), nb::arg("c").none() = nb::none(), nogil);
  cell_members(static_cast<nn::RNNCell*>(nullptr));
  cell_members(static_cast<nn::GRUCell*>(nullptr));
  cell_members(static_cast<nn::LSTMCell*>(nullptr));

  m.def("generate_square_subsequent_mask", &nn::generate_square_subsequent_mask, nb::arg("sz"),
        nb::arg("dtype") = kFloat32);
  m.def("sinusoidal_positional_encoding", &nn::sinusoidal_positional_encoding, nb::arg("max_len"),
        nb::arg("d_model"), nb::arg("dtype") = kFloat32);

  nb::class_<nn::MultiheadAttention, Module>(m, "MultiheadAttention")
      .def(nb::init<int64_t, int64_t, double, bool, bool, std::optional<int64_t>, std::optional<int64_t>>(),
           nb::arg("embed_dim"), nb::arg("num_heads"), nb::arg("dropout"), nb::arg("bias"), nb::arg("batch_first"),
           nb::arg("kdim").none(), nb::arg("vdim").none())
      .def("forward", [](nn::MultiheadAttention& self, const Tensor& q, const Tensor& k, const Tensor& v,
                         std::optional<Tensor> kpm, bool need_weights, std::optional<Tensor> attn_mask,
                         bool average, bool is_causal) {
        std::pair<Tensor, Tensor> r;
        {
          nb::gil_scoped_release release;
          r = self.forward(q, k, v, opt(kpm), need_weights, opt(attn_mask), average, is_causal);
        }
        return nb::make_tuple(r.first, or_none(r.second));
      }, nb::arg("query"), nb::arg("key"), nb::arg("value"), nb::arg("key_padding_mask").none() = nb::none(),
           nb::arg("need_weights") = true, nb::arg("attn_mask").none() = nb::none(),
           nb::arg("average_attn_weights") = true, nb::arg("is_causal") = false)
      .def_ro("embed_dim", &nn::MultiheadAttention::embed_dim)
      .def_ro("num_heads", &nn::MultiheadAttention::num_heads)
      .def_ro("head_dim", &nn::MultiheadAttention::head_dim)
      .def_ro("kdim", &nn::MultiheadAttention::kdim)
      .def_ro("vdim", &nn::MultiheadAttention::vdim)
      .def_ro("dropout", &nn::MultiheadAttention::dropout)
      .def_ro("batch_first", &nn::MultiheadAttention::batch_first);
  tensor_members<nn::MultiheadAttention>({{"in_proj_weight", &nn::MultiheadAttention::in_proj_weight},
                                          {"in_proj_bias", &nn::MultiheadAttention::in_proj_bias},
                                          {"q_proj_weight", &nn::MultiheadAttention::q_proj_weight},
                                          {"k_proj_weight", &nn::MultiheadAttention::k_proj_weight},
                                          {"v_proj_weight", &nn::MultiheadAttention::v_proj_weight}});

  layer_attrs(nb::class_<nn::TransformerEncoderLayer, Module>(m, "TransformerEncoderLayer"))
      .def(nb::init<int64_t, int64_t, int64_t, double, std::string, double, bool, bool>(), nb::arg("d_model"),
           nb::arg("nhead"), nb::arg("dim_feedforward"), nb::arg("dropout"), nb::arg("activation"),
           nb::arg("layer_norm_eps"), nb::arg("batch_first"), nb::arg("norm_first"))
      .def("forward", [](nn::TransformerEncoderLayer& self, const Tensor& src, std::optional<Tensor> mask,
                         std::optional<Tensor> kpm, bool is_causal) {
        return self.forward(src, opt(mask), opt(kpm), is_causal);
      }, nb::arg("src"), nb::arg("src_mask").none() = nb::none(), nb::arg("src_key_padding_mask").none() = nb::none(),
           nb::arg("is_causal") = false, nogil);
  layer_attrs(nb::class_<nn::TransformerDecoderLayer, Module>(m, "TransformerDecoderLayer"))
      .def(nb::init<int64_t, int64_t, int64_t, double, std::string, double, bool, bool>(), nb::arg("d_model"),
           nb::arg("nhead"), nb::arg("dim_feedforward"), nb::arg("dropout"), nb::arg("activation"),
           nb::arg("layer_norm_eps"), nb::arg("batch_first"), nb::arg("norm_first"))
      .def("forward", [](nn::TransformerDecoderLayer& self, const Tensor& tgt, const Tensor& memory,
                         std::optional<Tensor> tm, std::optional<Tensor> mm, std::optional<Tensor> tkpm,
                         std::optional<Tensor> mkpm, bool tc, bool mc) {
        return self.forward(tgt, memory, opt(tm), opt(mm), opt(tkpm), opt(mkpm), tc, mc);
      }, nb::arg("tgt"), nb::arg("memory"), nb::arg("tgt_mask").none() = nb::none(),
           nb::arg("memory_mask").none() = nb::none(), nb::arg("tgt_key_padding_mask").none() = nb::none(),
           nb::arg("memory_key_padding_mask").none() = nb::none(), nb::arg("tgt_is_causal") = false,
           nb::arg("memory_is_causal") = false, nogil);
  nb::class_<nn::TransformerEncoder, Module>(m, "TransformerEncoder")
      .def(nb::init<const nn::TransformerEncoderLayer&, int64_t, std::shared_ptr<nn::LayerNorm>>(),
           nb::arg("encoder_layer"), nb::arg("num_layers"), nb::arg("norm").none())
      .def("forward", [](nn::TransformerEncoder& self, const Tensor& src, std::optional<Tensor> mask,
                         std::optional<Tensor> kpm, bool is_causal) {
        return self.forward(src, opt(mask), opt(kpm), is_causal);
      }, nb::arg("src"), nb::arg("mask").none() = nb::none(), nb::arg("src_key_padding_mask").none() = nb::none(),
           nb::arg("is_causal") = false, nogil)
      .def_ro("num_layers", &nn::TransformerEncoder::num_layers);
  nb::class_<nn::TransformerDecoder, Module>(m, "TransformerDecoder")
      .def(nb::init<const nn::TransformerDecoderLayer&, int64_t, std::shared_ptr<nn::LayerNorm>>(),
           nb::arg("decoder_layer"), nb::arg("num_layers"), nb::arg("norm").none())
      .def("forward", [](nn::TransformerDecoder& self, const Tensor& tgt, const Tensor& memory,
                         std::optional<Tensor> tm, std::optional<Tensor> mm, std::optional<Tensor> tkpm,
                         std::optional<Tensor> mkpm, bool tc, bool mc) {
        return self.forward(tgt, memory, opt(tm), opt(mm), opt(tkpm), opt(mkpm), tc, mc);
      }, nb::arg("tgt"), nb::arg("memory"), nb::arg("tgt_mask").none() = nb::none(),
           nb::arg("memory_mask").none() = nb::none(), nb::arg("tgt_key_padding_mask").none() = nb::none(),
           nb::arg("memory_key_padding_mask").none() = nb::none(), nb::arg("tgt_is_causal") = false,
           nb::arg("memory_is_causal") = false, nogil)
      .def_ro("num_layers", &nn::TransformerDecoder::num_layers);
}

}  // namespace ember::py
