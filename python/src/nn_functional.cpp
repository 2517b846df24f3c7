// ember._C._nn: torch.nn.functional's ops, nn.init and nn.utils' gradient clipping. ember.nn.functional
// parses PyTorch's argument forms (int-or-tuple sizes, None) and calls these directly.
#include "bind.h"
#include "ember/nn/init.h"
#include "ember/optim/clip.h"

namespace ember::py {
namespace {

constexpr auto nogil = nb::call_guard<nb::gil_scoped_release>();

Tensor& ref(nb::handle t) { return nb::cast<Tensor&>(t); }

// F.pad's constant mode: pads = (left_last, right_last, left_prev, right_prev, ...), negative crops.
Tensor constant_pad(const Tensor& x, const std::vector<int64_t>& pads, double value) {
  EMBER_CHECK(pads.size() % 2 == 0 && static_cast<int64_t>(pads.size() / 2) <= x.dim(), "pad",
              "padding length must be even and at most 2 * input.dim() (", 2 * x.dim(), "), got ", pads.size());
  Tensor out = x;
  for (size_t i = 0; i < pads.size() / 2; ++i) {
    int64_t d = x.dim() - 1 - static_cast<int64_t>(i);
    int64_t lo = pads[2 * i], hi = pads[2 * i + 1];
    if (lo < 0) out = out.narrow(d, -lo, out.size(d) + lo), lo = 0;
    if (hi < 0) out = out.narrow(d, 0, out.size(d) + hi), hi = 0;
    EMBER_CHECK(out.size(d) >= 0, "pad", "negative padding crops dim ", d, " below zero");
    std::vector<Tensor> parts;
    Shape s = out.shape();
    if (lo > 0) s[d] = lo, parts.push_back(full(s, value, TensorOptions(out.dtype())));
    parts.push_back(out);
    if (hi > 0) s[d] = hi, parts.push_back(full(s, value, TensorOptions(out.dtype())));
    if (parts.size() > 1) out = cat(parts, d);
  }
  return out;
}

}  // namespace

void init_nn_functional(nb::module_& m) {
  // ---- activations ----
  m.def("relu", [](const Tensor& x) { return relu(x); }, nb::arg("input"));
  m.def("gelu", [](const Tensor& x, const std::string& a) { return gelu(x, a); }, nb::arg("input"),
        nb::arg("approximate") = "none");
  m.def("silu", [](const Tensor& x) { return silu(x); }, nb::arg("input"));
  m.def("leaky_relu", [](const Tensor& x, double s) { return leaky_relu(x, s); }, nb::arg("input"),
        nb::arg("negative_slope") = 0.01);
  m.def("sigmoid", [](const Tensor& x) { return sigmoid(x); }, nb::arg("input"));
  m.def("tanh", [](const Tensor& x) { return tanh(x); }, nb::arg("input"));
  m.def("clamp", [](const Tensor& x, std::optional<Scalar> lo, std::optional<Scalar> hi) { return clamp(x, lo, hi); },
        nb::arg("input"), nb::arg("min").none(), nb::arg("max").none());
  m.def("softmax", [](const Tensor& x, int64_t d) { return softmax(x, d); }, nb::arg("input"), nb::arg("dim"));
  m.def("log_softmax", [](const Tensor& x, int64_t d) { return log_softmax(x, d); }, nb::arg("input"), nb::arg("dim"));
  m.def("distillation_loss", [](const Tensor& s, const Tensor& t, const Tensor& y, double temperature, double alpha) {
    return distillation_loss(s, t, y, temperature, alpha);
  }, nb::arg("student_logits"), nb::arg("teacher_logits"), nb::arg("target"), nb::arg("temperature"), nb::arg("alpha"));

  // ---- linear, convolution, pooling ----
  m.def("linear", [](const Tensor& x, const Tensor& w, std::optional<Tensor> b) { return linear(x, w, opt(b)); },
        nb::arg("input"), nb::arg("weight"), nb::arg("bias").none(), nogil);
  m.def("conv1d", [](const Tensor& x, const Tensor& w, std::optional<Tensor> b, int64_t s, int64_t p, int64_t d,
                     int64_t g) { return conv1d(x, w, opt(b), s, p, d, g); },
        nb::arg("input"), nb::arg("weight"), nb::arg("bias").none(), nb::arg("stride"), nb::arg("padding"),
        nb::arg("dilation"), nb::arg("groups"), nogil);
  m.def("conv2d", [](const Tensor& x, const Tensor& w, std::optional<Tensor> b, const Shape& s, const Shape& p,
                     const Shape& d, int64_t g) { return conv2d(x, w, opt(b), s, p, d, g); },
        nb::arg("input"), nb::arg("weight"), nb::arg("bias").none(), nb::arg("stride"), nb::arg("padding"),
        nb::arg("dilation"), nb::arg("groups"), nogil);
  m.def("conv_transpose2d", [](const Tensor& x, const Tensor& w, std::optional<Tensor> b, const Shape& s,
                               const Shape& p, const Shape& op, int64_t g, const Shape& d) {
    return conv_transpose2d(x, w, opt(b), s, p, op, g, d);
  }, nb::arg("input"), nb::arg("weight"), nb::arg("bias").none(), nb::arg("stride"), nb::arg("padding"),
        nb::arg("output_padding"), nb::arg("groups"), nb::arg("dilation"), nogil);
  m.def("max_pool2d", [](const Tensor& x, const Shape& k, const Shape& s, const Shape& p, const Shape& d, bool ceil) {
    return max_pool2d(x, k, s, p, d, ceil);
  }, nb::arg("input"), nb::arg("kernel_size"), nb::arg("stride"), nb::arg("padding"), nb::arg("dilation"),
        nb::arg("ceil_mode"), nogil);
  m.def("avg_pool2d", [](const Tensor& x, const Shape& k, const Shape& s, const Shape& p, bool ceil, bool cip) {
    return avg_pool2d(x, k, s, p, ceil, cip);
  }, nb::arg("input"), nb::arg("kernel_size"), nb::arg("stride"), nb::arg("padding"), nb::arg("ceil_mode"),
        nb::arg("count_include_pad"), nogil);
  m.def("adaptive_avg_pool2d", [](const Tensor& x, const Shape& o) { return adaptive_avg_pool2d(x, o); },
        nb::arg("input"), nb::arg("output_size"), nogil);
  m.def("pad", &constant_pad, nb::arg("input"), nb::arg("pad"), nb::arg("value"));

  // ---- normalization, dropout, embedding, attention ----
  m.def("dropout", [](const Tensor& x, double p, bool training) { return dropout(x, p, training); },
        nb::arg("input"), nb::arg("p"), nb::arg("training"));
  m.def("layer_norm", [](const Tensor& x, const Shape& ns, std::optional<Tensor> w, std::optional<Tensor> b,
                         double eps) { return layer_norm(x, ns, opt(w), opt(b), eps); },
        nb::arg("input"), nb::arg("normalized_shape"), nb::arg("weight").none(), nb::arg("bias").none(),
        nb::arg("eps"), nogil);
  m.def("batch_norm", [](const Tensor& x, std::optional<Tensor> rm, std::optional<Tensor> rv, std::optional<Tensor> w,
                         std::optional<Tensor> b, bool training, double momentum, double eps) {
    return batch_norm(x, opt(rm), opt(rv), opt(w), opt(b), training, momentum, eps);
  }, nb::arg("input"), nb::arg("running_mean").none(), nb::arg("running_var").none(), nb::arg("weight").none(),
        nb::arg("bias").none(), nb::arg("training"), nb::arg("momentum"), nb::arg("eps"), nogil);
  m.def("embedding", [](const Tensor& i, const Tensor& w, std::optional<int64_t> pad) { return embedding(i, w, pad); },
        nb::arg("input"), nb::arg("weight"), nb::arg("padding_idx").none());
  m.def("one_hot", [](const Tensor& i, int64_t n) { return one_hot(i, n); }, nb::arg("tensor"),
        nb::arg("num_classes") = -1);
  m.def("scaled_dot_product_attention", [](const Tensor& q, const Tensor& k, const Tensor& v, std::optional<Tensor> mask,
                                           double p, bool causal, std::optional<double> scale) {
    return scaled_dot_product_attention(q, k, v, opt(mask), p, causal, scale);
  }, nb::arg("query"), nb::arg("key"), nb::arg("value"), nb::arg("attn_mask").none(), nb::arg("dropout_p"),
        nb::arg("is_causal"), nb::arg("scale").none(), nogil);

  // ---- losses (reduction "mean" / "sum" / "none") ----
  m.def("cross_entropy", [](const Tensor& x, const Tensor& t, std::optional<Tensor> w, int64_t ii, const std::string& r,
                            double ls) { return cross_entropy(x, t, opt(w), ii, r, ls); },
        nb::arg("input"), nb::arg("target"), nb::arg("weight").none(), nb::arg("ignore_index"), nb::arg("reduction"),
        nb::arg("label_smoothing"), nogil);
  m.def("nll_loss", [](const Tensor& x, const Tensor& t, std::optional<Tensor> w, int64_t ii, const std::string& r) {
    return nll_loss(x, t, opt(w), ii, r);
  }, nb::arg("input"), nb::arg("target"), nb::arg("weight").none(), nb::arg("ignore_index"), nb::arg("reduction"));
  m.def("mse_loss", [](const Tensor& x, const Tensor& t, const std::string& r) { return mse_loss(x, t, r); },
        nb::arg("input"), nb::arg("target"), nb::arg("reduction"));
  m.def("l1_loss", [](const Tensor& x, const Tensor& t, const std::string& r) { return l1_loss(x, t, r); },
        nb::arg("input"), nb::arg("target"), nb::arg("reduction"));
  m.def("binary_cross_entropy", [](const Tensor& x, const Tensor& t, std::optional<Tensor> w, const std::string& r) {
    return binary_cross_entropy(x, t, opt(w), r);
  }, nb::arg("input"), nb::arg("target"), nb::arg("weight").none(), nb::arg("reduction"));
  m.def("binary_cross_entropy_with_logits", [](const Tensor& x, const Tensor& t, std::optional<Tensor> w,
                                               const std::string& r, std::optional<Tensor> pw) {
    return binary_cross_entropy_with_logits(x, t, opt(w), r, opt(pw));
  }, nb::arg("input"), nb::arg("target"), nb::arg("weight").none(), nb::arg("reduction"), nb::arg("pos_weight").none());
  m.def("kl_div", [](const Tensor& x, const Tensor& t, const std::string& r, bool lt) { return kl_div(x, t, r, lt); },
        nb::arg("input"), nb::arg("target"), nb::arg("reduction"), nb::arg("log_target"));
  m.def("linear_cross_entropy", &linear_cross_entropy, nb::arg("input"), nb::arg("weight"), nb::arg("target"),
        nb::arg("ignore_index") = -100, nogil);
  m.def("cat", [](const std::vector<Tensor>& ts, int64_t dim) { return cat(ts, dim); }, nb::arg("tensors"),
        nb::arg("dim") = 0);

  // ---- nn.init (in place, no gradient recorded; returns the tensor given) ----
  namespace init = nn::init;
  m.def("calculate_gain", &init::calculate_gain, nb::arg("nonlinearity"), nb::arg("param") = 0.01);
  m.def("calculate_fan_in_and_fan_out", &init::calculate_fan_in_and_fan_out, nb::arg("tensor"));
  m.def("uniform_", [](nb::object t, double a, double b) { init::uniform_(ref(t), a, b); return t; }, nb::arg("tensor"),
        nb::arg("a"), nb::arg("b"));
  m.def("normal_", [](nb::object t, double mean, double std) { init::normal_(ref(t), mean, std); return t; },
        nb::arg("tensor"), nb::arg("mean"), nb::arg("std"));
  m.def("trunc_normal_", [](nb::object t, double mean, double std, double a, double b) { init::trunc_normal_(ref(t), mean, std, a, b); return t; }, nb::arg("tensor"), nb::arg("mean"), nb::arg("std"), nb::arg("a"), nb::arg("b"));
  m.def("constant_", [](nb::object t, double v) { init::constant_(ref(t), v); return t; }, nb::arg("tensor"), nb::arg("val"));
  m.def("zeros_", [](nb::object t) { init::zeros_(ref(t)); return t; }, nb::arg("tensor"));
  m.def("ones_", [](nb::object t) { init::ones_(ref(t)); return t; }, nb::arg("tensor"));
  m.def("xavier_uniform_", [](nb::object t, double g) { init::xavier_uniform_(ref(t), g); return t; }, nb::arg("tensor"),
        nb::arg("gain"));
  m.def("xavier_normal_", [](nb::object t, double g) { init::xavier_normal_(ref(t), g); return t; }, nb::arg("tensor"),
        nb::arg("gain"));
  m.def("kaiming_uniform_", [](nb::object t, double a, const std::string& mode, const std::string& nl) { init::kaiming_uniform_(ref(t), a, mode, nl); return t; }, nb::arg("tensor"), nb::arg("a"), nb::arg("mode"), nb::arg("nonlinearity"));
  m.def("kaiming_normal_", [](nb::object t, double a, const std::string& mode, const std::string& nl) { init::kaiming_normal_(ref(t), a, mode, nl); return t; }, nb::arg("tensor"), nb::arg("a"), nb::arg("mode"), nb::arg("nonlinearity"));

  // ---- nn.utils ----
  m.def("clip_grad_norm_", &nn::utils::clip_grad_norm_, nb::arg("parameters"), nb::arg("max_norm"),
        nb::arg("norm_type"), nb::arg("error_if_nonfinite"), nogil);
  m.def("clip_grad_value_", &nn::utils::clip_grad_value_, nb::arg("parameters"), nb::arg("clip_value"), nogil);
}

}  // namespace ember::py
