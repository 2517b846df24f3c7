// pack_padded_sequence / pad_packed_sequence and friends. Packing and unpacking are each one
// index_select over the flattened (step, batch) rows, so gradients flow through them for free.
#include "ember/nn/packed_sequence.h"

#include <algorithm>
#include <numeric>

#include "ember/ops.h"

namespace ember::nn {

std::vector<int64_t> PackedSequence::batch_sizes_vec() const {
  EMBER_CHECK(batch_sizes.defined(), "PackedSequence", "batch_sizes is undefined");
  return batch_sizes.to(kInt64).to_vector<int64_t>();
}

namespace {
Tensor index_tensor(const std::vector<int64_t>& v) { return tensor(v, {static_cast<int64_t>(v.size())}); }
}  // namespace

PackedSequence pack_padded_sequence(const Tensor& input, const std::vector<int64_t>& lengths, bool batch_first,
                                    bool enforce_sorted) {
  const char* op = "pack_padded_sequence";
  EMBER_CHECK(input.defined() && input.dim() >= 2, op, "expected a padded (T, B, *) or batch_first (B, T, *) input, got ",
              input.defined() ? shape_str(input.shape()) : std::string("an undefined tensor"));
  const int64_t T = input.size(batch_first ? 1 : 0), B = input.size(batch_first ? 0 : 1);
  EMBER_CHECK(static_cast<int64_t>(lengths.size()) == B, op, "expected one length per sequence: the input of shape ",
              shape_str(input.shape()), " holds ", B, " sequences (batch_first=", batch_first ? "true" : "false",
              ") but lengths has ", lengths.size(), " entries");
  for (size_t b = 0; b < lengths.size(); ++b) {
    EMBER_CHECK(lengths[b] > 0, op, "Length of all samples has to be greater than 0, but lengths[", b, "] = ", lengths[b],
                "; drop empty sequences from the batch");
    EMBER_CHECK(lengths[b] <= T, op, "lengths[", b, "] = ", lengths[b], " exceeds the ", T,
                " time steps of the input of shape ", shape_str(input.shape()),
                batch_first ? " (batch_first: dim 1 is time)" : " (dim 0 is time; pass batch_first=true for (B, T, *))");
  }
  std::vector<int64_t> order(B);  // sorted position -> original batch index
  std::iota(order.begin(), order.end(), int64_t{0});
  PackedSequence out;
  if (enforce_sorted) {
    for (int64_t b = 1; b < B; ++b)
      EMBER_CHECK(lengths[b] <= lengths[b - 1], op,
                  "`lengths` array must be sorted in decreasing order when `enforce_sorted` is True, but lengths[", b - 1,
                  "] = ", lengths[b - 1], " < lengths[", b, "] = ", lengths[b],
                  ". Pass enforce_sorted=false to sort the batch here");
  } else {
    // Stable, so equal lengths keep their batch order (PyTorch's unstable sort may order ties
    // differently; only the packed row order differs, never a padded or RNN result).
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return lengths[a] > lengths[b]; });
    std::vector<int64_t> inverse(B);
    for (int64_t k = 0; k < B; ++k) inverse[order[k]] = k;
    out.sorted_indices = index_tensor(order);
    out.unsorted_indices = index_tensor(inverse);
  }
  const int64_t steps = lengths[order[0]];
  std::vector<int64_t> batch_sizes(steps, 0), rows;
  for (int64_t t = 0; t < steps; ++t) {
    while (batch_sizes[t] < B && lengths[order[batch_sizes[t]]] > t) ++batch_sizes[t];
    for (int64_t k = 0; k < batch_sizes[t]; ++k)  // row of (step t, sequence order[k]) in the flattened input
      rows.push_back(batch_first ? order[k] * T + t : t * B + order[k]);
  }
  out.data = index_select(input.flatten(0, 1), 0, index_tensor(rows));  // (T * B, *) -> (N, *)
  out.batch_sizes = index_tensor(batch_sizes);
  return out;
}

PackedSequence pack_padded_sequence(const Tensor& input, const Tensor& lengths, bool batch_first, bool enforce_sorted) {
  EMBER_CHECK(lengths.defined() && lengths.dim() == 1 && !lengths.is_floating_point() && lengths.dtype() != kBool,
              "pack_padded_sequence", "lengths must be a 1-D integer tensor, got ",
              lengths.defined() ? detail::str_cat(dtype_name(lengths.dtype()), " of shape ", shape_str(lengths.shape()))
                                : std::string("an undefined tensor"));
  return pack_padded_sequence(input, lengths.to(kInt64).to_vector<int64_t>(), batch_first, enforce_sorted);
}

