#pragma once
// Layers with PyTorch's names, arguments, parameter names and default initializations.
#include <initializer_list>
#include <optional>
#include <string>

#include "ember/nn/module.h"
#include "ember/random.h"

namespace ember::nn {

// An int or an {h, w} pair, as PyTorch's `_pair` arguments: Conv2d(1, 32, 3) or Conv2d(1, 32, {3, 5}).
struct Pair {
  Shape v;
  Pair(int64_t x) : v{x, x} {}  // NOLINT: implicit by design
  Pair(int x) : v{x, x} {}      // NOLINT
  Pair(std::initializer_list<int64_t> l) : v(l) {}
};

class Linear : public Module {
 public:
  Linear(int64_t in_features, int64_t out_features, bool bias = true);
  Tensor forward(const Tensor& x) override;  // (*, in) -> (*, out)
  std::string name() const override { return "Linear"; }
  std::string extra_repr() const override;
  void reset_parameters();
  Tensor weight, bias;  // (out, in), (out)
  int64_t in_features, out_features;
};

class Conv1d : public Module {
 public:
  Conv1d(int64_t in_channels, int64_t out_channels, int64_t kernel_size, int64_t stride = 1, int64_t padding = 0,
         int64_t dilation = 1, int64_t groups = 1, bool bias = true);
  Tensor forward(const Tensor& x) override;  // (N, C_in, L) -> (N, C_out, L_out)
  std::string name() const override { return "Conv1d"; }
  std::string extra_repr() const override;
  Tensor weight, bias;
  int64_t in_channels, out_channels, kernel_size, stride, padding, dilation, groups;
};

class Conv2d : public Module {
 public:
  Conv2d(int64_t in_channels, int64_t out_channels, Pair kernel_size, Pair stride = 1, Pair padding = 0,
         Pair dilation = 1, int64_t groups = 1, bool bias = true);
  Tensor forward(const Tensor& x) override;  // (N, C_in, H, W) -> (N, C_out, H_out, W_out)
  std::string name() const override { return "Conv2d"; }
  std::string extra_repr() const override;
  Tensor weight, bias;  // (C_out, C_in / groups, kH, kW), (C_out)
  int64_t in_channels, out_channels, groups;
  Shape kernel_size, stride, padding, dilation;
};

class ConvTranspose2d : public Module {
 public:
  ConvTranspose2d(int64_t in_channels, int64_t out_channels, Pair kernel_size, Pair stride = 1, Pair padding = 0,
                  Pair output_padding = 0, int64_t groups = 1, bool bias = true, Pair dilation = 1);
  Tensor forward(const Tensor& x) override;
  std::string name() const override { return "ConvTranspose2d"; }
  std::string extra_repr() const override;
  Tensor weight, bias;  // (C_in, C_out / groups, kH, kW), (C_out)
  int64_t in_channels, out_channels, groups;
  Shape kernel_size, stride, padding, output_padding, dilation;
};

class MaxPool2d : public Module {
 public:
  MaxPool2d(Pair kernel_size, std::optional<Pair> stride = std::nullopt, Pair padding = 0, Pair dilation = 1,
            bool ceil_mode = false);
  Tensor forward(const Tensor& x) override;
  std::string name() const override { return "MaxPool2d"; }
  std::string extra_repr() const override;
  Shape kernel_size, stride, padding, dilation;
  bool ceil_mode;
};

class AvgPool2d : public Module {
 public:
  AvgPool2d(Pair kernel_size, std::optional<Pair> stride = std::nullopt, Pair padding = 0, bool ceil_mode = false,
            bool count_include_pad = true);
  Tensor forward(const Tensor& x) override;
  std::string name() const override { return "AvgPool2d"; }
  std::string extra_repr() const override;
  Shape kernel_size, stride, padding;
  bool ceil_mode, count_include_pad;
};

class AdaptiveAvgPool2d : public Module {
 public:
  explicit AdaptiveAvgPool2d(Pair output_size) : output_size(output_size.v) {}
  Tensor forward(const Tensor& x) override;
  std::string name() const override { return "AdaptiveAvgPool2d"; }
  std::string extra_repr() const override;
  Shape output_size;
};

// BatchNorm over (N, C) / (N, C, L) (1d) or (N, C, H, W) (2d); running statistics as buffers.
class BatchNorm : public Module {
 public:
  BatchNorm(int64_t num_features, double eps, double momentum, bool affine, bool track_running_stats, int64_t dims);
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;
  Tensor weight, bias, running_mean, running_var, num_batches_tracked;
  int64_t num_features;
  double eps, momentum;
  bool affine, track_running_stats;
 private:
  int64_t dims_;  // 1 or 2
};
class BatchNorm1d : public BatchNorm {
 public:
  explicit BatchNorm1d(int64_t num_features, double eps = 1e-5, double momentum = 0.1, bool affine = true,
                       bool track_running_stats = true)
      : BatchNorm(num_features, eps, momentum, affine, track_running_stats, 1) {}
  std::string name() const override { return "BatchNorm1d"; }
};
class BatchNorm2d : public BatchNorm {
 public:
  explicit BatchNorm2d(int64_t num_features, double eps = 1e-5, double momentum = 0.1, bool affine = true,
                       bool track_running_stats = true)
      : BatchNorm(num_features, eps, momentum, affine, track_running_stats, 2) {}
  std::string name() const override { return "BatchNorm2d"; }
};

class LayerNorm : public Module {
 public:
  LayerNorm(Shape normalized_shape, double eps = 1e-5, bool elementwise_affine = true);
  explicit LayerNorm(int64_t normalized_shape, double eps = 1e-5, bool elementwise_affine = true)
      : LayerNorm(Shape{normalized_shape}, eps, elementwise_affine) {}
  Tensor forward(const Tensor& x) override;
  std::string name() const override { return "LayerNorm"; }
  std::string extra_repr() const override;
  Tensor weight, bias;
  Shape normalized_shape;
  double eps;
};

class Dropout : public Module {
 public:
  explicit Dropout(double p = 0.5, Generator* gen = nullptr);
  Tensor forward(const Tensor& x) override;
  std::string name() const override { return "Dropout"; }
  std::string extra_repr() const override;
  double p;
  Generator* gen;  // null: the default generator
};

class Embedding : public Module {
 public:
  Embedding(int64_t num_embeddings, int64_t embedding_dim, std::optional<int64_t> padding_idx = std::nullopt);
  Tensor forward(const Tensor& indices) override;  // (*) int64 -> (*, D)
  std::string name() const override { return "Embedding"; }
  std::string extra_repr() const override;
  Tensor weight;  // (num_embeddings, embedding_dim)
  int64_t num_embeddings, embedding_dim;
  std::optional<int64_t> padding_idx;
};

class Flatten : public Module {
 public:
  explicit Flatten(int64_t start_dim = 1, int64_t end_dim = -1) : start_dim(start_dim), end_dim(end_dim) {}
  Tensor forward(const Tensor& x) override { return x.flatten(start_dim, end_dim); }
  std::string name() const override { return "Flatten"; }
  std::string extra_repr() const override;
  int64_t start_dim, end_dim;
};

// Splits dim into `sizes` (one may be -1): (N, 1568) -> (N, 32, 7, 7) for Unflatten(1, {32, 7, 7}).
class Unflatten : public Module {
 public:
  Unflatten(int64_t dim, Shape unflattened_size);
  Tensor forward(const Tensor& x) override { return x.unflatten(dim, unflattened_size); }
  std::string name() const override { return "Unflatten"; }
  std::string extra_repr() const override;
  int64_t dim;
  Shape unflattened_size;
};

// Parameter-free activations.
class ReLU : public Module {
 public:
  Tensor forward(const Tensor& x) override;
  std::string name() const override { return "ReLU"; }
};
class LeakyReLU : public Module {
 public:
  explicit LeakyReLU(double negative_slope = 0.01) : negative_slope(negative_slope) {}
  Tensor forward(const Tensor& x) override;
  std::string name() const override { return "LeakyReLU"; }
  std::string extra_repr() const override;
  double negative_slope;
};
class GELU : public Module {
 public:
  explicit GELU(std::string approximate = "none") : approximate(std::move(approximate)) {}
  Tensor forward(const Tensor& x) override;
  std::string name() const override { return "GELU"; }
  std::string extra_repr() const override;
  std::string approximate;
};
class Tanh : public Module {
 public:
  Tensor forward(const Tensor& x) override;
  std::string name() const override { return "Tanh"; }
};
class Sigmoid : public Module {
 public:
  Tensor forward(const Tensor& x) override;
  std::string name() const override { return "Sigmoid"; }
};
class SiLU : public Module {
 public:
  Tensor forward(const Tensor& x) override;
  std::string name() const override { return "SiLU"; }
};
class Identity : public Module {
 public:
  Tensor forward(const Tensor& x) override { return x; }
  std::string name() const override { return "Identity"; }
};
class Softmax : public Module {
 public:
  explicit Softmax(int64_t dim) : dim(dim) {}
  Tensor forward(const Tensor& x) override;
  std::string name() const override { return "Softmax"; }
  std::string extra_repr() const override;
  int64_t dim;
};
class LogSoftmax : public Module {
 public:
  explicit LogSoftmax(int64_t dim) : dim(dim) {}
  Tensor forward(const Tensor& x) override;
  std::string name() const override { return "LogSoftmax"; }
  std::string extra_repr() const override;
  int64_t dim;
};

// Children named "0", "1", ...; forward chains them.
class Sequential : public Module {
 public:
  Sequential() = default;
  Sequential(std::initializer_list<std::shared_ptr<Module>> modules);
  void push_back(std::shared_ptr<Module> m);
  Tensor forward(const Tensor& x) override;
  std::shared_ptr<Module> operator[](size_t i) const;
  size_t size() const { return named_children().size(); }
  std::string name() const override { return "Sequential"; }
};

class ModuleList : public Module {
 public:
  ModuleList() = default;
  ModuleList(std::initializer_list<std::shared_ptr<Module>> modules);
  void push_back(std::shared_ptr<Module> m);
  std::shared_ptr<Module> operator[](size_t i) const;
  size_t size() const { return named_children().size(); }
  std::string name() const override { return "ModuleList"; }
};

class ModuleDict : public Module {
 public:
  ModuleDict() = default;
  void insert(const std::string& key, std::shared_ptr<Module> m) { register_module(key, std::move(m)); }
  std::shared_ptr<Module> operator[](const std::string& key) const;
  bool contains(const std::string& key) const;
  size_t size() const { return named_children().size(); }
  std::string name() const override { return "ModuleDict"; }
};

}  // namespace ember::nn
