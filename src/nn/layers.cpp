#include "ember/nn/layers.h"

#include <cmath>
#include <sstream>

#include "ember/autograd.h"
#include "ember/nn/init.h"
#include "ember/ops.h"

namespace ember::nn {

namespace {
std::string pair_str(const Shape& s) {
  std::ostringstream os;
  os << "(";
  for (size_t i = 0; i < s.size(); ++i) os << (i ? ", " : "") << s[i];
  if (s.size() == 1) os << ",";
  os << ")";
  return os.str();
}
const char* py_bool(bool b) { return b ? "True" : "False"; }

// PyTorch's default for Linear/Conv: kaiming_uniform_(a=sqrt(5)) on the weight, which is
// U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and the same bound for the bias.
void default_init(Tensor& weight, Tensor& bias) {
  init::kaiming_uniform_(weight, std::sqrt(5.0));
  if (bias.defined()) {
    auto [fan_in, fan_out] = init::calculate_fan_in_and_fan_out(weight);
    double bound = fan_in > 0 ? 1.0 / std::sqrt(static_cast<double>(fan_in)) : 0.0;
    init::uniform_(bias, -bound, bound);
  }
}

void check_positive(int64_t v, const std::string& layer, const char* what) {
  EMBER_CHECK(v > 0, layer, what, " must be positive, got ", v);
}

// kernel_size/stride/dilation (positive) or padding/output_padding (non-negative): one value per
// spatial dim.
void check_sizes(const Shape& s, size_t dims, const std::string& layer, const char* what, bool allow_zero) {
  EMBER_CHECK(s.size() == dims, layer, what, " must be an int or ", dims == 2 ? "a pair" : "one value", ", got ",
              shape_str(s));
  for (int64_t v : s)
    EMBER_CHECK(allow_zero ? v >= 0 : v > 0, layer, what, " must be ", allow_zero ? "non-negative" : "positive",
                ", got ", shape_str(s));
}

// Convolution layers: (N, C_in, *spatial) or unbatched (C_in, *spatial) input with in_channels channels.
void check_conv_input(const Tensor& x, int64_t spatial, int64_t in_channels, const std::string& layer) {
  int64_t d = x.dim();
  EMBER_CHECK((d == spatial + 1 || d == spatial + 2) && x.size(d - spatial - 1) == in_channels, layer,
              "expected a ", spatial == 1 ? "(N, C, L) or (C, L)" : "(N, C, H, W) or (C, H, W)", " input with C = ",
              in_channels, " (in_channels), got shape ", shape_str(x.shape()));
}
}  // namespace

// ---- Linear ----
Linear::Linear(int64_t in, int64_t out, bool has_bias) : in_features(in), out_features(out) {
  EMBER_CHECK(in >= 0 && out >= 0, "Linear", "in_features and out_features must be non-negative, got ", in, " and ", out);
  weight = register_parameter("weight", empty({out, in}));
  if (has_bias) bias = register_parameter("bias", empty({out}));
  reset_parameters();
}
void Linear::reset_parameters() { default_init(weight, bias); }
Tensor Linear::forward(const Tensor& x) {
  EMBER_CHECK(x.dim() >= 1 && x.size(-1) == in_features, "Linear", "expected input with last dim ", in_features,
              " (in_features), got shape ", shape_str(x.shape()));
  return linear(x, weight, bias);
}
std::string Linear::extra_repr() const {
  std::ostringstream os;
  os << "in_features=" << in_features << ", out_features=" << out_features << ", bias=" << py_bool(bias.defined());
  return os.str();
}

// ---- Conv1d ----
Conv1d::Conv1d(int64_t in, int64_t out, int64_t k, int64_t s, int64_t p, int64_t d, int64_t g, bool has_bias)
    : in_channels(in), out_channels(out), kernel_size(k), stride(s), padding(p), dilation(d), groups(g) {
  check_positive(in, "Conv1d", "in_channels");
  check_positive(out, "Conv1d", "out_channels");
  check_positive(g, "Conv1d", "groups");
  check_sizes({k}, 1, "Conv1d", "kernel_size", false);
  check_sizes({s}, 1, "Conv1d", "stride", false);
  check_sizes({p}, 1, "Conv1d", "padding", true);
  check_sizes({d}, 1, "Conv1d", "dilation", false);
  EMBER_CHECK(in % g == 0 && out % g == 0, "Conv1d", "in_channels (", in, ") and out_channels (", out,
              ") must be divisible by groups (", g, ")");
  weight = register_parameter("weight", empty({out, in / g, k}));
  if (has_bias) bias = register_parameter("bias", empty({out}));
  default_init(weight, bias);
}
Tensor Conv1d::forward(const Tensor& x) {
  check_conv_input(x, 1, in_channels, repr());
  return conv1d(x, weight, bias, stride, padding, dilation, groups); }
std::string Conv1d::extra_repr() const {
  std::ostringstream os;
  os << in_channels << ", " << out_channels << ", kernel_size=(" << kernel_size << ",), stride=(" << stride << ",)";
  if (padding) os << ", padding=(" << padding << ",)";
  if (dilation != 1) os << ", dilation=(" << dilation << ",)";
  if (groups != 1) os << ", groups=" << groups;
  if (!bias.defined()) os << ", bias=False";
  return os.str();
}

// ---- Conv2d ----
Conv2d::Conv2d(int64_t in, int64_t out, Pair k, Pair s, Pair p, Pair d, int64_t g, bool has_bias)
    : in_channels(in), out_channels(out), groups(g), kernel_size(k.v), stride(s.v), padding(p.v), dilation(d.v) {
  check_positive(in, "Conv2d", "in_channels");
  check_positive(out, "Conv2d", "out_channels");
  check_positive(g, "Conv2d", "groups");
  EMBER_CHECK(in % g == 0 && out % g == 0, "Conv2d", "in_channels (", in, ") and out_channels (", out,
              ") must be divisible by groups (", g, ")");
  check_sizes(kernel_size, 2, "Conv2d", "kernel_size", false);
  check_sizes(stride, 2, "Conv2d", "stride", false);
  check_sizes(padding, 2, "Conv2d", "padding", true);
  check_sizes(dilation, 2, "Conv2d", "dilation", false);
  weight = register_parameter("weight", empty({out, in / g, kernel_size[0], kernel_size[1]}));
  if (has_bias) bias = register_parameter("bias", empty({out}));
  default_init(weight, bias);
}
Tensor Conv2d::forward(const Tensor& x) {
  check_conv_input(x, 2, in_channels, repr());
  return conv2d(x, weight, bias, stride, padding, dilation, groups); }
std::string Conv2d::extra_repr() const {
  std::ostringstream os;
  os << in_channels << ", " << out_channels << ", kernel_size=" << pair_str(kernel_size) << ", stride=" << pair_str(stride);
  if (padding != Shape{0, 0}) os << ", padding=" << pair_str(padding);
  if (dilation != Shape{1, 1}) os << ", dilation=" << pair_str(dilation);
  if (groups != 1) os << ", groups=" << groups;
  if (!bias.defined()) os << ", bias=False";
  return os.str();
}

// ---- ConvTranspose2d ----
ConvTranspose2d::ConvTranspose2d(int64_t in, int64_t out, Pair k, Pair s, Pair p, Pair op, int64_t g, bool has_bias,
                                 Pair d)
    : in_channels(in), out_channels(out), groups(g), kernel_size(k.v), stride(s.v), padding(p.v),
      output_padding(op.v), dilation(d.v) {
  check_positive(in, "ConvTranspose2d", "in_channels");
  check_positive(out, "ConvTranspose2d", "out_channels");
  check_positive(g, "ConvTranspose2d", "groups");
  EMBER_CHECK(in % g == 0 && out % g == 0, "ConvTranspose2d", "in_channels (", in, ") and out_channels (", out,
              ") must be divisible by groups (", g, ")");
  check_sizes(kernel_size, 2, "ConvTranspose2d", "kernel_size", false);
  check_sizes(stride, 2, "ConvTranspose2d", "stride", false);
  check_sizes(padding, 2, "ConvTranspose2d", "padding", true);
  check_sizes(output_padding, 2, "ConvTranspose2d", "output_padding", true);
  check_sizes(dilation, 2, "ConvTranspose2d", "dilation", false);
  for (int i = 0; i < 2; ++i)
    EMBER_CHECK(output_padding[i] < std::max(stride[i], dilation[i]), "ConvTranspose2d",
                "output_padding ", shape_str(output_padding), " must be smaller than either stride ", shape_str(stride),
                " or dilation ", shape_str(dilation));
  weight = register_parameter("weight", empty({in, out / g, kernel_size[0], kernel_size[1]}));
  if (has_bias) bias = register_parameter("bias", empty({out}));
  default_init(weight, bias);  // PyTorch computes fan_in from dim 1 here too
}
Tensor ConvTranspose2d::forward(const Tensor& x) {
  check_conv_input(x, 2, in_channels, repr());
  return conv_transpose2d(x, weight, bias, stride, padding, output_padding, groups, dilation);
}
std::string ConvTranspose2d::extra_repr() const {
  std::ostringstream os;
  os << in_channels << ", " << out_channels << ", kernel_size=" << pair_str(kernel_size) << ", stride=" << pair_str(stride);
  if (padding != Shape{0, 0}) os << ", padding=" << pair_str(padding);
  if (output_padding != Shape{0, 0}) os << ", output_padding=" << pair_str(output_padding);
  if (groups != 1) os << ", groups=" << groups;
  if (!bias.defined()) os << ", bias=False";
  return os.str();
}

// ---- Pooling ----
MaxPool2d::MaxPool2d(Pair k, std::optional<Pair> s, Pair p, Pair d, bool ceil)
    : kernel_size(k.v), stride(s ? s->v : k.v), padding(p.v), dilation(d.v), ceil_mode(ceil) {
  check_sizes(kernel_size, 2, "MaxPool2d", "kernel_size", false);
  check_sizes(stride, 2, "MaxPool2d", "stride", false);
  check_sizes(padding, 2, "MaxPool2d", "padding", true);
  check_sizes(dilation, 2, "MaxPool2d", "dilation", false);
}
Tensor MaxPool2d::forward(const Tensor& x) { return max_pool2d(x, kernel_size, stride, padding, dilation, ceil_mode); }
std::string MaxPool2d::extra_repr() const {
  std::ostringstream os;
  auto one = [](const Shape& s) { return s[0] == s[1] ? std::to_string(s[0]) : pair_str(s); };
  os << "kernel_size=" << one(kernel_size) << ", stride=" << one(stride) << ", padding=" << one(padding)
     << ", dilation=" << one(dilation) << ", ceil_mode=" << py_bool(ceil_mode);
  return os.str();
}

AvgPool2d::AvgPool2d(Pair k, std::optional<Pair> s, Pair p, bool ceil, bool cip)
    : kernel_size(k.v), stride(s ? s->v : k.v), padding(p.v), ceil_mode(ceil), count_include_pad(cip) {
  check_sizes(kernel_size, 2, "AvgPool2d", "kernel_size", false);
  check_sizes(stride, 2, "AvgPool2d", "stride", false);
  check_sizes(padding, 2, "AvgPool2d", "padding", true);
}
Tensor AvgPool2d::forward(const Tensor& x) {
  return avg_pool2d(x, kernel_size, stride, padding, ceil_mode, count_include_pad);
}
std::string AvgPool2d::extra_repr() const {
  std::ostringstream os;
  auto one = [](const Shape& s) { return s[0] == s[1] ? std::to_string(s[0]) : pair_str(s); };
  os << "kernel_size=" << one(kernel_size) << ", stride=" << one(stride) << ", padding=" << one(padding);
  return os.str();
}

Tensor AdaptiveAvgPool2d::forward(const Tensor& x) { return adaptive_avg_pool2d(x, output_size); }
std::string AdaptiveAvgPool2d::extra_repr() const { return "output_size=" + pair_str(output_size); }

// ---- Normalization ----
BatchNorm::BatchNorm(int64_t n, double eps_, double momentum_, bool affine_, bool track, int64_t dims)
    : num_features(n), eps(eps_), momentum(momentum_), affine(affine_), track_running_stats(track), dims_(dims) {
  check_positive(n, dims == 1 ? "BatchNorm1d" : "BatchNorm2d", "num_features");
  if (affine) {
    weight = register_parameter("weight", ones({n}));
    bias = register_parameter("bias", zeros({n}));
  }
  if (track) {
    running_mean = register_buffer("running_mean", zeros({n}));
    running_var = register_buffer("running_var", ones({n}));
    num_batches_tracked = register_buffer("num_batches_tracked", zeros({}, kInt64));
  }
}
Tensor BatchNorm::forward(const Tensor& x) {
  int64_t want = dims_ == 1 ? 2 : 4;
  EMBER_CHECK(x.dim() == want || (dims_ == 1 && x.dim() == 3), repr(), "expected ",
              dims_ == 1 ? "2D or 3D (N, C) / (N, C, L)" : "4D (N, C, H, W)", " input, got shape ", shape_str(x.shape()));
  EMBER_CHECK(x.size(1) == num_features, repr(), "expected ", num_features, " channels (num_features) in dim 1, got shape ",
              shape_str(x.shape()));
  bool use_batch_stats = is_training() || !track_running_stats;
  if (is_training() && track_running_stats) {
    NoGradGuard ng;
    num_batches_tracked.add_(1);
  }
  // running_mean/var are undefined when not tracked; then batch statistics are used in eval too.
  return batch_norm(x, running_mean, running_var, weight, bias, use_batch_stats, momentum, eps);
}
std::string BatchNorm::extra_repr() const {
  std::ostringstream os;
  os << num_features << ", eps=" << eps << ", momentum=" << momentum << ", affine=" << py_bool(affine)
     << ", track_running_stats=" << py_bool(track_running_stats);
  return os.str();
}

LayerNorm::LayerNorm(Shape shape, double eps_, bool affine) : normalized_shape(std::move(shape)), eps(eps_) {
  EMBER_CHECK(!normalized_shape.empty(), "LayerNorm", "normalized_shape must name at least one trailing dim, got []");
  for (int64_t v : normalized_shape)
    EMBER_CHECK(v > 0, "LayerNorm", "normalized_shape must be positive sizes, got ", shape_str(normalized_shape));
  if (affine) {
    weight = register_parameter("weight", ones(normalized_shape));
    bias = register_parameter("bias", zeros(normalized_shape));
  }
}
Tensor LayerNorm::forward(const Tensor& x) { return layer_norm(x, normalized_shape, weight, bias, eps); }
std::string LayerNorm::extra_repr() const {
  std::ostringstream os;
  os << pair_str(normalized_shape) << ", eps=" << eps << ", elementwise_affine=" << py_bool(weight.defined());
  return os.str();
}

// ---- Dropout, Embedding ----
Dropout::Dropout(double p_, Generator* g) : p(p_), gen(g) {
  EMBER_CHECK(p >= 0.0 && p <= 1.0, "Dropout", "dropout probability has to be between 0 and 1, but got ", p);
}
Tensor Dropout::forward(const Tensor& x) { return dropout(x, p, is_training(), gen); }
std::string Dropout::extra_repr() const {
  std::ostringstream os;
  os << "p=" << p << ", inplace=False";
  return os.str();
}

Embedding::Embedding(int64_t n, int64_t d, std::optional<int64_t> pad)
    : num_embeddings(n), embedding_dim(d), padding_idx(pad) {
  check_positive(n, "Embedding", "num_embeddings");
  check_positive(d, "Embedding", "embedding_dim");
  if (pad) {
    EMBER_CHECK(*pad >= -n && *pad < n, "Embedding", "padding_idx ", *pad, " must be within num_embeddings (", n, ")");
    if (*pad < 0) padding_idx = *pad + n;
  }
  weight = register_parameter("weight", empty({n, d}));
  init::normal_(weight);
  if (padding_idx) {
    NoGradGuard ng;
    weight.select(0, *padding_idx).zero_();
  }
}
Tensor Embedding::forward(const Tensor& idx) { return embedding(idx, weight, padding_idx); }
std::string Embedding::extra_repr() const {
  std::ostringstream os;
  os << num_embeddings << ", " << embedding_dim;
  if (padding_idx) os << ", padding_idx=" << *padding_idx;
  return os.str();
}

std::string Flatten::extra_repr() const {
  std::ostringstream os;
  os << "start_dim=" << start_dim << ", end_dim=" << end_dim;
  return os.str();
}

Unflatten::Unflatten(int64_t d, Shape sizes) : dim(d), unflattened_size(std::move(sizes)) {
  EMBER_CHECK(!unflattened_size.empty(), "Unflatten", "unflattened_size must not be empty");
  int64_t inferred = 0;
  for (int64_t v : unflattened_size) {
    EMBER_CHECK(v > 0 || v == -1, "Unflatten", "unflattened_size must hold positive sizes (or one -1), got ",
                shape_str(unflattened_size));
    inferred += v == -1;
  }
  EMBER_CHECK(inferred <= 1, "Unflatten", "at most one size may be -1, got ", shape_str(unflattened_size));
}
std::string Unflatten::extra_repr() const { return "dim=" + std::to_string(dim) + ", unflattened_size=" + pair_str(unflattened_size); }

// ---- Activations ----
Tensor ReLU::forward(const Tensor& x) { return relu(x); }
Tensor LeakyReLU::forward(const Tensor& x) { return leaky_relu(x, negative_slope); }
std::string LeakyReLU::extra_repr() const {
  std::ostringstream os;
  os << "negative_slope=" << negative_slope;
  return os.str();
}
Tensor GELU::forward(const Tensor& x) { return gelu(x, approximate); }
std::string GELU::extra_repr() const { return "approximate='" + approximate + "'"; }
Tensor Tanh::forward(const Tensor& x) { return tanh(x); }
Tensor Sigmoid::forward(const Tensor& x) { return sigmoid(x); }
Tensor SiLU::forward(const Tensor& x) { return silu(x); }
Tensor Softmax::forward(const Tensor& x) { return softmax(x, dim); }
std::string Softmax::extra_repr() const { return "dim=" + std::to_string(dim); }
Tensor LogSoftmax::forward(const Tensor& x) { return log_softmax(x, dim); }
std::string LogSoftmax::extra_repr() const { return "dim=" + std::to_string(dim); }

// ---- Containers ----
Sequential::Sequential(std::initializer_list<std::shared_ptr<Module>> modules) {
  for (auto& m : modules) push_back(m);
}
void Sequential::push_back(std::shared_ptr<Module> m) { register_module(std::to_string(size()), std::move(m)); }
Tensor Sequential::forward(const Tensor& x) {
  Tensor h = x;
  for (auto& [n, m] : named_children()) h = m->forward(h);
  return h;
}
std::shared_ptr<Module> Sequential::operator[](size_t i) const {
  EMBER_CHECK(i < size(), "Sequential", "index ", i, " is out of range for a Sequential of ", size(), " modules");
  return named_children()[i].second;
}

ModuleList::ModuleList(std::initializer_list<std::shared_ptr<Module>> modules) {
  for (auto& m : modules) push_back(m);
}
void ModuleList::push_back(std::shared_ptr<Module> m) { register_module(std::to_string(size()), std::move(m)); }
std::shared_ptr<Module> ModuleList::operator[](size_t i) const {
  EMBER_CHECK(i < size(), "ModuleList", "index ", i, " is out of range for a ModuleList of ", size(), " modules");
  return named_children()[i].second;
}

std::shared_ptr<Module> ModuleDict::operator[](const std::string& key) const {
  for (auto& [n, m] : named_children())
    if (n == key) return m;
  throw Error("ModuleDict: no module named '" + key + "'");
}
bool ModuleDict::contains(const std::string& key) const {
  for (auto& [n, m] : named_children())
    if (n == key) return true;
  return false;
}

}  // namespace ember::nn
