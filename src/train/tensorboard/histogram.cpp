#include "train/tensorboard/histogram.h"

#include <algorithm>
#include <cfloat>
#include <cmath>

namespace ember::train::detail {

const std::vector<double>& default_bucket_limits() {
  static const std::vector<double> limits = [] {
    std::vector<double> pos;
    for (double v = 1e-12; v < 1e20; v *= 1.1) pos.push_back(v);
    pos.push_back(DBL_MAX);
    std::vector<double> all;
    all.reserve(2 * pos.size() + 1);
    for (auto it = pos.rbegin(); it != pos.rend(); ++it) all.push_back(-*it);
    all.push_back(0.0);
    all.insert(all.end(), pos.begin(), pos.end());
    return all;
  }();
  return limits;
}

HistogramBuilder::HistogramBuilder() : counts_(default_bucket_limits().size(), 0.0) {}

template <typename T>
bool HistogramBuilder::add(const T* values, size_t n) {
  const std::vector<double>& limits = default_bucket_limits();
  for (size_t i = 0; i < n; ++i) {
    const double v = static_cast<double>(values[i]);
    if (!std::isfinite(v)) return false;
    if (num_ == 0) min_ = max_ = v;
    min_ = std::min(min_, v);
    max_ = std::max(max_, v);
    num_ += 1;
    sum_ += v;
    sum_squares_ += v * v;
    // The first edge above v: bucket k holds [limits[k - 1], limits[k]).
    const size_t k = static_cast<size_t>(std::upper_bound(limits.begin(), limits.end(), v) - limits.begin());
    counts_[std::min(k, limits.size() - 1)] += 1;
  }
  return true;
}

template bool HistogramBuilder::add<float>(const float*, size_t);
template bool HistogramBuilder::add<double>(const double*, size_t);

Histogram HistogramBuilder::finish() const {
  const std::vector<double>& limits = default_bucket_limits();
  Histogram h;
  h.min = min_, h.max = max_, h.num = num_, h.sum = sum_, h.sum_squares = sum_squares_;
  // A run of empty buckets becomes one, at the run's last edge (the next bucket's lower edge).
  for (size_t i = 0; i < limits.size();) {
    double end = limits[i];
    const double count = counts_[i];
    ++i;
    if (count == 0)
      while (i < limits.size() && counts_[i] == 0) end = limits[i++];
    h.bucket_limit.push_back(end);
    h.bucket.push_back(count);
  }
  return h;
}

}  // namespace ember::train::detail
