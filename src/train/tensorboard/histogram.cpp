#include "train/tensorboard/histogram.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstring>

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

namespace {

// The positive edges 1e-12 * 1.1^k ... DBL_MAX, and for each value of a positive double's top 16
// bits (exponent and 4 mantissa bits: a range a factor of at most 2^(1/16) wide, narrower than
// the edges' 1.1) the first edge at or above the range's smallest double.
struct PositiveEdges {
  std::vector<double> p;
  std::vector<uint16_t> start;
  PositiveEdges() {
    const std::vector<double>& all = default_bucket_limits();
    p.assign(all.begin() + static_cast<std::ptrdiff_t>(all.size() / 2 + 1), all.end());
    start.resize(size_t{1} << 15);
    for (size_t key = 0; key < start.size(); ++key) {
      double lo;
      const uint64_t bits = static_cast<uint64_t>(key) << 48;
      std::memcpy(&lo, &bits, sizeof lo);
      const size_t j =
          std::isfinite(lo) ? static_cast<size_t>(std::lower_bound(p.begin(), p.end(), lo) - p.begin()) : p.size() - 1;
      start[key] = static_cast<uint16_t>(std::min(j, p.size() - 1));
    }
  }
  size_t guess(double u) const {  // u > 0
    uint64_t bits;
    std::memcpy(&bits, &u, sizeof bits);
    return start[bits >> 48];
  }
};

const PositiveEdges& positive_edges() {
  static const PositiveEdges e;
  return e;
}

}  // namespace

size_t bucket_index(double v) {
  const PositiveEdges& e = positive_edges();
  const std::vector<double>& p = e.p;
  const size_t n = p.size();  // the negative edges; 0 sits at index n
  if (v >= 0) {               // the first positive edge above v
    if (v < p[0]) return n + 1;
    size_t j = e.guess(v);
    while (j > 0 && p[j - 1] > v) --j;
    while (j < n - 1 && p[j] <= v) ++j;
    return n + 1 + j;
  }
  // v < 0: the first edge above v is -p[j - 1] for the first j with p[j] >= -v (0 when j == 0).
  const double u = -v;
  size_t j = e.guess(u);
  while (j > 0 && p[j - 1] >= u) --j;
  while (j < n - 1 && p[j] < u) ++j;
  return n - j;
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
    counts_[std::min(bucket_index(v), limits.size() - 1)] += 1;
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