std::pair<Tensor, Tensor> pad_packed_sequence(const PackedSequence& seq, bool batch_first, double padding_value,
                                              std::optional<int64_t> total_length) {
  const char* op = "pad_packed_sequence";
  EMBER_CHECK(seq.data.defined() && seq.data.dim() >= 1, op, "the PackedSequence has no data");
  std::vector<int64_t> bs = seq.batch_sizes_vec();
  EMBER_CHECK(!bs.empty(), op, "the PackedSequence has no time steps (empty batch_sizes)");
  const int64_t steps = static_cast<int64_t>(bs.size()), B = bs[0];
  int64_t n = 0;
  for (int64_t t = 0; t < steps; ++t) {
    EMBER_CHECK(bs[t] >= 1 && bs[t] <= (t ? bs[t - 1] : B), op, "batch_sizes must be positive and non-increasing, got ",
                shape_str(bs), "; build PackedSequences with pack_padded_sequence");
    n += bs[t];
  }
  EMBER_CHECK(n == seq.data.size(0), op, "batch_sizes sum to ", n, " rows but data has shape ", shape_str(seq.data.shape()));
  const int64_t total = total_length.value_or(steps);
  EMBER_CHECK(total >= steps, op, "Expected total_length to be at least the length of the longest sequence in input, "
              "but got total_length=", total, " and max sequence length being ", steps);
  std::vector<int64_t> inverse(B);  // original batch index -> sorted position
  std::iota(inverse.begin(), inverse.end(), int64_t{0});
  if (seq.unsorted_indices.defined()) {
    inverse = seq.unsorted_indices.to(kInt64).to_vector<int64_t>();
    EMBER_CHECK(static_cast<int64_t>(inverse.size()) == B, op, "unsorted_indices has ", inverse.size(),
                " entries for a batch of ", B);
  }
  std::vector<int64_t> offset(steps), sorted_len(B, 0);
  std::exclusive_scan(bs.begin(), bs.end(), offset.begin(), int64_t{0});
  for (int64_t t = 0; t < steps; ++t)
    for (int64_t k = 0; k < bs[t]; ++k) sorted_len[k] = t + 1;
  // Each output slot (t, b) reads a data row, or row n: one extra row of padding_value.
  std::vector<int64_t> rows(total * B), lengths(B);
  for (int64_t b = 0; b < B; ++b) {
    int64_t k = inverse[b];
    EMBER_CHECK(k >= 0 && k < B, op, "unsorted_indices holds ", k, ", outside [0, ", B, ")");
    lengths[b] = sorted_len[k];
    for (int64_t t = 0; t < total; ++t)
      rows[batch_first ? b * total + t : t * B + b] = t < sorted_len[k] ? offset[t] + k : n;
  }
  Shape feat(seq.data.shape().begin() + 1, seq.data.shape().end());
  Shape pad_shape = feat;
  pad_shape.insert(pad_shape.begin(), 1);
  Tensor ext = cat({seq.data, full(pad_shape, padding_value, seq.data.dtype())}, 0);  // (N + 1, *)
  Shape out_shape = feat;
  out_shape.insert(out_shape.begin(), {batch_first ? B : total, batch_first ? total : B});
  Tensor padded = index_select(ext, 0, index_tensor(rows)).reshape(out_shape);  // (T, B, *) or (B, T, *)
  return {padded, index_tensor(lengths)};
}

Tensor pad_sequence(const std::vector<Tensor>& sequences, bool batch_first, double padding_value) {
  const char* op = "pad_sequence";
  EMBER_CHECK(!sequences.empty(), op, "got no sequences");
  int64_t longest = 0;
  for (size_t i = 0; i < sequences.size(); ++i) {
    const Tensor& s = sequences[i];
    EMBER_CHECK(s.defined() && s.dim() >= 1, op, "sequence ", i, " must have a time dimension, got ",
                s.defined() ? shape_str(s.shape()) : std::string("an undefined tensor"));
    EMBER_CHECK(s.dim() == sequences[0].dim() && std::equal(s.shape().begin() + 1, s.shape().end(),
                                                             sequences[0].shape().begin() + 1),
                op, "sequence ", i, " has shape ", shape_str(s.shape()), " but sequence 0 has ",
                shape_str(sequences[0].shape()), "; all must agree past the time dimension");
    longest = std::max(longest, s.size(0));
  }
  std::vector<Tensor> padded;
  for (const Tensor& s : sequences) {
    if (s.size(0) == longest) {
      padded.push_back(s);
      continue;
    }
    Shape fill = s.shape();
    fill[0] = longest - s.size(0);
    padded.push_back(cat({s, full(fill, padding_value, s.dtype())}, 0));  // (L_i, *) -> (L, *)
  }
  return stack(padded, batch_first ? 0 : 1);
}

PackedSequence pack_sequence(const std::vector<Tensor>& sequences, bool enforce_sorted) {
  std::vector<int64_t> lengths;
  for (auto& s : sequences) lengths.push_back(s.defined() && s.dim() >= 1 ? s.size(0) : 0);
  return pack_padded_sequence(pad_sequence(sequences), lengths, false, enforce_sorted);
}

}  // namespace ember::nn
