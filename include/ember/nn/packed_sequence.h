#pragma once
// Variable-length batches for the recurrent layers, as torch.nn.utils.rnn.
//
// A PackedSequence stores only the valid steps of a batch of sequences, step by step: with the
// sequences sorted longest first, step t holds batch_sizes[t] rows (the sequences at least t + 1
// long), so data has sum(lengths) rows. sorted_indices[k] is the original batch index of the k-th
// longest sequence and unsorted_indices its inverse; both are undefined when the batch was
// packed already sorted (enforce_sorted = true).
#include <optional>
#include <utility>
#include <vector>

#include "ember/tensor.h"

namespace ember::nn {

struct PackedSequence {
  Tensor data;              // (sum(lengths), *)
  Tensor batch_sizes;       // (T) int64, non-increasing
  Tensor sorted_indices;    // (B) int64 or undefined
  Tensor unsorted_indices;  // (B) int64 or undefined
  std::vector<int64_t> batch_sizes_vec() const;
};

// input: (T, B, *) padded, or (B, T, *) with batch_first. lengths: B int64 values in [1, T]; with
// enforce_sorted they must be non-increasing, otherwise the batch is sorted here (stably) and the
// order kept in sorted_indices / unsorted_indices. Differentiable with respect to input.
PackedSequence pack_padded_sequence(const Tensor& input, const Tensor& lengths, bool batch_first = false,
                                    bool enforce_sorted = true);
PackedSequence pack_padded_sequence(const Tensor& input, const std::vector<int64_t>& lengths,
                                    bool batch_first = false, bool enforce_sorted = true);

// The inverse: (padded (T, B, *) or (B, T, *), lengths (B) int64), in the original batch order.
// Steps past a sequence's end hold padding_value; total_length pads to more steps than the longest.
std::pair<Tensor, Tensor> pad_packed_sequence(const PackedSequence& sequence, bool batch_first = false,
                                              double padding_value = 0.0,
                                              std::optional<int64_t> total_length = std::nullopt);

// sequences: B tensors (L_i, *) with the same trailing shape -> (max L, B, *) or (B, max L, *).
Tensor pad_sequence(const std::vector<Tensor>& sequences, bool batch_first = false, double padding_value = 0.0);
// pad_sequence then pack_padded_sequence.
PackedSequence pack_sequence(const std::vector<Tensor>& sequences, bool enforce_sorted = true);

}  // namespace ember::nn
