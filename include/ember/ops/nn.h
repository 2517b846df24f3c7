#pragma once
// Neural-network functions: softmax, losses, dropout, normalization, embedding
// (torch.nn.functional names and defaults).
#include <optional>
#include <string>

#include "ember/random.h"
#include "ember/tensor.h"

namespace ember {

Tensor softmax(const Tensor& x, int64_t dim);
Tensor log_softmax(const Tensor& x, int64_t dim);

// reduction: "mean", "sum" or "none"
// input (N, C) or (N, C, d1, ...) logits; target (N) / (N, d1, ...) int64 class indices.
Tensor cross_entropy(const Tensor& input, const Tensor& target, const Tensor& weight = Tensor(),
                     int64_t ignore_index = -100, const std::string& reduction = "mean",
                     double label_smoothing = 0.0);
// input: log-probabilities (N, C) or (N, C, d1, ...)
Tensor nll_loss(const Tensor& input, const Tensor& target, const Tensor& weight = Tensor(),
                int64_t ignore_index = -100, const std::string& reduction = "mean");
Tensor mse_loss(const Tensor& input, const Tensor& target, const std::string& reduction = "mean");
Tensor l1_loss(const Tensor& input, const Tensor& target, const std::string& reduction = "mean");
Tensor binary_cross_entropy(const Tensor& input, const Tensor& target, const Tensor& weight = Tensor(),
                            const std::string& reduction = "mean");
Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target,
                                        const Tensor& weight = Tensor(), const std::string& reduction = "mean",
                                        const Tensor& pos_weight = Tensor());
// input: log-probabilities; target: probabilities (or log-probabilities with log_target)
Tensor kl_div(const Tensor& input, const Tensor& target, const std::string& reduction = "mean",
              bool log_target = false);

Tensor dropout(const Tensor& x, double p = 0.5, bool training = true, Generator* gen = nullptr);
// x (N, C, *); running stats updated in place when training (momentum as PyTorch).
Tensor batch_norm(const Tensor& x, const Tensor& running_mean, const Tensor& running_var,
                  const Tensor& weight, const Tensor& bias, bool training, double momentum = 0.1,
                  double eps = 1e-5);
// normalizes over the trailing dims given by normalized_shape
Tensor layer_norm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight = Tensor(),
                  const Tensor& bias = Tensor(), double eps = 1e-5);
// indices (*) int64 -> (*, D); the row at padding_idx gets no gradient
Tensor embedding(const Tensor& indices, const Tensor& weight, std::optional<int64_t> padding_idx = std::nullopt);
Tensor one_hot(const Tensor& indices, int64_t num_classes = -1);

}  // namespace ember
