#pragma once
// The histogram TensorBoard's dashboards expect (what TensorFlow's summary ops and PyTorch's
// SummaryWriter write by default): fixed exponential bucket edges 0, +-1e-12 * 1.1^k up to 1e20,
// and +-DBL_MAX, so histograms of different steps share their buckets. Runs of empty buckets are
// merged into one, as TensorFlow encodes them, which keeps a histogram to a few hundred buckets.
#include <cstddef>
#include <vector>

namespace ember::train::detail {

struct Histogram {
  double min = 0, max = 0, num = 0, sum = 0, sum_squares = 0;
  std::vector<double> bucket_limit;  // upper edge of each bucket, ascending
  std::vector<double> bucket;        // counts: bucket[i] holds [bucket_limit[i - 1], bucket_limit[i])
};

// Every edge, ascending (-DBL_MAX ... -1e-12, 0, 1e-12 ... DBL_MAX).
const std::vector<double>& default_bucket_limits();
// The index of the first edge above finite `v` (std::upper_bound on the edges), found in a few
// steps from a table keyed by v's exponent and top mantissa bits instead of a binary search.
size_t bucket_index(double v);

// Values arrive in chunks (a large tensor is read in place, never copied to doubles).
class HistogramBuilder {
 public:
  HistogramBuilder();
  // Finite values only: returns false (and counts nothing more) at the first NaN or infinity.
  template <typename T>
  bool add(const T* values, size_t n);
  Histogram finish() const;  // at least one value must have been added
  double count() const { return num_; }

 private:
  std::vector<double> counts_;
  double min_ = 0, max_ = 0, num_ = 0, sum_ = 0, sum_squares_ = 0;
};

extern template bool HistogramBuilder::add<float>(const float*, size_t);
extern template bool HistogramBuilder::add<double>(const double*, size_t);

}  // namespace ember::train::detail
