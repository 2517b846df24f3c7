#pragma once
// Convolution layers: Conv1d, Conv2d, ConvTranspose2d.
#include "ember/nn/module.h"
#include "ember/nn/pair.h"

namespace ember::nn {

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

}  // namespace ember::nn
