#pragma once
// Classification metrics accumulated over batches: accuracy, per-class precision/recall/F1
// and the confusion matrix (rows: true class, columns: predicted class).
#include <cstdint>
#include <string>
#include <vector>

#include "ember/tensor.h"

namespace ember::train {

class ClassificationMetrics {
 public:
  explicit ClassificationMetrics(int64_t num_classes);
  // From a C*C confusion matrix (e.g. summed over ranks).
  static ClassificationMetrics from_confusion(int64_t num_classes, const std::vector<int64_t>& confusion);
  // logits or log-probabilities (N, C) and int64 targets (N).
  void update(const Tensor& scores, const Tensor& targets);
  void reset();
  int64_t count() const { return total_; }
  double accuracy() const;
  double precision(int64_t c) const;
  double recall(int64_t c) const;
  double f1(int64_t c) const;
  double macro_f1() const;
  const std::vector<int64_t>& confusion() const { return confusion_; }  // C*C, row-major
  int64_t confusion_at(int64_t truth, int64_t pred) const { return confusion_[truth * classes_ + pred]; }
  // Merges counts from another accumulator (e.g. another rank).
  void merge(const ClassificationMetrics& other);
  std::string report() const;  // per-class table and the confusion matrix

 private:
  int64_t classes_;
  int64_t total_ = 0, correct_ = 0;
  std::vector<int64_t> confusion_;
};

}  // namespace ember::train
