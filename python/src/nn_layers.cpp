// ember._C._nn: the feed-forward layers (linear, convolution, pooling, normalization, dropout,
// embedding, activations, flatten) and the C++ containers that C++ layers hold as children.
#include "bind.h"
#include "ember/nn/layers.h"
#include "ember/nn/positional.h"

namespace ember::py {
namespace {

// ember.nn passes sizes as 2-lists (it parses PyTorch's int-or-tuple forms).
nn::Pair pair(const Shape& s) {
  nn::Pair p(int64_t{0});
  p.v = s;
  return p;
}
constexpr auto nogil = nb::call_guard<nb::gil_scoped_release>();

template <class M>
auto forward1() {
  return [](M& self, const Tensor& x) { return self.forward(x); };
}

}  // namespace

void init_nn_layers(nb::module_& m) {
  using nn::Module;
  nb::class_<nn::Linear, Module>(m, "Linear")
      .def(nb::init<int64_t, int64_t, bool>(), nb::arg("in_features"), nb::arg("out_features"), nb::arg("bias") = true)
      .def("forward", forward1<nn::Linear>(), nb::arg("input"), nogil)
      .def("reset_parameters", &nn::Linear::reset_parameters)
      .def_ro("in_features", &nn::Linear::in_features)
      .def_ro("out_features", &nn::Linear::out_features);
  tensor_members<nn::Linear>({{"weight", &nn::Linear::weight}, {"bias", &nn::Linear::bias}});
  nb::class_<nn::Identity, Module>(m, "Identity").def(nb::init<>());

  nb::class_<nn::Conv1d, Module>(m, "Conv1d")
      .def(nb::init<int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, bool>(), nb::arg("in_channels"),
           nb::arg("out_channels"), nb::arg("kernel_size"), nb::arg("stride"), nb::arg("padding"), nb::arg("dilation"),
           nb::arg("groups"), nb::arg("bias"))
      .def("forward", forward1<nn::Conv1d>(), nb::arg("input"), nogil)
      .def_ro("in_channels", &nn::Conv1d::in_channels)
      .def_ro("out_channels", &nn::Conv1d::out_channels)
      .def_ro("kernel_size", &nn::Conv1d::kernel_size)
      .def_ro("stride", &nn::Conv1d::stride)
      .def_ro("padding", &nn::Conv1d::padding)
      .def_ro("dilation", &nn::Conv1d::dilation)
      .def_ro("groups", &nn::Conv1d::groups);
  tensor_members<nn::Conv1d>({{"weight", &nn::Conv1d::weight}, {"bias", &nn::Conv1d::bias}});
  nb::class_<nn::Conv2d, Module>(m, "Conv2d")
      .def("__init__", [](nn::Conv2d* self, int64_t in, int64_t out, const Shape& k, const Shape& s, const Shape& p,
                          const Shape& d, int64_t groups, bool bias) {
        new (self) nn::Conv2d(in, out, pair(k), pair(s), pair(p), pair(d), groups, bias);
      }, nb::arg("in_channels"), nb::arg("out_channels"), nb::arg("kernel_size"), nb::arg("stride"),
           nb::arg("padding"), nb::arg("dilation"), nb::arg("groups"), nb::arg("bias"))
      .def("forward", forward1<nn::Conv2d>(), nb::arg("input"), nogil)
      .def_ro("in_channels", &nn::Conv2d::in_channels)
      .def_ro("out_channels", &nn::Conv2d::out_channels)
      .def_ro("kernel_size", &nn::Conv2d::kernel_size)
      .def_ro("stride", &nn::Conv2d::stride)
      .def_ro("padding", &nn::Conv2d::padding)
      .def_ro("dilation", &nn::Conv2d::dilation)
      .def_ro("groups", &nn::Conv2d::groups);
  tensor_members<nn::Conv2d>({{"weight", &nn::Conv2d::weight}, {"bias", &nn::Conv2d::bias}});
  nb::class_<nn::ConvTranspose2d, Module>(m, "ConvTranspose2d")
      .def("__init__", [](nn::ConvTranspose2d* self, int64_t in, int64_t out, const Shape& k, const Shape& s,
                          const Shape& p, const Shape& op, int64_t groups, bool bias, const Shape& d) {
        new (self) nn::ConvTranspose2d(in, out, pair(k), pair(s), pair(p), pair(op), groups, bias, pair(d));
      }, nb::arg("in_channels"), nb::arg("out_channels"), nb::arg("kernel_size"), nb::arg("stride"),
           nb::arg("padding"), nb::arg("output_padding"), nb::arg("groups"), nb::arg("bias"), nb::arg("dilation"))
      .def("forward", forward1<nn::ConvTranspose2d>(), nb::arg("input"), nogil)
      .def_ro("in_channels", &nn::ConvTranspose2d::in_channels)
      .def_ro("out_channels", &nn::ConvTranspose2d::out_channels)
      .def_ro("kernel_size", &nn::ConvTranspose2d::kernel_size)
      .def_ro("stride", &nn::ConvTranspose2d::stride)
      .def_ro("padding", &nn::ConvTranspose2d::padding)
      .def_ro("dilation", &nn::ConvTranspose2d::dilation)
      .def_ro("groups", &nn::ConvTranspose2d::groups)
      .def_ro("output_padding", &nn::ConvTranspose2d::output_padding);
  tensor_members<nn::ConvTranspose2d>({{"weight", &nn::ConvTranspose2d::weight}, {"bias", &nn::ConvTranspose2d::bias}});

  nb::class_<nn::MaxPool2d, Module>(m, "MaxPool2d")
      .def("__init__", [](nn::MaxPool2d* self, const Shape& k, const Shape& s, const Shape& p, const Shape& d, bool ceil) {
        new (self) nn::MaxPool2d(pair(k), pair(s), pair(p), pair(d), ceil);
      }, nb::arg("kernel_size"), nb::arg("stride"), nb::arg("padding"), nb::arg("dilation"), nb::arg("ceil_mode"))
      .def("forward", forward1<nn::MaxPool2d>(), nb::arg("input"), nogil);
  nb::class_<nn::AvgPool2d, Module>(m, "AvgPool2d")
      .def("__init__", [](nn::AvgPool2d* self, const Shape& k, const Shape& s, const Shape& p, bool ceil, bool cip) {
        new (self) nn::AvgPool2d(pair(k), pair(s), pair(p), ceil, cip);
      }, nb::arg("kernel_size"), nb::arg("stride"), nb::arg("padding"), nb::arg("ceil_mode"), nb::arg("count_include_pad"))
      .def("forward", forward1<nn::AvgPool2d>(), nb::arg("input"), nogil);
  nb::class_<nn::AdaptiveAvgPool2d, Module>(m, "AdaptiveAvgPool2d")
      .def("__init__", [](nn::AdaptiveAvgPool2d* self, const Shape& o) { new (self) nn::AdaptiveAvgPool2d(pair(o)); },
           nb::arg("output_size"))
      .def("forward", forward1<nn::AdaptiveAvgPool2d>(), nb::arg("input"), nogil);

  nb::class_<nn::Dropout, Module>(m, "Dropout")
      .def("__init__", [](nn::Dropout* self, double p) { new (self) nn::Dropout(p); }, nb::arg("p"))
      .def("forward", forward1<nn::Dropout>(), nb::arg("input"), nogil)
      .def_ro("p", &nn::Dropout::p);

  nb::class_<nn::Embedding, Module>(m, "Embedding")
      .def(nb::init<int64_t, int64_t, std::optional<int64_t>>(), nb::arg("num_embeddings"), nb::arg("embedding_dim"),
           nb::arg("padding_idx").none())
      .def("forward", forward1<nn::Embedding>(), nb::arg("input"), nogil)
      .def_ro("num_embeddings", &nn::Embedding::num_embeddings)
      .def_ro("embedding_dim", &nn::Embedding::embedding_dim)
      .def_ro("padding_idx", &nn::Embedding::padding_idx);
  tensor_members<nn::Embedding>({{"weight", &nn::Embedding::weight}});
  nb::class_<nn::LearnedPositionalEmbedding, nn::Embedding>(m, "LearnedPositionalEmbedding")
      .def(nb::init<int64_t, int64_t>(), nb::arg("max_len"), nb::arg("embedding_dim"))
      .def("forward", forward1<nn::LearnedPositionalEmbedding>(), nb::arg("positions"), nogil)
      .def("forward_range", &nn::LearnedPositionalEmbedding::forward_range, nb::arg("length"), nb::arg("offset") = 0);
  tensor_members<nn::LearnedPositionalEmbedding>({{"weight", &nn::Embedding::weight}});

  nb::class_<nn::BatchNorm, Module>(m, "_BatchNorm")
      .def("forward", forward1<nn::BatchNorm>(), nb::arg("input"), nogil)
      .def_ro("num_features", &nn::BatchNorm::num_features)
      .def_ro("eps", &nn::BatchNorm::eps)
      .def_rw("momentum", &nn::BatchNorm::momentum)
      .def_ro("affine", &nn::BatchNorm::affine)
      .def_ro("track_running_stats", &nn::BatchNorm::track_running_stats);
  nb::class_<nn::BatchNorm1d, nn::BatchNorm>(m, "BatchNorm1d")
      .def(nb::init<int64_t, double, double, bool, bool>(), nb::arg("num_features"), nb::arg("eps"),
           nb::arg("momentum"), nb::arg("affine"), nb::arg("track_running_stats"));
  nb::class_<nn::BatchNorm2d, nn::BatchNorm>(m, "BatchNorm2d")
      .def(nb::init<int64_t, double, double, bool, bool>(), nb::arg("num_features"), nb::arg("eps"),
           nb::arg("momentum"), nb::arg("affine"), nb::arg("track_running_stats"));
  auto bn_members = [](auto* tag) {
    using M = std::remove_pointer_t<decltype(tag)>;
    tensor_members<M>({{"weight", &nn::BatchNorm::weight}, {"bias", &nn::BatchNorm::bias},
                       {"running_mean", &nn::BatchNorm::running_mean}, {"running_var", &nn::BatchNorm::running_var},
                       {"num_batches_tracked", &nn::BatchNorm::num_batches_tracked}});
  };
  bn_members(static_cast<nn::BatchNorm1d*>(nullptr));
  bn_members(static_cast<nn::BatchNorm2d*>(nullptr));
  nb::class_<nn::LayerNorm, Module>(m, "LayerNorm")
      .def(nb::init<Shape, double, bool>(), nb::arg("normalized_shape"), nb::arg("eps"), nb::arg("elementwise_affine"))
      .def("forward", forward1<nn::LayerNorm>(), nb::arg("input"), nogil)
      .def_ro("normalized_shape", &nn::LayerNorm::normalized_shape)
      .def_ro("eps", &nn::LayerNorm::eps);
  tensor_members<nn::LayerNorm>({{"weight", &nn::LayerNorm::weight}, {"bias", &nn::LayerNorm::bias}});

  nb::class_<nn::ReLU, Module>(m, "ReLU").def(nb::init<>());
  nb::class_<nn::Tanh, Module>(m, "Tanh").def(nb::init<>());
  nb::class_<nn::Sigmoid, Module>(m, "Sigmoid").def(nb::init<>());
  nb::class_<nn::SiLU, Module>(m, "SiLU").def(nb::init<>());
  nb::class_<nn::LeakyReLU, Module>(m, "LeakyReLU")
      .def(nb::init<double>(), nb::arg("negative_slope"))
      .def_ro("negative_slope", &nn::LeakyReLU::negative_slope);
  nb::class_<nn::GELU, Module>(m, "GELU")
      .def(nb::init<std::string>(), nb::arg("approximate"))
      .def_ro("approximate", &nn::GELU::approximate);
  nb::class_<nn::Softmax, Module>(m, "Softmax").def(nb::init<int64_t>(), nb::arg("dim")).def_ro("dim", &nn::Softmax::dim);
  nb::class_<nn::LogSoftmax, Module>(m, "LogSoftmax")
      .def(nb::init<int64_t>(), nb::arg("dim"))
      .def_ro("dim", &nn::LogSoftmax::dim);
  nb::class_<nn::Flatten, Module>(m, "Flatten")
      .def(nb::init<int64_t, int64_t>(), nb::arg("start_dim"), nb::arg("end_dim"))
      .def_ro("start_dim", &nn::Flatten::start_dim)
      .def_ro("end_dim", &nn::Flatten::end_dim);
  nb::class_<nn::Unflatten, Module>(m, "Unflatten")
      .def(nb::init<int64_t, Shape>(), nb::arg("dim"), nb::arg("unflattened_size"))
      .def_ro("dim", &nn::Unflatten::dim)
      .def_ro("unflattened_size", &nn::Unflatten::unflattened_size);

  // Containers appear only as children of C++ layers (TransformerEncoder.layers); ember.nn wraps them.
  nb::class_<nn::Sequential, Module>(m, "Sequential");
  nb::class_<nn::ModuleList, Module>(m, "ModuleList");
  nb::class_<nn::ModuleDict, Module>(m, "ModuleDict");
}

}  // namespace ember::py
