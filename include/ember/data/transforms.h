#pragma once
// Image transforms on (C, H, W) float tensors (torchvision.transforms names). Random ones draw
// from the Generator they are given, so a DataLoader can make them deterministic per sample.
#include <array>
#include <functional>
#include <vector>

#include "ember/random.h"
#include "ember/tensor.h"

namespace ember::data {

// Any callable image -> image; the transform classes below convert to it.
using Transform = std::function<Tensor(const Tensor&, Generator&)>;

// Applies transforms in order.
class Compose {
 public:
  explicit Compose(std::vector<Transform> transforms);
  Tensor operator()(const Tensor& image, Generator& gen) const;

 private:
  std::vector<Transform> transforms_;
};

// (x - mean[c]) / std[c] per channel; one value applies to every channel.
class Normalize {
 public:
  Normalize(std::vector<double> mean, std::vector<double> std);
  Tensor operator()(const Tensor& image, Generator& gen) const;

 private:
  std::vector<double> mean_, std_;
  Tensor mean32_, std32_, mean64_, std64_;  // (len, 1, 1), built once: read-only, shared by threads
};

// Pads every side with `padding` zeros, then crops a (height, width) window at a uniform
// random position.
class RandomCrop {
 public:
  explicit RandomCrop(int64_t size, int64_t padding = 0) : RandomCrop({size, size}, padding) {}
  RandomCrop(std::array<int64_t, 2> size_hw, int64_t padding = 0);
  Tensor operator()(const Tensor& image, Generator& gen) const;

 private:
  std::array<int64_t, 2> size_;
  int64_t padding_;
};

// Mirrors the image left-right with probability p.
class RandomHorizontalFlip {
 public:
  explicit RandomHorizontalFlip(double p = 0.5);
  Tensor operator()(const Tensor& image, Generator& gen) const;

 private:
  double p_;
};

enum class Interpolation { Nearest, Bilinear };

// A random rotation about the image centre by an angle uniform in `degrees` (counter-clockwise
// as displayed, y down), a scale uniform in `scale`, then a translation by whole pixels, uniform
// in +-translate[0] * W and +-translate[1] * H (rounded, as torchvision). Pixels that come from
// outside the image are 0.
class RandomAffine {
 public:
  explicit RandomAffine(double degrees, std::array<double, 2> translate = {0, 0},
                        Interpolation interpolation = Interpolation::Nearest, std::array<double, 2> scale = {1, 1})
      : RandomAffine(std::array<double, 2>{-degrees, degrees}, translate, interpolation, scale) {}
  RandomAffine(std::array<double, 2> degrees, std::array<double, 2> translate = {0, 0},
               Interpolation interpolation = Interpolation::Nearest, std::array<double, 2> scale = {1, 1});
  Tensor operator()(const Tensor& image, Generator& gen) const;

 private:
  std::array<double, 2> degrees_, translate_, scale_;
  Interpolation interpolation_;
};

// ---- the deterministic operations behind them ----
// Left-right mirror of a (C, H, W) image.
Tensor hflip(const Tensor& image);
// A (C, height, width) window whose top-left corner is (top, left) in the image padded by
// `padding` zeros on every side.
Tensor crop_padded(const Tensor& image, int64_t top, int64_t left, int64_t height, int64_t width, int64_t padding);
// Output pixel p samples the input at centre + R(-angle) (p - centre - t) / scale, zero outside.
Tensor affine(const Tensor& image, double angle_degrees, double tx, double ty, double scale = 1.0,
              Interpolation interpolation = Interpolation::Nearest);
// A uniform integer in [low, high] from `gen` (the same sequence on every platform, unlike
// std::uniform_int_distribution).
int64_t uniform_int(Generator& gen, int64_t low, int64_t high);

}  // namespace ember::data
